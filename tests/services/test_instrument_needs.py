"""The needs assessment for returned trafficking victims, version 1.

Source: the support the Law on Prevention and Combat of Human Trafficking (2024, in force
2025-07-01), Article 37, gives a victim: essential needs, travel, medical care, psychological
support, legal aid, education and vocational support, initial hardship allowance and loans
(service codes of the catalogue), and the domain → service table of docs/screening.md.
"""

from typing import Any

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import translation

from services import instruments
from services.instruments import victim_needs_v1 as needs

NEEDS = instruments.get("victim_needs", "1")
DOMAINS = [
    "health",
    "psychological",
    "legal",
    "housing",
    "education_vocational",
    "financial",
    "family_safety",
]
CATALOGUE = [
    "essential_needs",
    "travel",
    "medical",
    "psychological",
    "legal_aid",
    "education_vocational",
    "hardship_allowance",
    "loan",
]


def assessment(**levels: str) -> dict[str, Any]:
    """Return answers with every domain at "none" unless given."""
    return {f"{domain}_need": levels.get(domain, "none") for domain in DOMAINS}


def codes_of(answers: dict[str, Any]) -> dict[str, list[str | None]]:
    """Return the error codes scoring raises, by answer key."""
    with pytest.raises(ValidationError) as raised:
        NEEDS.score(answers)
    return {key: [e.code for e in errors] for key, errors in raised.value.error_dict.items()}


def test_domains_and_answer_keys_are_stable() -> None:
    assert [domain.code for domain in needs.DOMAINS] == DOMAINS
    assert [slot.key for slot in NEEDS.fields] == [
        key for domain in DOMAINS for key in (f"{domain}_need", f"{domain}_notes")
    ]
    assert [option.code for option in needs.NEED.options] == ["none", "some", "urgent"]


def test_service_codes_are_the_catalogues_in_the_laws_order() -> None:
    assert list(needs.SERVICES) == CATALOGUE


def test_the_documented_domain_to_service_table() -> None:
    assert dict(needs.DOMAIN_SERVICES) == {
        "health": ("medical",),
        "psychological": ("psychological",),
        "legal": ("legal_aid",),
        "housing": ("essential_needs",),
        "education_vocational": ("education_vocational",),
        "financial": ("hardship_allowance", "loan"),
        "family_safety": ("travel", "essential_needs"),
    }


def test_every_service_of_the_law_can_be_offered() -> None:
    offered = {service for services in needs.DOMAIN_SERVICES.values() for service in services}
    assert offered == set(CATALOGUE)


def test_no_need_offers_nothing() -> None:
    result = NEEDS.score(assessment())
    assert (result.services, result.urgent_services) == ((), ())
    assert (result.instrument, result.version) == ("victim_needs", "1")


def test_worked_case_urgent_health_and_some_financial_need() -> None:
    result = NEEDS.score(assessment(health="urgent", financial="some"))
    assert result.services == ("medical", "hardship_allowance", "loan")
    assert result.urgent_services == ("medical",)


def test_worked_case_unsafe_to_go_home_and_no_housing() -> None:
    """Family/safety and housing both call for essential needs: offered once."""
    result = NEEDS.score(assessment(family_safety="urgent", housing="some"))
    assert result.services == ("essential_needs", "travel")
    assert result.urgent_services == ("essential_needs", "travel")


def test_every_domain_urgent_offers_every_service_once_in_the_laws_order() -> None:
    result = NEEDS.score(assessment(**dict.fromkeys(DOMAINS, "urgent")))
    assert result.services == result.urgent_services == tuple(CATALOGUE)


@pytest.mark.parametrize("domain", DOMAINS)
def test_some_and_urgent_need_in_each_domain_offer_its_services(domain: str) -> None:
    some = NEEDS.score(assessment(**{domain: "some"}))
    urgent = NEEDS.score(assessment(**{domain: "urgent"}))
    expected = tuple(s for s in CATALOGUE if s in needs.DOMAIN_SERVICES[domain])
    assert some.services == urgent.services == urgent.urgent_services == expected
    assert some.urgent_services == ()


def test_notes_are_free_text_kept_for_encryption_and_out_of_the_clear_values() -> None:
    answers = assessment(legal="some") | {
        "legal_notes": " Cần làm lại căn cước. ",
        "health_notes": "",
    }
    result = NEEDS.score(answers)
    assert result.answers["legal_notes"] == "Cần làm lại căn cước."
    assert "health_notes" not in result.answers
    assert result.free_text == {"legal_notes"}
    assert NEEDS.free_text_keys == {f"{domain}_notes" for domain in DOMAINS}
    clear = result.clear()
    assert clear["services"] == ["legal_aid"]
    assert "căn cước" not in repr(clear) and "legal_notes" not in repr(clear)


def test_need_levels_are_answers_not_clear_values() -> None:
    clear = NEEDS.score(assessment(psychological="urgent")).clear()
    assert clear["scores"] == [] and clear["level"] is None
    assert "urgent" not in repr({k: v for k, v in clear.items() if k != "urgent_services"})


def test_a_missing_domain_is_named() -> None:
    answers = assessment()
    del answers["housing_need"]
    with pytest.raises(ValidationError) as raised:
        NEEDS.score(answers)
    with translation.override("en"):
        assert raised.value.message_dict == {
            "housing_need": ["Housing – Need: this question needs an answer."]
        }


@pytest.mark.parametrize("value", ["very", "2", "URGENT", 2])
def test_a_need_level_out_of_range_is_refused(value: object) -> None:
    assert codes_of(assessment() | {"health_need": value}) == {"health_need": ["invalid_choice"]}


def test_notes_over_2000_characters_are_refused_and_named() -> None:
    answers = assessment() | {"health_notes": "x" * 2001}
    assert codes_of(answers) == {"health_notes": ["max_length"]}
    NEEDS.score(assessment() | {"health_notes": "x" * 2000})


def test_notes_that_are_not_text_are_refused() -> None:
    assert codes_of(assessment() | {"health_notes": 12}) == {"health_notes": ["invalid"]}


def test_an_unknown_domain_is_refused() -> None:
    assert codes_of(assessment() | {"employment_need": "urgent"}) == {NON_FIELD_ERRORS: ["unknown"]}
