"""Screenings on a case: a form built from an instrument's definition, scored on submit.

The answers are stored encrypted (JSON); the instrument, version, date, screener, the total
or headline level and each subject's score and level are stored in clear for figures.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import instruments
from .instruments import assist_v3_0
from .forms import RecordForm, _formfield
from .models import Screening


def level_label(screening: Screening, level: str | None = None) -> str | Promise:
    """Return a screening's result level (or another level it gives) as its instrument names it.

    Each instrument owns its labels: ASSIST "moderate" is a moderate risk, DSM-5 "moderate" a
    moderate substance use disorder.
    """
    code = screening.level if level is None else level
    try:
        definition = instruments.get(screening.instrument, screening.instrument_version)
    except instruments.UnknownInstrumentError:
        return code
    return definition.level_label(code)


class ScreeningForm(RecordForm):
    """The questions of one instrument (its latest version), grouped by subject."""

    instrument: instruments.Instrument

    class Meta:
        model = Screening
        fields = ["screened_on"]
        formfield_callback = _formfield

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_today("screened_on")
        for slot in self.instrument.fields:
            question = slot.question
            if question.free_text:
                field: forms.Field = forms.CharField(
                    label=cast(Any, slot.label), required=False,
                    max_length=question.max_length or None,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )  # fmt: skip
            else:
                choices = [("", _("— Not asked —")), *((o.code, o.label) for o in question.options)]
                field = forms.ChoiceField(
                    label=cast(Any, slot.label), required=False, choices=choices
                )
            field.help_text = cast(Any, question.text)
            self.fields[slot.key] = field
        self.result: instruments.Result | None = None

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """Return the answer fields by subject (a substance, a domain), in the given order."""
        grouped: dict[str, tuple[Any, list[forms.BoundField]]] = {}
        for slot in self.instrument.fields:
            name = slot.subject.name if slot.subject else _("General")
            code = slot.subject.code if slot.subject else ""
            grouped.setdefault(code, (name, []))[1].append(self[slot.key])
        return list(grouped.values())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        answers = {
            slot.key: data[slot.key] for slot in self.instrument.fields if data.get(slot.key)
        }
        try:
            self.result = self.instrument.score(answers)
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                self.add_error(None if key == NON_FIELD_ERRORS else key, messages)
            return data
        screening: Screening = self.instance
        screening.instrument = self.instrument.code
        screening.instrument_version = self.instrument.version
        screening.screener = self.user
        screening.answers = json.dumps(dict(self.result.answers), ensure_ascii=False)
        screening.score = self.result.total
        screening.level = self.result.level or ""
        screening.injecting = injecting_of(self.result)
        return data


def injecting_of(result: instruments.Result) -> str:
    """Return the ASSIST Q8 answer (an option code) kept in clear; blank when not asked."""
    if result.instrument != assist_v3_0.CODE:
        return ""
    return result.answers.get(assist_v3_0.Q8.code, "")


def form_for(instrument: instruments.Instrument) -> type[ScreeningForm]:
    """Return the screening form of an instrument's definition."""
    return type(f"ScreeningForm_{instrument.code}", (ScreeningForm,), {"instrument": instrument})


def stored(screening: Screening) -> tuple[instruments.Instrument, dict[str, str]]:
    """Return the instrument version a screening was given under, and its decrypted answers."""
    definition = instruments.get(screening.instrument, screening.instrument_version)
    return definition, json.loads(str(screening.answers or "{}"))


def answers_shown(
    definition: instruments.Instrument, answers: dict[str, str]
) -> list[tuple[Any, str]]:
    """Return (question label, answer label) for each answered question, in order."""
    shown = []
    for slot in definition.fields:
        value = answers.get(slot.key)
        if value:
            option = slot.question.option(value) if not slot.question.free_text else None
            shown.append((slot.label, str(option.label) if option else str(value)))
    return shown
