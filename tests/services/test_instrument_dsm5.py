"""DSM-5 substance use disorder criteria counted against the published rule.

Source: American Psychiatric Association, "Diagnostic and Statistical Manual of Mental
Disorders, Fifth Edition" (DSM-5), 2013, chapter "Substance-Related and Addictive Disorders":
11 criteria within a 12-month period; severity 2–3 mild, 4–5 moderate, 6 or more severe (0–1:
no disorder); no withdrawal criterion for hallucinogens and inhalants; tolerance and
withdrawal not counted for opioids, sedatives and stimulants taken solely under appropriate
medical supervision.
"""

from typing import Any

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import translation

from services import instruments
from services.instruments import dsm5_sud_v1 as dsm5

DSM5 = instruments.get("dsm5_sud", "1")
CRITERIA = [
    "larger_longer",
    "cut_down",
    "time_spent",
    "craving",
    "role_failure",
    "social_problems",
    "activities_given_up",
    "hazardous_use",
    "health_problems",
    "tolerance",
    "withdrawal",
]


def assessment(substance: str, met: int | list[str], **extra: str) -> dict[str, Any]:
    """Return answers for a substance with the first `met` criteria (or those named) met."""
    names = CRITERIA[:met] if isinstance(met, int) else met
    criteria = [c for c in CRITERIA if not (c == "withdrawal" and substance in dsm5.NO_WITHDRAWAL)]
    answers = {"substance": substance} | {c: "yes" if c in names else "no" for c in criteria}
    if substance in dsm5.SUPERVISION_APPLIES:
        answers["supervised"] = "no"
    return answers | extra


def codes_of(answers: dict[str, Any]) -> dict[str, list[str | None]]:
    """Return the error codes scoring raises, by answer key."""
    with pytest.raises(ValidationError) as raised:
        DSM5.score(answers)
    return {key: [e.code for e in errors] for key, errors in raised.value.error_dict.items()}


def test_the_eleven_criteria_have_stable_codes_in_the_manuals_order() -> None:
    assert [question.code for question in dsm5.CRITERIA] == CRITERIA
    assert [slot.key for slot in DSM5.fields] == ["substance", *CRITERIA, "supervised"]
    with translation.override("en"):
        assert str(dsm5.CRITERIA[3].label) == "4. Craving"


@pytest.mark.parametrize(
    ("met", "severity"),
    [
        (0, "none"),
        (1, "none"),
        (2, "mild"),
        (3, "mild"),
        (4, "moderate"),
        (5, "moderate"),
        (6, "severe"),
        (11, "severe"),
    ],
    ids=lambda value: str(value),
)
def test_severity_boundaries_1_2_3_4_5_6(met: int, severity: str) -> None:
    result = DSM5.score(assessment("alcohol", met))
    assert (result.total, result.level) == (met, severity)
    assert [(s.subject, s.score, s.level) for s in result.scores] == [("alcohol", met, severity)]
    assert (result.instrument, result.version) == ("dsm5_sud", "1")


def test_severity_function_over_every_count() -> None:
    expected = ["none"] * 2 + ["mild"] * 2 + ["moderate"] * 2 + ["severe"] * 6
    assert [dsm5.severity(count) for count in range(12)] == expected


def test_worked_case_methamphetamine_moderate() -> None:
    """Craving, time spent, role failure, tolerance met: 4 criteria, moderate."""
    answers = assessment("amphetamines", ["craving", "time_spent", "role_failure", "tolerance"])
    result = DSM5.score(answers)
    assert result.score_of("amphetamines").score == 4
    assert result.level == "moderate"
    assert result.answers["craving"] == "yes" and result.answers["cut_down"] == "no"
    assert result.free_text == frozenset()


def test_the_result_names_the_substance() -> None:
    result = DSM5.score(assessment("cannabis", 2))
    assert result.clear()["scores"] == [{"subject": "cannabis", "score": 2, "level": "mild"}]


@pytest.mark.parametrize("substance", ["hallucinogens", "inhalants"])
def test_hallucinogens_and_inhalants_have_no_withdrawal_criterion(substance: str) -> None:
    result = DSM5.score(assessment(substance, 10))
    assert (result.total, result.level) == (10, "severe")
    assert "withdrawal" not in result.answers
    assert codes_of(assessment(substance, 2, withdrawal="yes")) == {"withdrawal": ["not_asked"]}


def test_withdrawal_is_required_for_other_substances() -> None:
    answers = assessment("opioids", 2)
    del answers["withdrawal"]
    assert codes_of(answers) == {"withdrawal": ["required"]}


def test_tolerance_and_withdrawal_under_medical_supervision_are_not_counted() -> None:
    """A methadone patient: 3 criteria answered yes, 2 of them pharmacological → 1, none."""
    met = ["tolerance", "withdrawal", "craving"]
    unsupervised = DSM5.score(assessment("opioids", met))
    supervised = DSM5.score(assessment("opioids", met, supervised="yes"))
    assert (unsupervised.total, unsupervised.level) == (3, "mild")
    assert (supervised.total, supervised.level) == (1, "none")
    assert supervised.answers["tolerance"] == "yes"  # recorded as answered


def test_all_eleven_under_medical_supervision_count_nine() -> None:
    result = DSM5.score(assessment("sedatives", 11, supervised="yes"))
    assert (result.total, result.level) == (9, "severe")


@pytest.mark.parametrize("substance", ["opioids", "sedatives", "cocaine", "amphetamines"])
def test_medical_supervision_must_be_answered_for_opioids_sedatives_and_stimulants(
    substance: str,
) -> None:
    answers = assessment(substance, 2)
    del answers["supervised"]
    assert codes_of(answers) == {"supervised": ["required"]}


@pytest.mark.parametrize("substance", ["alcohol", "tobacco", "cannabis", "other"])
def test_medical_supervision_is_not_asked_for_other_substances(substance: str) -> None:
    assert codes_of(assessment(substance, 2, supervised="yes")) == {"supervised": ["not_asked"]}


def test_a_missing_substance_is_named_and_the_criteria_still_checked() -> None:
    answers = assessment("alcohol", 2)
    del answers["substance"]
    answers["craving"] = "maybe"
    assert codes_of(answers) == {"substance": ["required"], "craving": ["invalid_choice"]}


@pytest.mark.parametrize("value", ["caffeine", "gambling", "", 3])
def test_an_unknown_substance_is_refused(value: object) -> None:
    expected = "required" if value == "" else "invalid_choice"
    assert codes_of(assessment("alcohol", 2) | {"substance": value}) == {"substance": [expected]}


def test_a_missing_criterion_is_named() -> None:
    answers = assessment("alcohol", 2)
    del answers["hazardous_use"]
    with pytest.raises(ValidationError) as raised:
        DSM5.score(answers)
    with translation.override("en"):
        assert raised.value.message_dict == {
            "hazardous_use": ["8. Use in hazardous situations: this question needs an answer."]
        }


@pytest.mark.parametrize("value", ["maybe", "1", "true", True])
def test_a_criterion_out_of_range_is_refused(value: object) -> None:
    assert codes_of(assessment("alcohol", 2) | {"tolerance": value}) == {
        "tolerance": ["invalid_choice"]
    }


def test_an_unknown_criterion_code_is_refused() -> None:
    assert codes_of(assessment("alcohol", 2) | {"legal_problems": "yes"}) == {
        NON_FIELD_ERRORS: ["unknown"]
    }
