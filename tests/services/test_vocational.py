"""Vocational support: outcome against dates, employer and income only when employed, one
provider. lan holds the case; mai is her teammate; tuan the outsider; hoa the supervisor."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from audit.models import Event
from cases.models import Case, Person
from services.models import VocationalSupport
from tests.conftest import World
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def _post(world: World, who: str, case: Case, **data: Any):  # type: ignore[no-untyped-def]
    values = {
        "kind": "training",
        "provider_other": "Trường nghề Huyện Một",
        "started_on": "01/02/2026",
        "outcome": "ongoing",
    }
    values.update(data)
    url = reverse("services:record_add", args=[case.pk, "vocational"])
    return world.client(who).post(url, values)


def _errors(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, "expected the form again"
    return dict(response.context["form"].errors)


@pytest.mark.parametrize("outcome", ["employed", "completed"])
def test_a_finished_support_needs_an_end_date_or_a_reason(
    world: World, lan_person: Person, outcome: str
) -> None:
    case = Case.objects.get(person=lan_person)
    assert "ended_on" in _errors(_post(world, "lan", case, outcome=outcome))
    assert not VocationalSupport.objects.exists()
    reason = "Trường chưa báo ngày kết thúc"
    assert _post(world, "lan", case, outcome=outcome, no_end_reason=reason).status_code == 302
    assert _post(world, "lan", case, outcome=outcome, ended_on="01/05/2026").status_code == 302
    assert VocationalSupport.objects.count() == 2


def test_a_reason_is_refused_when_there_is_an_end_date(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    response = _post(
        world, "lan", case, outcome="completed", ended_on="01/05/2026", no_end_reason="vì sao"
    )
    assert "no_end_reason" in _errors(response)


def test_an_ongoing_support_has_no_end_date(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    assert "outcome" in _errors(_post(world, "lan", case, ended_on="01/05/2026"))


@pytest.mark.parametrize(("ended", "ok"), [("01/02/2026", True), ("31/01/2026", False)])
def test_the_end_is_on_or_after_the_start(
    world: World, lan_person: Person, ended: str, ok: bool
) -> None:
    case = Case.objects.get(person=lan_person)
    response = _post(world, "lan", case, outcome="completed", ended_on=ended)
    assert (response.status_code == 302) is ok
    if not ok:
        assert "ended_on" in _errors(response)


@pytest.mark.parametrize(
    ("outcome", "field", "value"),
    [
        ("completed", "employer", "Xưởng may Một"),
        ("completed", "income_band", "3to5m"),
        ("dropped_out", "income_band", "lt3m"),
    ],
)
def test_employer_and_income_only_when_employed(
    world: World, lan_person: Person, outcome: str, field: str, value: str
) -> None:
    case = Case.objects.get(person=lan_person)
    data = {"outcome": outcome, "ended_on": "01/05/2026", field: value}
    assert field in _errors(_post(world, "lan", case, **data))
    assert not VocationalSupport.objects.exists()
    employed = {**data, "outcome": "employed"}
    assert _post(world, "lan", case, **employed).status_code == 302


def test_one_provider_is_required_and_only_one(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    assert "provider" in _errors(_post(world, "lan", case, provider_other=""))
    both = _post(world, "lan", case, provider=world.orgs["social"].pk)
    assert "provider_other" in _errors(both)
    only_org = _post(world, "lan", case, provider=world.orgs["social"].pk, provider_other="")
    assert only_org.status_code == 302
    assert VocationalSupport.objects.get().provider == world.orgs["social"]


def test_bad_input_is_kept(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    response = _post(world, "lan", case, outcome="ongoing", employer="Xưởng gỗ Bản Thử")
    assert "employer" in _errors(response)
    assert "Xưởng gỗ Bản Thử" in response.content.decode()


def test_the_employer_is_ciphertext_and_masked_on_a_victims_case(
    world: World, lan_person: Person
) -> None:
    """ASVS 8.2.3: where a returned victim works locates them; masked until revealed."""
    victim_case = make_case(
        person=lan_person,
        organisation=world.orgs["clinic_a"],
        category="trafficking_victim",
        assigned_to=world.users["lan"],
    )
    response = _post(
        world,
        "lan",
        victim_case,
        outcome="employed",
        ended_on="01/05/2026",
        employer="Xưởng may Hy Vọng",
        income_band="3to5m",
    )
    assert response.status_code == 302, response.context["form"].errors
    record = VocationalSupport.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT employer FROM services_vocationalsupport")
        (stored,) = cursor.fetchone()
    assert "Hy Vọng" not in stored
    url = reverse("services:record_detail", args=["vocational", record.pk])
    lan = world.client("lan")
    assert "Xưởng may Hy Vọng" not in lan.get(url).content.decode()
    assert "Xưởng may Hy Vọng" in lan.post(url).content.decode()
    assert Event.objects.filter(action="location_revealed", object_id=str(record.pk)).exists()


def test_the_employer_is_shown_on_a_drug_case(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    _post(world, "lan", case, outcome="employed", ended_on="01/05/2026", employer="Xưởng gỗ")
    record = VocationalSupport.objects.get()
    url = reverse("services:record_detail", args=["vocational", record.pk])
    assert "Xưởng gỗ" in world.client("lan").get(url).content.decode()


@pytest.mark.parametrize(
    ("who", "status"), [("lan", 302), ("mai", 302), ("tuan", 404), ("hoa", 404), ("an", 404)]
)
def test_who_may_add_vocational_support(
    world: World, lan_person: Person, who: str, status: int
) -> None:
    """ASVS 8.2.2: an outsider's POST writes nothing and is recorded as a denial."""
    case = Case.objects.get(person=lan_person)
    assert _post(world, who, case).status_code == status
    assert VocationalSupport.objects.exists() is (status == 302)
    if status == 404:
        assert Event.objects.filter(action="denied", actor=world.users[who]).exists()
