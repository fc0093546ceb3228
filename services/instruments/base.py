"""The common shape of a screening instrument: questions, answer slots, validation, results.

Answers travel as a flat mapping from an answer key (``alcohol_q2``, ``health_need``,
``q8``) to an option code or a piece of free text, which is how a form posts them and how
the whole set is stored (encrypted). Validation errors are Django ``ValidationError``s keyed
by the same answer keys, so ``form.add_error(None, error)`` puts each message beside its
field; keys the instrument does not know go under ``NON_FIELD_ERRORS``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

type Label = str | Promise
type Answers = Mapping[str, object]

# Echoed back in an error message; longer values are cut so a pasted essay stays readable.
_ECHO_LIMIT = 40


@dataclass(frozen=True)
class Option:
    """One answer a question offers, with its published weight (None: recorded, not scored)."""

    code: str
    label: Label
    points: int | None = None


@dataclass(frozen=True)
class Question:
    """A question with a stable code; no options means a free-text answer."""

    code: str
    label: Label
    text: Label
    options: tuple[Option, ...] = ()
    max_length: int = 0

    @property
    def free_text(self) -> bool:
        """Return whether the answer is free text (stored encrypted, never in clear)."""
        return not self.options

    def option(self, code: str) -> Option | None:
        """Return the option with this code, or None."""
        return next((option for option in self.options if option.code == code), None)


@dataclass(frozen=True)
class Subject:
    """What a group of questions is asked about: a substance class or a need domain."""

    code: str
    name: Label
    examples: Label = ""


@dataclass(frozen=True)
class Field:
    """One answer slot: a question asked once, or asked about one subject."""

    question: Question
    subject: Subject | None = None

    @property
    def key(self) -> str:
        """Return the stable answer key (``alcohol_q2``, ``q8``)."""
        if self.subject is None:
            return self.question.code
        return f"{self.subject.code}_{self.question.code}"

    @property
    def label(self) -> Label:
        """Return the label that names this slot in forms and error messages."""
        if self.subject is None:
            return self.question.label
        return format_lazy("{} – {}", self.subject.name, self.question.label)


@dataclass(frozen=True)
class SubjectScore:
    """The score and level of one subject (a substance)."""

    subject: str
    score: int
    level: str


@dataclass(frozen=True)
class Result:
    """A scored screening: what is stored encrypted (answers) and what stays in clear."""

    instrument: str
    version: str
    answers: Mapping[str, str]
    free_text: frozenset[str]
    scores: tuple[SubjectScore, ...] = ()
    total: int | None = None
    level: str | None = None
    services: tuple[str, ...] = ()
    urgent_services: tuple[str, ...] = ()

    def score_of(self, subject: str) -> SubjectScore:
        """Return the score of one subject; KeyError if the result has none for it."""
        for entry in self.scores:
            if entry.subject == subject:
                return entry
        raise KeyError(subject)

    def clear(self) -> dict[str, Any]:
        """Return the values figures need, which may be stored in clear (no answers)."""
        return {
            "instrument": self.instrument,
            "version": self.version,
            "total": self.total,
            "level": self.level,
            "scores": [
                {"subject": entry.subject, "score": entry.score, "level": entry.level}
                for entry in self.scores
            ],
            "services": list(self.services),
            "urgent_services": list(self.urgent_services),
        }


@dataclass(frozen=True)
class Instrument:
    """A versioned instrument definition; a released version is never edited."""

    code: str
    version: str
    name: Label
    source: str
    fields: tuple[Field, ...]
    scorer: Callable[[Instrument, Answers], Result] = dataclasses.field(repr=False, compare=False)
    # The result levels this instrument gives (code → label). Each instrument owns its labels:
    # two instruments may use the same code ("moderate") for different things.
    levels: Mapping[str, Label] = dataclasses.field(default_factory=dict, compare=False)

    def level_label(self, code: str) -> Label:
        """Return this instrument's label of a result level (the code itself if unknown)."""
        return self.levels.get(code, code)

    def field(self, key: str) -> Field:
        """Return the answer slot with this key; KeyError if there is none."""
        for slot in self.fields:
            if slot.key == key:
                return slot
        raise KeyError(key)

    @property
    def free_text_keys(self) -> frozenset[str]:
        """Return the keys whose answers are free text."""
        return frozenset(slot.key for slot in self.fields if slot.question.free_text)

    def score(self, answers: Answers) -> Result:
        """Validate the answers and return the result; ValidationError naming each problem."""
        return self.scorer(self, answers)


