"""Screenings on a case: a form built from an instrument's definition, scored on submit.

The answers are stored encrypted (JSON); the instrument, version, date, screener, the total
or headline level and each subject's score and level are stored in clear for figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from . import instruments
from .forms import RecordForm, _formfield
from .instruments import assist_v3_0, assist_v3_0_2
from .instruments.substances import SUBSTANCES
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
            field = self.answer_field(slot)
            field.help_text = cast(Any, slot.question.text)
            self.fields[slot.key] = field
        self.result: instruments.Result | None = None

    def answer_field(self, slot: instruments.Field) -> forms.Field:
        """Return the form field of one answer slot (a dropdown with "not asked", or text)."""
        question = slot.question
        if question.free_text:
            return forms.CharField(
                label=cast(Any, slot.label),
                required=False,
                max_length=question.max_length or None,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        choices = [("", _("— Not asked —")), *((o.code, o.label) for o in question.options)]
        return forms.ChoiceField(label=cast(Any, slot.label), required=False, choices=choices)

    def answers_given(self, data: dict[str, Any]) -> dict[str, Any]:
        """Return the answers to score: every answer slot filled in."""
        return {slot.key: data[slot.key] for slot in self.instrument.fields if data.get(slot.key)}

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
        answers = self.answers_given(data)
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


NEXT_STEP = "2"
BACK = "1"


@dataclass(frozen=True)
class SubstanceQuestions:
    """A substance ever used and its questions 2–7 (Q3–Q5 skipped when Q2 is "never")."""

    name: Any
    examples: Any
    questions: list[tuple[forms.BoundField, bool]]  # (field, skipped when Q2 is "never")


class AssistScreeningForm(ScreeningForm):
    """ASSIST substance by substance, in two steps that work without JavaScript.

    Step 1 asks Q1 (which substances were ever used); step 2 asks Q2–Q7 for each substance
    used, then Q8 and its injecting-pattern follow-up, as radio groups. Each step carries the
    other's answers as hidden inputs (nothing is kept on the server between steps). A radio
    answer cannot be cleared, and the page hides (CSS only) the questions an earlier answer
    skips, so the form leaves out answers to skipped questions before scoring; the scoring
    itself is the instrument's, unchanged.
    """

    page_template = "services/screening_assist_form.html"

    def answer_field(self, slot: instruments.Field) -> forms.Field:
        question = slot.question
        if question.free_text:
            return forms.CharField(
                label=cast(Any, slot.label), required=False, max_length=question.max_length
            )
        choices = [(o.code, o.label) for o in question.options]
        return forms.ChoiceField(
            label=cast(Any, slot.label),
            required=False,
            choices=choices,
            widget=forms.RadioSelect,
        )

    @property
    def first_keys(self) -> list[str]:
        """Return the names of step 1's fields: the date, Q1 of each substance, "specify"."""
        first = [s.key for s in self.instrument.fields if s.question.code in ("q1", "specify")]
        return ["screened_on", *first]

    def _requested(self) -> str:
        return str(self.data.get("step", "")) if self.is_bound else BACK

    def ready_to_save(self) -> bool:
        return self._requested() not in (BACK, NEXT_STEP)

    def answers_given(self, data: dict[str, Any]) -> dict[str, Any]:
        answers = super().answers_given(data)
        skipped = assist_v3_0_2.skipped(answers)
        return {key: value for key, value in answers.items() if key not in skipped}

    def clean(self) -> dict[str, Any]:
        requested = self._requested()
        if requested not in (BACK, NEXT_STEP):
            return super().clean()
        data = super(ScreeningForm, self).clean() or {}
        if requested == NEXT_STEP:  # check step 1 before asking the rest
            try:
                self.instrument.score(self.answers_given(data))
            except ValidationError as error:
                for key, messages in error.message_dict.items():
                    if key == NON_FIELD_ERRORS or key in self.first_keys:
                        self.add_error(None if key == NON_FIELD_ERRORS else key, messages)
        return data

    @property
    def step(self) -> int:
        """Return the step the page shows: 1 (ever used) or 2 (the substances used)."""
        if not self.is_bound or self._requested() == BACK:
            return 1
        return 1 if any(key in self.first_keys for key in self.errors) else 2

    def _given(self, key: str) -> str:
        return str(self.data.get(key, "")).strip() if self.is_bound else ""

    def first_step(self) -> list[tuple[Any, Any, forms.BoundField]]:
        """Return (substance, examples, Q1 field) for every substance, in order."""
        return [
            (s.name, s.examples, self[instruments.Field(assist_v3_0.Q1, s).key]) for s in SUBSTANCES
        ]

    def substances_used(self) -> list[SubstanceQuestions]:
        """Return the substances step 1 says were ever used, each with its questions 2–7."""
        used = []
        for substance in SUBSTANCES:
            if self._given(instruments.Field(assist_v3_0.Q1, substance).key) != "yes":
                continue
            questions = [
                (self[instruments.Field(q, substance).key], q in FOLLOW_UPS)
                for q in assist_v3_0.questions_for(substance)
                if q != assist_v3_0.Q1
            ]
            used.append(SubstanceQuestions(substance.name, substance.examples, questions))
        return used

    def carried(self) -> list[tuple[str, str]]:
        """Return the other step's answers, carried as hidden inputs (name, value)."""
        first = set(self.first_keys)
        names = [f for f in self.fields if (f in first) != (self.step == 1) and f != "version"]
        return [(name, self._given(name)) for name in names if self._given(name)]


FOLLOW_UPS = (assist_v3_0.Q3, assist_v3_0.Q4, assist_v3_0.Q5)
FORMS: dict[str, type[ScreeningForm]] = {assist_v3_0.CODE: AssistScreeningForm}


def advice(result: instruments.Result) -> list[tuple[Any, Any]]:
    """Return what the instrument says to do after these answers: (finding, action) pairs."""
    pattern = result.answers.get(assist_v3_0_2.PATTERN.code)
    if result.instrument != assist_v3_0.CODE or pattern not in assist_v3_0_2.INTERVENTIONS:
        return []
    option = assist_v3_0_2.PATTERN.option(pattern)
    label = option.label if option else pattern
    finding = format_lazy("{}: {}", _("Injecting in the past 3 months"), label)
    return [(finding, assist_v3_0_2.INTERVENTIONS[pattern])]


def form_for(instrument: instruments.Instrument) -> type[ScreeningForm]:
    """Return the screening form of an instrument's definition."""
    base = FORMS.get(instrument.code, ScreeningForm)
    return type(f"ScreeningForm_{instrument.code}", (base,), {"instrument": instrument})


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
