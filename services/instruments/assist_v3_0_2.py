"""WHO ASSIST v3.0, definition 2: version 3.0 with the injecting-pattern follow-up of Q8.

Source: the ASSIST v3.0 questionnaire (WHO, "The Alcohol, Smoking and Substance Involvement
Screening Test (ASSIST): manual for use in primary care", 2010, Appendix A), the note after
question 8: a person who has injected drugs in the last 3 months is asked about their pattern
of injecting during this period, to decide the intervention: "once weekly or less, or fewer
than 3 days in a row" → brief intervention including the "risks associated with injecting"
card; "more than once per week, or 3 or more days in a row" → further assessment and more
intensive treatment. Questions 1–8, their weights, the skip rules and the cut-offs are those of
definition ``3.0`` (``assist_v3_0``), unchanged; the pattern is recorded, not scored.

Definition ``3.0`` stays registered so screenings taken under it are re-read as they were.
"""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from . import assist_v3_0 as v3_0
from .base import Answers, Collector, Field, Instrument, Option, Question, Result
from .substances import OTHER, SUBSTANCES

CODE = v3_0.CODE
VERSION = "3.0-2"

INJECTED_RECENTLY = "yes_recent"
WEEKLY_OR_LESS = "weekly_or_less"
MORE_THAN_WEEKLY = "more_than_weekly"
PATTERN = Question(
    "q8_pattern",
    _("Q8. Pattern of injecting in the past 3 months"),
    _(
        "In the past 3 months, how often have you injected? (asked when the answer to Q8 is "
        "“yes, in the past 3 months”)"
    ),
    (
        Option(WEEKLY_OR_LESS, _("Once weekly or less, or fewer than 3 days in a row")),
        Option(MORE_THAN_WEEKLY, _("More than once per week, or 3 or more days in a row")),
    ),
)
# What the questionnaire's note says to do for each pattern.
INTERVENTIONS = {
    WEEKLY_OR_LESS: _("Brief intervention, including the “risks associated with injecting” card"),
    MORE_THAN_WEEKLY: _("Further assessment and more intensive treatment"),
}


def _with_pattern(read: Collector) -> None:
    q8 = read.cleaned.get(v3_0.Q8.code)
    if q8 == INJECTED_RECENTLY:
        read.choice(Field(PATTERN))
    elif q8 is not None or v3_0.Q8.code in skipped(read.answers):
        read.not_asked([Field(PATTERN)])


def score(instrument: Instrument, answers: Answers) -> Result:
    """Score as version 3.0 does, and read the injecting pattern when Q8 asks for it."""
    read = Collector(instrument, answers)
    scores = v3_0.interview(read)
    _with_pattern(read)
    read.raise_if_invalid()
    return v3_0.result(instrument, read, scores)


def skipped(answers: Mapping[str, object]) -> frozenset[str]:
    """Return the answer keys the answers already given skip, as the questionnaire does.

    A form that shows every question of a substance at once (radio buttons cannot be cleared)
    uses it to leave out answers to questions that an answer above it skips.
    """
    keys: set[str] = set()
    ever = []
    for substance in SUBSTANCES:
        asked = v3_0.questions_for(substance)
        used = answers.get(Field(v3_0.Q1, substance).key)
        ever.append(used)
        later = [Field(question, substance).key for question in asked if question != v3_0.Q1]
        if used == "no":
            keys.update(later)
            if substance == OTHER:
                keys.add(Field(v3_0.SPECIFY, OTHER).key)
        elif answers.get(Field(v3_0.Q2, substance).key) == "never":
            keys.update(Field(q, substance).key for q in (v3_0.Q3, v3_0.Q4, v3_0.Q5) if q in asked)
    if ever.count("no") == len(SUBSTANCES):
        keys.update((v3_0.Q8.code, PATTERN.code))
    elif answers.get(v3_0.Q8.code) in ("no_never", "yes_earlier"):
        keys.add(PATTERN.code)
    return frozenset(keys)


ASSIST_V3_0_2 = Instrument(
    code=CODE,
    version=VERSION,
    name=v3_0.ASSIST_V3_0.name,
    source=v3_0.ASSIST_V3_0.source + "; the note on the pattern of injecting after question 8",
    fields=(*v3_0.ASSIST_V3_0.fields, Field(PATTERN)),
    scorer=score,
    levels=v3_0.RISK_LEVELS,
)
