"""WHO ASSIST v3.0 scored against its published scoring.

Source: World Health Organization, "The Alcohol, Smoking and Substance Involvement Screening
Test (ASSIST): manual for use in primary care" (Humeniuk et al., 2010, ISBN 978 92 4 159938 2)
and the ASSIST v3.0 questionnaire and response card it reproduces: weights of Q2–Q7 as printed
on the questionnaire, specific substance involvement score = Q2 + … + Q7 (no Q5 for tobacco),
risk levels alcohol 0–10 low / 11–26 moderate / 27+ high, every other substance 0–3 low /
4–26 moderate / 27+ high. Skip logic: Q1 "no" asks nothing more about that substance; Q2
"never" skips Q3–Q5; no substance ever used ends the interview before Q8.
"""

from typing import Any

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import translation

from services import instruments
from services.instruments import assist_v3_0 as assist

ASSIST = instruments.get("assist", "3.0")
CODES = [
    "tobacco",
    "alcohol",
    "cannabis",
    "cocaine",
    "amphetamines",
    "inhalants",
    "sedatives",
    "hallucinogens",
    "opioids",
    "other",
]
NOT_ALCOHOL = [code for code in CODES if code != "alcohol"]


def used(
    code: str, q2: str, q3: str = "", q4: str = "", q5: str = "", **rest: str
) -> dict[str, Any]:
    """Return the answers about one substance ever used; Q6 and Q7 default to "no, never"."""
    answers = {f"{code}_q1": "yes", f"{code}_q2": q2}
    answers |= {f"{code}_{q}": v for q, v in (("q3", q3), ("q4", q4), ("q5", q5)) if v}
    answers[f"{code}_q6"] = rest.get("q6", "no_never")
    answers[f"{code}_q7"] = rest.get("q7", "no_never")
    return answers


def screening(*substances: dict[str, Any], q8: str = "no_never") -> dict[str, Any]:
    """Return a whole interview: Q1 "no" for every substance not given, then Q8."""
    answers = {f"{code}_q1": "no" for code in CODES}
    for part in substances:
        answers |= part
    if substances:
        answers["q8"] = q8
    return answers


def errors_of(answers: dict[str, Any]) -> dict[str, list[ValidationError]]:
    """Return the errors scoring raises, by answer key."""
    with pytest.raises(ValidationError) as raised:
        ASSIST.score(answers)
    return raised.value.error_dict


def codes_of(answers: dict[str, Any]) -> dict[str, list[str | None]]:
    """Return the error codes scoring raises, by answer key."""
    return {key: [error.code for error in errors] for key, errors in errors_of(answers).items()}


# --- the published weights -------------------------------------------------------------------

PUBLISHED_WEIGHTS = {
    # question: (never, once or twice, monthly, weekly, daily or almost daily)
    "q2": (0, 2, 3, 4, 6),
    "q3": (0, 3, 4, 5, 6),
    "q4": (0, 4, 5, 6, 7),
    "q5": (0, 5, 6, 7, 8),
}


@pytest.mark.parametrize("question", ["q2", "q3", "q4", "q5"])
def test_frequency_weights_are_the_questionnaires(question: str) -> None:
    """Q2–Q5: never / once or twice / monthly / weekly / daily, weights as printed on v3.0."""
    slot = ASSIST.field(f"cannabis_{question}")
    assert [option.code for option in slot.question.options] == [
        "never",
        "once_twice",
        "monthly",
        "weekly",
        "daily",
    ]
    assert tuple(option.points for option in slot.question.options) == PUBLISHED_WEIGHTS[question]


@pytest.mark.parametrize("question", ["q6", "q7"])
def test_ever_weights_are_the_questionnaires(question: str) -> None:
    """Q6–Q7: no, never 0; yes, in the past 3 months 6; yes, but not in the past 3 months 3."""
    options = ASSIST.field(f"alcohol_{question}").question.options
    assert [(option.code, option.points) for option in options] == [
        ("no_never", 0),
        ("yes_recent", 6),
        ("yes_earlier", 3),
    ]