class Collector:
    """Read answers against an instrument, gathering every error before raising them."""

    def __init__(self, instrument: Instrument, answers: Answers) -> None:
        self.instrument = instrument
        self.answers = answers
        self.errors: dict[str, list[ValidationError]] = {}
        self.cleaned: dict[str, str] = {}
        self._reject_unknown_keys()

    def _add(self, key: str, error: ValidationError) -> None:
        self.errors.setdefault(key, []).append(error)

    def _reject_unknown_keys(self) -> None:
        known = {slot.key for slot in self.instrument.fields}
        for key in self.answers:
            if key not in known:
                self._add(
                    NON_FIELD_ERRORS,
                    ValidationError(
                        _("“%(key)s” is not a question of %(instrument)s."),
                        code="unknown",
                        params={"key": _echo(key), "instrument": self.instrument.name},
                    ),
                )

    def _raw(self, key: str) -> object:
        value = self.answers.get(key)
        return value.strip() if isinstance(value, str) else value

    def choice(self, slot: Field) -> Option | None:
        """Return the chosen option of an asked question, recording an error if there is none."""
        value = self._raw(slot.key)
        if value is None or value == "":
            self._add(slot.key, _required(slot))
            return None
        option = slot.question.option(value) if isinstance(value, str) else None
        if option is None:
            self._add(
                slot.key,
                ValidationError(
                    _("%(field)s: “%(value)s” is not one of the answers."),
                    code="invalid_choice",
                    params={"field": slot.label, "value": _echo(value)},
                ),
            )
            return None
        self.cleaned[slot.key] = option.code
        return option

    def text(self, slot: Field) -> str:
        """Return an optional free-text answer, recording an error if it is too long."""
        value = self._raw(slot.key)
        if value is None or value == "":
            return ""
        if not isinstance(value, str):
            self._add(slot.key, _invalid_text(slot))
            return ""
        if len(value) > slot.question.max_length:
            self._add(
                slot.key,
                ValidationError(
                    _("%(field)s: at most %(limit)d characters (you entered %(count)d)."),
                    code="max_length",
                    params={
                        "field": slot.label,
                        "limit": slot.question.max_length,
                        "count": len(value),
                    },
                ),
            )
            return ""
        self.cleaned[slot.key] = value
        return value

    def not_asked(self, slots: Iterable[Field]) -> None:
        """Record an error for each slot answered although the earlier answers skip it."""
        for slot in slots:
            value = self._raw(slot.key)
            if value is not None and value != "":
                self._add(
                    slot.key,
                    ValidationError(
                        _("%(field)s is not asked after the earlier answers; leave it empty."),
                        code="not_asked",
                        params={"field": slot.label},
                    ),
                )

    def raise_if_invalid(self) -> None:
        """Raise every error gathered, keyed by answer key."""
        if self.errors:
            raise ValidationError(self.errors)


def _echo(value: object) -> str:
    text = str(value)
    return text if len(text) <= _ECHO_LIMIT else text[: _ECHO_LIMIT - 1] + "…"


def _required(slot: Field) -> ValidationError:
    return ValidationError(
        _("%(field)s: this question needs an answer."),
        code="required",
        params={"field": slot.label},
    )


def _invalid_text(slot: Field) -> ValidationError:
    return ValidationError(
        _("%(field)s: the answer must be text."),
        code="invalid",
        params={"field": slot.label},
    )


def points(option: Option | None) -> int:
    """Return an option's weight, 0 for an unanswered or unscored question."""
    if option is None or option.points is None:
        return 0
    return option.points
