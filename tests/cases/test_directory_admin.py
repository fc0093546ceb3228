"""The admin's writes to the directory and to accounts go through actions (issue 22, item 5).

Units, organisations, organisation types and users decide who sees what. Every change made
in the Django admin is an action with its event; a move that widens someone's reach (a unit
under another parent, an organisation to another unit) waits for a second administrator.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts.events import AccountAction
from accounts.models import User
from audit.models import Event
from cases import directory
from cases.choices import Role
from cases.events import CaseAction
from cases.models import (
    AdministrativeUnit,
    DirectoryChangeRequest,
    OrganisationType,
    StaffProfile,
)
from cases.roles import staff_profile_save
from tests.conftest import World, signed_in_client
from tests.factories import make_user


def admin_form(client: Client, url: str) -> dict[str, Any]:
    """Return what the admin's change (or add) form would post back unchanged."""
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if isinstance(value, list):
            data[name] = [str(v) for v in value]
            continue
        shown = field.widget.format_value(value)
        if shown is not None:
            data[name] = shown
    return data


def second_admin(world: World) -> User:
    """Return another administrator (applied by the system, as the demo does)."""
    thu = make_user("thu")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=thu,
            organisation=world.orgs["social"],
            role=Role.ADMINISTRATOR,
            scope_unit=world.units["province"],
        ),
    )
    return thu


def _change_url(model: str, pk: Any) -> str:
    return reverse(f"admin:cases_{model}_change", args=[pk])


def test_moving_a_commune_under_another_district_waits_for_a_second_person(
    world: World,
) -> None:
    """ASVS 8.1 / 1.2 (dual control), 16.3.2: one administrator moving commune 98101 under
    district 982 would hand its residents to district 982's supervisors and staff: the move
    waits, nothing changes until another administrator approves, and each step is an event."""
    quan = world.client("quan")
    commune = world.units["c1"]
    url = _change_url("administrativeunit", commune.pk)
    data = admin_form(quan, url)
    data["parent"] = str(world.units["d2"].pk)
    response = quan.post(url, data)
    assert response.status_code == 302

    commune.refresh_from_db()
    assert commune.parent == world.units["d1"] and commune.path == "/98/981/98101/"
    request = DirectoryChangeRequest.objects.get(unit=commune)
    assert request.status == DirectoryChangeRequest.Status.PENDING
    assert request.to_unit == world.units["d2"]
    asked = Event.objects.get(action=CaseAction.DIRECTORY_CHANGE_REQUESTED)
    assert asked.actor == world.users["quan"]
    assert not Event.objects.filter(action=CaseAction.UNIT_MOVED).exists()

    # The requester cannot approve it himself.
    with pytest.raises(PermissionDenied):
        directory.directory_request_decide(actor=world.users["quan"], request=request, approve=True)
    assert Event.objects.filter(
        action=CaseAction.DENIED, actor=world.users["quan"], detail__perm="approve_directory_change"
    ).exists()

    thu = second_admin(world)
    decide = reverse("admin:cases_directorychangerequest_changelist")
    response = signed_in_client(thu).post(
        decide, {"action": "approve", "_selected_action": [str(request.pk)]}
    )
    assert response.status_code == 302
    commune.refresh_from_db()
    assert commune.parent == world.units["d2"] and commune.path == "/98/982/98101/"
    moved = Event.objects.get(action=CaseAction.UNIT_MOVED)
    assert moved.actor == thu
    assert moved.detail["requested_by"] == world.users["quan"].pk
    assert Event.objects.filter(action=CaseAction.DIRECTORY_CHANGE_APPROVED, actor=thu).exists()


def test_moving_an_organisation_to_another_unit_waits_for_a_second_person(world: World) -> None:
    """ASVS 8.1 / 1.2: moving clinic A from district 981 to the province would widen what its
    staff reach; it waits for a second person, and the event says so."""
    quan = world.client("quan")
    clinic = world.orgs["clinic_a"]
    url = _change_url("organisation", clinic.pk)
    data = admin_form(quan, url)
    data["unit"] = str(world.units["province"].pk)
    data["name"] = "Methadone A (mới)"
    assert quan.post(url, data).status_code == 302

    clinic.refresh_from_db()
    assert clinic.unit == world.units["d1"]
    assert clinic.name == "Methadone A (mới)"  # what widens nothing applies at once
    changed = Event.objects.get(action=CaseAction.DIRECTORY_CHANGED, object_id=str(clinic.pk))
    assert changed.detail == {"model": "organisation", "change": "changed", "fields": ["name"]}
    request = DirectoryChangeRequest.objects.get(organisation=clinic)
    directory.directory_request_decide(actor=second_admin(world), request=request, approve=True)
    clinic.refresh_from_db()
    assert clinic.unit == world.units["province"]
    assert Event.objects.filter(
        action=CaseAction.ORGANISATION_MOVED, object_id=str(clinic.pk)
    ).exists()


def test_deactivating_a_user_in_the_admin_is_an_event(world: World) -> None:
    """ASVS 16.3.2: a change to an account in the admin names the fields it changed."""
    quan = world.client("quan")
    lan = world.users["lan"]
    url = reverse("admin:accounts_user_change", args=[lan.pk])
    data = admin_form(quan, url)
    data.pop("is_active", None)
    assert quan.post(url, data).status_code == 302
    lan.refresh_from_db()
    assert not lan.is_active
    event = Event.objects.get(action=AccountAction.USER_CHANGED, object_id=str(lan.pk))
    assert event.actor == world.users["quan"]
    assert event.detail["fields"] == ["is_active"]


def test_adding_an_organisation_type_in_the_admin_is_an_event(world: World) -> None:
    quan = world.client("quan")
    url = reverse("admin:cases_organisationtype_add")
    data = {"code": "youth-union", "name": "Đoàn thanh niên", "sector": ""}
    assert quan.post(url, data).status_code == 302
    created = OrganisationType.objects.get(code="youth-union")
    event = Event.objects.get(action=CaseAction.DIRECTORY_CHANGED, object_id=str(created.pk))
    assert event.detail["change"] == "added"


def test_a_system_move_rewrites_the_subtree_and_the_copies(world: World) -> None:
    """The cross-row writes a move needs live in the action, not in ``save()``."""
    d1 = world.units["d1"]
    d1.parent = world.units["province"]
    d1.code = "989"
    directory.unit_save(actor=None, unit=d1)
    assert AdministrativeUnit.objects.get(pk=world.units["c1"].pk).path == "/98/989/98101/"