def test_questions_1_and_8_are_recorded_not_scored() -> None:
    """Q1 and Q8 carry no weight in the specific substance involvement score."""
    assert all(option.points is None for option in ASSIST.field("opioids_q1").question.options)
    q8 = ASSIST.field("q8").question
    assert [option.code for option in q8.options] == ["no_never", "yes_recent", "yes_earlier"]
    assert all(option.points is None for option in q8.options)


def test_every_substance_class_of_the_questionnaire_is_asked_questions_1_to_7() -> None:
    keys = {slot.key for slot in ASSIST.fields}
    for code in CODES:
        expected = {"q1", "q2", "q3", "q4", "q6", "q7"} | ({"q5"} if code != "tobacco" else set())
        assert {key.removeprefix(f"{code}_") for key in keys if key.startswith(f"{code}_q")} == (
            expected
        )
    assert "q8" in keys and "other_specify" in keys


# --- worked cases ----------------------------------------------------------------------------


def test_nothing_ever_used_scores_zero_low_everywhere_and_asks_no_more() -> None:
    result = ASSIST.score(screening())
    assert [(s.subject, s.score, s.level) for s in result.scores] == [
        (code, 0, "low") for code in CODES
    ]
    assert result.level == "low"
    assert result.answers == {f"{code}_q1": "no" for code in CODES}
    assert (result.instrument, result.version) == ("assist", "3.0")


def test_worked_case_daily_heroin_smoker_who_drinks_monthly() -> None:
    """Opioids 6+6+6+6+6+3 = 33 high; tobacco 6+3+0+0+0 = 9 moderate; alcohol 3+0+0+0+0+0 =
    3 low (alcohol's low band reaches 10)."""
    result = ASSIST.score(
        screening(
            used(
                "opioids", "daily", "daily", "weekly", "monthly", q6="yes_recent", q7="yes_earlier"
            ),
            used("tobacco", "daily", "once_twice", "never"),
            used("alcohol", "monthly", "never", "never", "never"),
            q8="yes_recent",
        )
    )
    assert result.score_of("opioids").score == 33 and result.score_of("opioids").level == "high"
    assert result.score_of("tobacco").score == 9 and result.score_of("tobacco").level == "moderate"
    assert result.score_of("alcohol").score == 3 and result.score_of("alcohol").level == "low"
    assert result.score_of("cannabis").score == 0
    assert result.level == "high"
    assert result.answers["q8"] == "yes_recent"


def test_injecting_is_recorded_without_changing_any_score() -> None:
    base = used("opioids", "weekly", "never", "never", "never")
    never = ASSIST.score(screening(base, q8="no_never"))
    recent = ASSIST.score(screening(base, q8="yes_recent"))
    earlier = ASSIST.score(screening(base, q8="yes_earlier"))
    assert [r.answers["q8"] for r in (never, recent, earlier)] == [
        "no_never",
        "yes_recent",
        "yes_earlier",
    ]
    assert never.scores == recent.scores == earlier.scores


# --- every boundary --------------------------------------------------------------------------

# (answers about one substance, its specific substance involvement score)
SCORE_3 = {"q2": "never", "q6": "yes_earlier"}  # 0 + 3
SCORE_4 = {"q2": "weekly", "q3": "never", "q4": "never", "q5": "never"}  # 4
SCORE_10 = {"q2": "weekly", "q3": "never", "q4": "never", "q5": "never", "q6": "yes_recent"}
SCORE_11 = {
    "q2": "once_twice",
    "q3": "once_twice",
    "q4": "never",
    "q5": "never",
    "q6": "yes_recent",
}
SCORE_26 = {"q2": "daily", "q3": "weekly", "q4": "daily", "q5": "daily"}  # 6 + 5 + 7 + 8
SCORE_27 = {"q2": "daily", "q3": "daily", "q4": "daily", "q5": "daily"}  # 6 + 6 + 7 + 8


