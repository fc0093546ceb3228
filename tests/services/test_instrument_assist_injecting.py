"""WHO ASSIST v3.0 definition 2: the injecting-pattern follow-up of question 8.

Source: the ASSIST v3.0 questionnaire (WHO, ASSIST manual for use in primary care, 2010,
Appendix A), the note after question 8: a person who injected in the last 3 months is asked
about the pattern of injecting ("once weekly or less or fewer than 3 days in a row" / "more
than once per week or 3 or more days in a row"), which decides the intervention. Regression for
issue 23 item 5: the follow-up was never asked.
"""

import itertools
from typing import Any

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from services import instruments
from services.instruments import assist_v3_0_2
from tests.services.test_instrument_assist import screening, used

NEW = instruments.latest("assist")
OLD = instruments.get("assist", "3.0")


def _codes(instrument: instruments.Instrument, answers: dict[str, Any]) -> dict[str, list[Any]]:
    with pytest.raises(ValidationError) as raised:
        instrument.score(answers)
    return {key: [e.code for e in errors] for key, errors in raised.value.error_dict.items()}


def test_new_screenings_use_the_definition_that_asks_the_pattern() -> None:
    assert NEW is assist_v3_0_2.ASSIST_V3_0_2
    assert (NEW.code, NEW.version) == ("assist", "3.0-2")
    assert NEW.field("q8_pattern").question.option("more_than_weekly") is not None


def test_the_pattern_is_asked_when_injected_in_the_past_3_months() -> None:
    answers = screening(used("opioids", "daily", "daily", "daily", "daily"), q8="yes_recent")
    assert _codes(NEW, answers) == {"q8_pattern": ["required"]}
    result = NEW.score(answers | {"q8_pattern": "more_than_weekly"})
    assert result.answers["q8_pattern"] == "more_than_weekly"
    assert result.score_of("opioids").score == 6 + 6 + 7 + 8  # the pattern is not scored


@pytest.mark.parametrize("q8", ["no_never", "yes_earlier"])
def test_the_pattern_is_not_asked_otherwise(q8: str) -> None:
    answers = screening(used("alcohol", "weekly", "never", "never", "never"), q8=q8)
    assert NEW.score(answers).answers["q8"] == q8
    assert _codes(NEW, answers | {"q8_pattern": "weekly_or_less"}) == {"q8_pattern": ["not_asked"]}


def test_the_pattern_is_not_asked_when_nothing_was_ever_used() -> None:
    assert _codes(NEW, screening() | {"q8_pattern": "weekly_or_less"}) == {
        "q8_pattern": ["not_asked"]
    }


FREQUENCY = ["never", "once_twice", "monthly", "weekly", "daily"]
EVER = ["no_never", "yes_recent", "yes_earlier"]


@pytest.mark.parametrize("substance", ["alcohol", "tobacco"])
def test_every_answer_scores_as_version_3_0_does(substance: str) -> None:
    """Every combination of Q2–Q7 for alcohol (its own cut-offs) and tobacco (no Q5)."""
    follow_ups = FREQUENCY if substance == "alcohol" else [""]
    compared = 0
    for q2, q3, q4, q5, q6, q7 in itertools.product(
        FREQUENCY, FREQUENCY, FREQUENCY, follow_ups, EVER, EVER
    ):
        if q2 == "never" and (q3, q4) != ("never", "never"):
            continue
        later = {} if q2 == "never" else {"q3": q3, "q4": q4, "q5": q5}
        answers = screening(used(substance, q2, **later, q6=q6, q7=q7), q8="yes_earlier")
        assert NEW.score(answers).clear() | {"version": ""} == OLD.score(answers).clear() | {
            "version": ""
        }
        compared += 1
    assert compared >= 900


def test_version_3_0_stays_as_it_was_for_screenings_taken_under_it() -> None:
    answers = screening(used("opioids", "daily", "daily", "daily", "daily"), q8="yes_recent")
    assert OLD.score(answers).answers["q8"] == "yes_recent"  # no follow-up in 3.0
    assert _codes(OLD, answers | {"q8_pattern": "weekly_or_less"}) == {
        NON_FIELD_ERRORS: ["unknown"]
    }


def test_skipped_names_what_the_earlier_answers_skip() -> None:
    answers = screening(used("alcohol", "never"), q8="no_never")
    skipped = assist_v3_0_2.skipped(answers)
    assert {"alcohol_q3", "alcohol_q4", "alcohol_q5", "q8_pattern", "tobacco_q2"} <= skipped
    assert not {"alcohol_q2", "alcohol_q6", "alcohol_q7", "q8"} & skipped
    assert {"q8", "q8_pattern", "other_specify"} <= assist_v3_0_2.skipped(screening())
    assert "tobacco_q5" not in assist_v3_0_2.skipped(screening())  # never a question
