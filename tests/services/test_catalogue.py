"""The service catalogue in the admin site: administrators (quan) add, change and deactivate
entries, never delete them; nobody else reaches it; the forms offer what applies."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import Event
from cases.models import Case, Person
from services.models import ServiceRecord, ServiceType
from tests.conftest import World

pytestmark = pytest.mark.django_db

ADD = reverse("admin:services_servicetype_add")


def _values(**extra: object) -> dict[str, object]:
    values: dict[str, object] = {
        "code": "shelter_meals",
        "name_vi": "Hỗ trợ tiền ăn",
        "name_en": "Meals",
        "category": "victim_support",
        "applies_to": ["trafficking_victim", "post_rehab"],
        "records_amount": "on",
        "is_active": "on",
        "order": "200",
    }
    values.update(extra)
    return values


def test_an_administrator_adds_an_entry_with_categories_as_checkboxes(world: World) -> None:
    quan = world.client("quan")
    form = quan.get(ADD).content.decode()
    assert 'type="checkbox" name="applies_to" value="trafficking_victim"' in form
    assert quan.post(ADD, _values()).status_code == 302
    entry = ServiceType.objects.get(code="shelter_meals")
    assert entry.applies_to == ["trafficking_victim", "post_rehab"]
    assert entry.history.get().history_user == world.users["quan"]
    event = Event.objects.get(action="service_type_saved")
    assert event.actor == world.users["quan"] and event.object_id == str(entry.pk)


def test_an_unknown_category_is_refused_and_the_input_kept(world: World) -> None:
    response = world.client("quan").post(ADD, _values(applies_to=["aliens"]))
    assert response.status_code == 200
    assert "applies_to" in response.context["adminform"].form.errors
    assert "Hỗ trợ tiền ăn" in response.content.decode()
    assert not ServiceType.objects.filter(code="shelter_meals").exists()


def test_entries_are_deactivated_never_deleted(world: World) -> None:
    entry = ServiceType.objects.get(code="counselling")
    quan = world.client("quan")
    delete = reverse("admin:services_servicetype_delete", args=[entry.pk])
    assert quan.get(delete).status_code == 403
    assert quan.post(delete, {"post": "yes"}).status_code == 403
    changelist = quan.get(reverse("admin:services_servicetype_changelist")).content.decode()
    assert "delete_selected" not in changelist
    change = reverse("admin:services_servicetype_change", args=[entry.pk])
    values = _values(
        code="renamed",
        name_vi=entry.name_vi,
        name_en=entry.name_en,
        category=entry.category,
        applies_to=[],
        records_amount="",
    )
    del values["is_active"]
    assert quan.post(change, values).status_code == 302
    entry.refresh_from_db()
    assert not entry.is_active and entry.code == "counselling"  # the code never changes


def test_a_deactivated_entry_is_no_longer_offered_but_old_records_keep_it(
    world: World, lan_person: Person
) -> None:
    case = Case.objects.get(person=lan_person)
    entry = ServiceType.objects.get(code="counselling")
    add = reverse("services:record_add", args=[case.pk, "service"])
    lan = world.client("lan")
    assert (
        lan.post(
            add, {"service_type": entry.pk, "status": "planned", "due_on": "01/12/2026"}
        ).status_code
        == 302
    )
    entry.is_active = False
    entry.save()
    assert entry not in lan.get(add).context["form"].fields["service_type"].queryset
    refused = lan.post(add, {"service_type": entry.pk, "status": "planned", "due_on": "01/12/2026"})
    assert "service_type" in refused.context["form"].errors
    record = ServiceRecord.objects.get()
    edit = reverse("services:record_edit", args=["service", record.pk])
    assert entry in lan.get(edit).context["form"].fields["service_type"].queryset


def test_an_entry_is_offered_only_to_the_categories_it_applies_to(
    world: World, lan_person: Person
) -> None:
    case = Case.objects.get(person=lan_person)  # a drug case
    add = reverse("services:record_add", args=[case.pk, "service"])
    offered = world.client("lan").get(add).context["form"].fields["service_type"].queryset
    codes = set(offered.values_list("code", flat=True))
    assert "counselling" in codes and "hardship_allowance" not in codes


@pytest.mark.parametrize("who", ["lan", "minh", "hoa", "an"])
def test_only_administrators_reach_the_catalogue(world: World, who: str) -> None:
    """ASVS 8.2.1: staff without the catalogue capability are sent away and write nothing."""
    client = world.client(who)
    assert client.get(reverse("admin:services_servicetype_changelist")).status_code == 302
    assert client.post(ADD, _values()).status_code == 302
    assert not ServiceType.objects.filter(code="shelter_meals").exists()
