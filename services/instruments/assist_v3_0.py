"""WHO ASSIST v3.0: per-substance involvement scores and risk levels.

Source: World Health Organization, "The Alcohol, Smoking and Substance Involvement Screening
Test (ASSIST): manual for use in primary care" (R. Humeniuk et al., 2010, ISBN 978 92 4 159938
2), with the ASSIST v3.0 questionnaire and response card it reproduces. The weights of
questions 2–7 are those printed on the questionnaire; the specific substance involvement score
of a substance is the sum of its answers to questions 2–7 (question 5 is not asked about
tobacco); its risk level follows the manual's cut-offs: alcohol 0–10 low, 11–26 moderate, 27+
high; every other substance 0–3 low, 4–26 moderate, 27+ high. Questions 1 and 8 are recorded
but are not part of the score.
"""

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from .base import (
    Answers,
    Collector,
    Field,
    Instrument,
    Option,
    Question,
    Result,
    Subject,
    SubjectScore,
)
from .base import points as points_of
from .substances import ALCOHOL, OTHER, SUBSTANCES, TOBACCO

CODE = "assist"
VERSION = "3.0"

LOW = "low"
MODERATE = "moderate"
HIGH = "high"
RISK_LEVELS = {
    LOW: _("Low risk"),
    MODERATE: _("Moderate risk"),
    HIGH: _("High risk"),
}
# First score of the moderate and of the high band, per substance.
_ALCOHOL_CUTOFFS = (11, 27)
_OTHER_CUTOFFS = (4, 27)


def _frequency(once: int, monthly: int, weekly: int, daily: int) -> tuple[Option, ...]:
    return (
        Option("never", _("Never"), 0),
        Option("once_twice", _("Once or twice"), once),
        Option("monthly", _("Monthly"), monthly),
        Option("weekly", _("Weekly"), weekly),
        Option("daily", _("Daily or almost daily"), daily),
    )


def _ever(recent: int | None, earlier: int | None) -> tuple[Option, ...]:
    return (
        Option("no_never", _("No, never"), 0 if recent is not None else None),
        Option("yes_recent", _("Yes, in the past 3 months"), recent),
        Option("yes_earlier", _("Yes, but not in the past 3 months"), earlier),
    )


Q1 = Question(
    "q1",
    _("Q1. Ever used"),
    _("In your life, have you ever used this substance? (non-medical use only)"),
    (Option("no", _("No")), Option("yes", _("Yes"))),
)
Q2 = Question(
    "q2",
    _("Q2. Use in the past 3 months"),
    _("In the past three months, how often have you used this substance?"),
    _frequency(2, 3, 4, 6),
)
Q3 = Question(
    "q3",
    _("Q3. Strong desire or urge"),
    _("During the past three months, how often have you had a strong desire or urge to use it?"),
    _frequency(3, 4, 5, 6),
)
Q4 = Question(
    "q4",
    _("Q4. Health, social, legal or financial problems"),
    _(
        "During the past three months, how often has your use of it led to health, social, "
        "legal or financial problems?"
    ),
    _frequency(4, 5, 6, 7),
)
Q5 = Question(
    "q5",
    _("Q5. Failed to do what was expected"),
    _(
        "During the past three months, how often have you failed to do what was normally "
        "expected of you because of your use of it?"
    ),
    _frequency(5, 6, 7, 8),
)
Q6 = Question(
    "q6",
    _("Q6. Others expressed concern"),
    _("Has a friend or relative or anyone else ever expressed concern about your use of it?"),
    _ever(6, 3),
)
Q7 = Question(
    "q7",
    _("Q7. Tried and failed to cut down"),
    _("Have you ever tried and failed to control, cut down or stop using it?"),
    _ever(6, 3),
)
Q8 = Question(
    "q8",
    _("Q8. Injecting"),
    _("Have you ever used any drug by injection? (non-medical use only)"),
    _ever(None, None),
)
SPECIFY = Question(
    "specify",
    _("Q1. Other substance: specify"),
    _("Which other substance?"),
    max_length=200,
)


