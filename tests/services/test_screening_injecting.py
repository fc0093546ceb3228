"""Injecting (ASSIST Q8) kept coded in clear on the screening, so people who inject can be
counted, and the injecting-pattern follow-up asked when Q8 is "in the past 3 months".

Regression for issue 23 item 5: Q8 lived only inside the encrypted answers.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from cases.models import Case, Person
from services.models import Screening
from tests.conftest import World
from tests.services.test_instrument_assist import screening, used

pytestmark = pytest.mark.django_db

MIGRATION = ("services", "0008_screening_injecting")


def _post(world: World, case: Case, answers: dict[str, Any], slug: str = "screening-assist") -> Any:
    url = reverse("services:record_add", args=[case.pk, slug])
    return world.client("lan").post(url, {**answers, "screened_on": "20/11/2026"})


def test_injecting_is_kept_coded_in_clear_and_counted(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    heroin = used("opioids", "daily", "daily", "daily", "daily")
    answers = screening(heroin, q8="yes_recent") | {"q8_pattern": "more_than_weekly"}
    response = _post(world, case, answers)
    assert response.status_code == 302, response.context["form"].errors
    _post(world, case, screening(used("alcohol", "monthly", "never", "never", "never")))
    _post(world, case, screening())  # nothing ever used: Q8 not asked
    assert sorted(Screening.objects.values_list("injecting", flat=True)) == [
        "",
        "no_never",
        "yes_recent",
    ]
    assert Screening.objects.filter(injecting="yes_recent").count() == 1
    # The pattern stays in the encrypted answers only.
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers FROM services_screening WHERE injecting = 'yes_recent'")
        (stored,) = cursor.fetchone()
    # The stored value is ciphertext (key id, then base64, which never holds a quote): no
    # JSON of the answers. A bare "q8" could appear in random base64 by chance.
    assert stored.startswith("v1$") and '"' not in stored
    assert "more_than_weekly" not in stored
    recent = Screening.objects.get(injecting="yes_recent")
    assert json.loads(str(recent.answers))["q8_pattern"] == "more_than_weekly"
    assert recent.get_injecting_display() == "Có, trong 3 tháng qua"
    # The page says what the questionnaire advises for this pattern.
    detail = reverse("services:record_detail", args=["screening-assist", recent.pk])
    advice = world.client("lan").get(detail).context["screening"].advice
    assert [str(action) for _, action in advice] == ["Đánh giá thêm và điều trị tích cực hơn"]


def test_the_form_asks_the_injecting_pattern_when_injected_in_the_past_3_months(
    world: World, lan_person: Person
) -> None:
    case = Case.objects.get(person=lan_person)
    answers = screening(used("opioids", "daily", "daily", "daily", "daily"), q8="yes_recent")
    response = _post(world, case, answers)
    assert response.status_code == 200
    assert "q8_pattern" in response.context["form"].errors
    assert "q8_pattern" in response.content.decode()
    assert not Screening.objects.exists()


def test_other_instruments_have_no_injecting_value(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    dsm5 = {"substance": "alcohol"} | {
        code: "no"
        for code in (
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
        )
    }
    assert _post(world, case, dsm5, "screening-dsm5").status_code == 302
    assert Screening.objects.get().injecting == ""


def _stored(world: World, case: Case, answers: dict[str, str], instrument: str = "assist") -> Any:
    return Screening.objects.create(
        case=case,
        instrument=instrument,
        instrument_version="3.0" if instrument == "assist" else "1",
        screened_on=datetime.date(2026, 11, 20),
        screener=world.users["lan"],
        recorded_by=world.users["lan"],
        answers=json.dumps(answers),
        level="low",
    )


def test_the_database_refuses_an_injecting_value_outside_assist_q8(
    world: World, lan_person: Person
) -> None:
    case = Case.objects.get(person=lan_person)
    row = _stored(world, case, {"substance": "alcohol"}, instrument="dsm5_sud")
    for value, instrument in (("yes_recent", "dsm5_sud"), ("daily", "assist")):
        with pytest.raises(IntegrityError), transaction.atomic():
            Screening.objects.filter(pk=row.pk).update(injecting=value, instrument=instrument)


def test_the_migration_fills_injecting_from_the_encrypted_answers_in_batches(
    world: World, lan_person: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = Case.objects.get(person=lan_person)
    heroin = used("opioids", "daily", "daily", "daily", "daily")
    rows = {
        "recent": _stored(world, case, screening(heroin, q8="yes_recent")),
        "earlier": _stored(world, case, screening(heroin, q8="yes_earlier")),
        "never": _stored(world, case, screening(heroin, q8="no_never")),
        "never2": _stored(world, case, screening(heroin, q8="no_never")),
        "not_asked": _stored(world, case, screening()),
        "dsm5": _stored(world, case, {"substance": "opioids"}, instrument="dsm5_sud"),
    }
    Screening.objects.update(injecting="")  # as they were before the migration
    executor = MigrationExecutor(connection)
    state = executor.loader.project_state(MIGRATION)  # the models as the migration sees them
    module = executor.loader.get_migration(*MIGRATION)
    migration_module = __import__(type(module).__module__, fromlist=["BATCH"])
    monkeypatch.setattr(migration_module, "BATCH", 2)
    migration_module.fill_injecting(state.apps, None)
    filled = {name: Screening.objects.get(pk=row.pk).injecting for name, row in rows.items()}
    assert filled == {
        "recent": "yes_recent",
        "earlier": "yes_earlier",
        "never": "no_never",
        "never2": "no_never",
        "not_asked": "",
        "dsm5": "",
    }