def one(code: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Return an interview where only this substance was used, answered as in spec."""
    part = used(code, spec["q2"], spec.get("q3", ""), spec.get("q4", ""), spec.get("q5", ""))
    part |= {f"{code}_{q}": spec[q] for q in ("q6", "q7") if q in spec}
    if code == "tobacco":
        part.pop("tobacco_q5", None)
    return screening(part)


@pytest.mark.parametrize(
    ("spec", "score", "level"),
    [
        (SCORE_3, 3, "low"),
        (SCORE_4, 4, "moderate"),
        (SCORE_26, 26, "moderate"),
        (SCORE_27, 27, "high"),
    ],
    ids=["3-low", "4-moderate", "26-moderate", "27-high"],
)
@pytest.mark.parametrize("code", [code for code in NOT_ALCOHOL if code != "tobacco"])
def test_other_substances_boundaries_3_4_and_26_27(
    code: str, spec: dict[str, Any], score: int, level: str
) -> None:
    result = ASSIST.score(one(code, spec))
    assert (result.score_of(code).score, result.score_of(code).level) == (score, level)


@pytest.mark.parametrize(
    ("spec", "score", "level"),
    [
        (SCORE_3, 3, "low"),
        (SCORE_4, 4, "low"),
        (SCORE_10, 10, "low"),
        (SCORE_11, 11, "moderate"),
        (SCORE_26, 26, "moderate"),
        (SCORE_27, 27, "high"),
    ],
    ids=["3-low", "4-still-low", "10-low", "11-moderate", "26-moderate", "27-high"],
)
def test_alcohol_boundaries_10_11_and_26_27(spec: dict[str, Any], score: int, level: str) -> None:
    result = ASSIST.score(one("alcohol", spec))
    assert (result.score_of("alcohol").score, result.score_of("alcohol").level) == (score, level)


@pytest.mark.parametrize(
    ("spec", "score", "level"),
    [(SCORE_10, 10, "moderate"), (SCORE_11, 11, "moderate")],
)
def test_alcohol_cut_offs_do_not_apply_to_other_substances(
    spec: dict[str, Any], score: int, level: str
) -> None:
    result = ASSIST.score(one("cannabis", spec))
    assert (result.score_of("cannabis").score, result.score_of("cannabis").level) == (score, level)


@pytest.mark.parametrize(
    ("spec", "score", "level"),
    [
        (SCORE_3, 3, "low"),
        (SCORE_4, 4, "moderate"),
        # 6 + 5 + 6 + 6 + 3 and 6 + 6 + 6 + 6 + 3: tobacco reaches 26/27 without Q5.
        (
            {
                "q2": "daily",
                "q3": "weekly",
                "q4": "weekly",
                "q6": "yes_recent",
                "q7": "yes_earlier",
            },
            26,
            "moderate",
        ),
        (
            {"q2": "daily", "q3": "daily", "q4": "weekly", "q6": "yes_recent", "q7": "yes_earlier"},
            27,
            "high",
        ),
    ],
    ids=["3-low", "4-moderate", "26-moderate", "27-high"],
)
def test_tobacco_boundaries_without_question_5(
    spec: dict[str, Any], score: int, level: str
) -> None:
    result = ASSIST.score(one("tobacco", spec))
    assert (result.score_of("tobacco").score, result.score_of("tobacco").level) == (score, level)


@pytest.mark.parametrize(
    ("score", "level"),
    [(0, "low"), (3, "low"), (4, "moderate"), (26, "moderate"), (27, "high"), (39, "high")],
)
def test_risk_level_cut_offs_for_other_substances(score: int, level: str) -> None:
    assert assist.risk_level("opioids", score) == level
    assert assist.risk_level("tobacco", score) == level


@pytest.mark.parametrize(
    ("score", "level"),
    [(0, "low"), (10, "low"), (11, "moderate"), (26, "moderate"), (27, "high"), (39, "high")],
)
def test_risk_level_cut_offs_for_alcohol(score: int, level: str) -> None:
    assert assist.risk_level("alcohol", score) == level


# --- tobacco never has Q5 --------------------------------------------------------------------


def test_tobacco_has_no_question_5() -> None:
    with pytest.raises(KeyError):
        ASSIST.field("tobacco_q5")


def test_a_tobacco_q5_answer_is_refused_as_unknown() -> None:
    answers = screening(used("tobacco", "daily", "daily", "daily") | {"tobacco_q5": "daily"})
    assert codes_of(answers) == {NON_FIELD_ERRORS: ["unknown"]}


def test_tobacco_maximum_is_31() -> None:
    """6 + 6 + 7 + 6 + 6: the top of every tobacco question, with no Q5."""
    answers = screening(
        used("tobacco", "daily", "daily", "daily", q6="yes_recent", q7="yes_recent")
    )
    assert ASSIST.score(answers).score_of("tobacco").score == 31


def test_other_substances_maximum_is_39() -> None:
    """6 + 6 + 7 + 8 + 6 + 6."""
    answers = screening(
        used("cocaine", "daily", "daily", "daily", "daily", q6="yes_recent", q7="yes_recent")
    )
    assert ASSIST.score(answers).score_of("cocaine").score == 39


# --- skip logic ------------------------------------------------------------------------------


def test_q1_no_asks_nothing_more_and_an_answer_to_a_skipped_question_is_refused() -> None:
    answers = screening(used("alcohol", "weekly", "never", "never", "never"))
    answers |= {"cannabis_q2": "daily", "cannabis_q6": "yes_recent"}
    assert codes_of(answers) == {"cannabis_q2": ["not_asked"], "cannabis_q6": ["not_asked"]}


def test_q2_never_skips_q3_to_q5_but_q6_and_q7_still_count() -> None:
    """Never in the past 3 months: 0 + Q6 (6) + Q7 (3) = 9, moderate."""
    answers = screening(used("opioids", "never", q6="yes_recent", q7="yes_earlier"))
    result = ASSIST.score(answers)
    assert result.score_of("opioids").score == 9
    assert not {"opioids_q3", "opioids_q4", "opioids_q5"} & result.answers.keys()


@pytest.mark.parametrize("question", ["q3", "q4", "q5"])
def test_q2_never_refuses_an_answer_to_q3_to_q5(question: str) -> None:
    answers = screening(used("opioids", "never") | {f"opioids_{question}": "daily"})
    assert codes_of(answers) == {f"opioids_{question}": ["not_asked"]}


def test_used_in_the_past_3_months_requires_q3_to_q5() -> None:
    answers = screening(used("cannabis", "weekly"))
    assert codes_of(answers) == {
        "cannabis_q3": ["required"],
        "cannabis_q4": ["required"],
        "cannabis_q5": ["required"],
    }


def test_ever_used_requires_q2_q6_and_q7() -> None:
    answers = screening() | {"cannabis_q1": "yes", "q8": "no_never"}
    assert codes_of(answers) == {
        "cannabis_q2": ["required"],
        "cannabis_q6": ["required"],
        "cannabis_q7": ["required"],
    }


def test_q8_is_required_once_anything_was_used() -> None:
    answers = screening(used("alcohol", "never"))
    del answers["q8"]
    assert codes_of(answers) == {"q8": ["required"]}


def test_q8_is_not_asked_when_nothing_was_ever_used() -> None:
    assert codes_of(screening() | {"q8": "yes_recent"}) == {"q8": ["not_asked"]}


# --- the other substance, free text ----------------------------------------------------------


def test_other_substance_is_named_in_free_text_marked_for_encryption() -> None:
    answers = screening(used("other", "monthly", "never", "never", "never"))
    answers["other_specify"] = "  kratom "
    result = ASSIST.score(answers)
    assert result.answers["other_specify"] == "kratom"
    assert result.free_text == {"other_specify"}
    assert ASSIST.free_text_keys == {"other_specify"}
    assert "kratom" not in repr(result.clear())


def test_other_substance_name_is_optional() -> None:
    result = ASSIST.score(screening(used("other", "never")))
    assert "other_specify" not in result.answers
    assert result.free_text == frozenset()


def test_other_substance_name_is_not_asked_when_no_other_substance_was_used() -> None:
    assert codes_of(screening() | {"other_specify": "kratom"}) == {"other_specify": ["not_asked"]}


def test_other_substance_name_longer_than_200_characters_is_refused() -> None:
    answers = screening(used("other", "never")) | {"other_specify": "x" * 201}
    assert codes_of(answers) == {"other_specify": ["max_length"]}


# --- invalid answers -------------------------------------------------------------------------


def test_a_missing_answer_is_named() -> None:
    answers = screening()
    del answers["cannabis_q1"]
    errors = errors_of(answers)
    assert list(errors) == ["cannabis_q1"]
    with translation.override("en"):
        assert errors["cannabis_q1"][0].messages == [
            "Cannabis – Q1. Ever used: this question needs an answer."
        ]


@pytest.mark.parametrize("value", ["sometimes", "7", "DAILY", 6, None, ["daily"]])
def test_an_answer_out_of_range_is_named(value: object) -> None:
    answers = screening(used("cannabis", "weekly", "never", "never", "never"))
    answers["cannabis_q2"] = value
    expected = "required" if value is None else "invalid_choice"
    assert codes_of(answers) == {"cannabis_q2": [expected]}


def test_an_out_of_range_message_names_the_question_and_the_value() -> None:
    answers = screening(used("cannabis", "weekly", "never", "never", "never"))
    answers["cannabis_q2"] = "sometimes"
    with translation.override("en"):
        assert errors_of(answers)["cannabis_q2"][0].messages == [
            "Cannabis – Q2. Use in the past 3 months: “sometimes” is not one of the answers."
        ]


def test_an_unknown_question_code_is_refused() -> None:
    answers = screening() | {"cannabis_q9": "yes"}
    errors = errors_of(answers)
    assert list(errors) == [NON_FIELD_ERRORS]
    with translation.override("en"):
        assert "“cannabis_q9” is not a question of" in errors[NON_FIELD_ERRORS][0].messages[0]


def test_a_very_long_bad_value_is_cut_in_the_message() -> None:
    answers = screening() | {"x" * 5000: "yes"}
    message = errors_of(answers)[NON_FIELD_ERRORS][0].messages[0]
    assert len(message) < 200


def test_every_problem_is_reported_at_once() -> None:
    answers = screening(used("cannabis", "weekly"))
    answers |= {"tobacco_q1": "maybe", "bogus": "1"}
    assert codes_of(answers) == {
        NON_FIELD_ERRORS: ["unknown"],
        "tobacco_q1": ["invalid_choice"],
        "cannabis_q3": ["required"],
        "cannabis_q4": ["required"],
        "cannabis_q5": ["required"],
    }


def test_empty_answers_name_every_q1() -> None:
    assert codes_of({}) == {f"{code}_q1": ["required"] for code in CODES}


def test_whitespace_around_a_code_is_ignored() -> None:
    answers = screening(used("alcohol", " weekly ", "never", "never", "never"))
    assert ASSIST.score(answers).answers["alcohol_q2"] == "weekly"


def test_scoring_does_not_change_the_answers_given() -> None:
    answers = screening(used("alcohol", "weekly", "never", "never", "never"))
    before = dict(answers)
    ASSIST.score(answers)
    assert answers == before


def test_clear_values_hold_scores_and_levels_never_answers() -> None:
    result = ASSIST.score(screening(used("opioids", "daily", "daily", "daily", "daily")))
    clear = result.clear()
    assert clear["instrument"] == "assist" and clear["version"] == "3.0"
    assert {"subject": "opioids", "score": 27, "level": "high"} in clear["scores"]
    assert "answers" not in clear and "daily" not in repr(clear)