def questions_for(substance: Subject) -> tuple[Question, ...]:
    """Return the questions asked about a substance: Q1–Q7, without Q5 for tobacco."""
    if substance == TOBACCO:
        return (Q1, Q2, Q3, Q4, Q6, Q7)
    return (Q1, Q2, Q3, Q4, Q5, Q6, Q7)


def risk_level(substance: str, score: int) -> str:
    """Return the risk level of a specific substance involvement score."""
    moderate, high = _ALCOHOL_CUTOFFS if substance == ALCOHOL.code else _OTHER_CUTOFFS
    if score >= high:
        return HIGH
    return MODERATE if score >= moderate else LOW


def _fields() -> tuple[Field, ...]:
    # In the questionnaire's order: each question down the list of substances.
    slots: list[Field] = []
    for question in (Q1, Q2, Q3, Q4, Q5, Q6, Q7):
        slots += [Field(question, s) for s in SUBSTANCES if question in questions_for(s)]
        if question == Q1:
            slots.append(Field(SPECIFY, OTHER))
    return (*slots, Field(Q8))


def _substance_score(read: Collector, substance: Subject) -> int:
    slot = {question.code: Field(question, substance) for question in questions_for(substance)}
    used = read.choice(slot["q1"])
    later = [slot[code] for code in slot if code != "q1"]
    if used is None:
        return 0
    if used.code == "no":
        read.not_asked(later)
        return 0
    recent = read.choice(slot["q2"])
    score = points_of(recent)
    follow_up = [slot[code] for code in ("q3", "q4", "q5") if code in slot]
    if recent is not None and recent.code == "never":
        read.not_asked(follow_up)
    elif recent is not None:
        score += sum([points_of(read.choice(each)) for each in follow_up])
    return score + points_of(read.choice(slot["q6"])) + points_of(read.choice(slot["q7"]))


def _ever_used(read: Collector, substance: Subject) -> str | None:
    return read.cleaned.get(Field(Q1, substance).key)


def interview(read: Collector) -> dict[str, int]:
    """Read questions 1–8 as the questionnaire asks them; return each substance's score."""
    scores = {s.code: _substance_score(read, s) for s in SUBSTANCES}
    ever = [_ever_used(read, s) for s in SUBSTANCES]
    if _ever_used(read, OTHER) == "yes":
        read.text(Field(SPECIFY, OTHER))
    elif _ever_used(read, OTHER) == "no":
        read.not_asked([Field(SPECIFY, OTHER)])
    if "yes" in ever:
        read.choice(Field(Q8))
    elif ever.count("no") == len(SUBSTANCES):
        read.not_asked([Field(Q8)])  # no substance ever used: the interview stops after Q1
    return scores


def score(instrument: Instrument, answers: Answers) -> Result:
    """Score ASSIST v3.0 answers per substance; ValidationError naming each bad answer."""
    read = Collector(instrument, answers)
    scores = interview(read)
    read.raise_if_invalid()
    return result(instrument, read, scores)


def result(instrument: Instrument, read: Collector, scores: dict[str, int]) -> Result:
    """Return the result of a valid interview: a score and risk level per substance."""
    levels = [SubjectScore(code, value, risk_level(code, value)) for code, value in scores.items()]
    return Result(
        instrument=instrument.code,
        version=instrument.version,
        answers=dict(read.cleaned),
        free_text=instrument.free_text_keys & read.cleaned.keys(),
        scores=tuple(levels),
        level=_highest(entry.level for entry in levels),
    )


def _highest(levels: Iterable[str]) -> str:
    return max(levels, key=[LOW, MODERATE, HIGH].index, default=LOW)


ASSIST_V3_0 = Instrument(
    code=CODE,
    version=VERSION,
    name=_("WHO ASSIST v3.0 (alcohol, smoking and substance involvement)"),
    source=(
        'World Health Organization, "The Alcohol, Smoking and Substance Involvement Screening '
        'Test (ASSIST): manual for use in primary care", 2010; ASSIST v3.0 questionnaire and '
        "response card"
    ),
    fields=_fields(),
    scorer=score,
    levels=RISK_LEVELS,
)
