"""Issue 23 item 15: a role decision is confirmed, a rejection says why, the notice says what
was decided for whom, and a commune officer's province-wide area needs a confirmation.

Actors: quan (administrator) asks; hoa (supervisor) decides; minh (commune officer) may not.
"""

from __future__ import annotations

from django.db import connection
from django.urls import reverse

from audit.models import Event
from cases.choices import Role
from cases.events import CaseAction
from cases.models import RoleChangeRequest, RoleRejectionReason, StaffProfile
from cases.roles import staff_profile_save
from tests.cases.test_staff_admin import _form
from tests.conftest import World


def _pending(world: World) -> RoleChangeRequest:
    """quan asks to make lan a commune officer of commune c1 (waits for a second person)."""
    profile = StaffProfile.objects.get(user=world.users["lan"])
    profile.role, profile.scope_unit = Role.COMMUNE_OFFICER, world.units["c1"]
    _profile, pending = staff_profile_save(actor=world.users["quan"], profile=profile)
    assert pending is not None
    return pending


def _url(pending: RoleChangeRequest) -> str:
    return reverse("cases:role_request_decide", args=[pending.pk])


def _messages(response: object) -> list[str]:
    return [str(m) for m in response.context["messages"]]  # type: ignore[attr-defined]


def test_the_list_shows_who_what_where(world: World) -> None:
    pending = _pending(world)
    page = world.client("hoa").get(reverse("cases:role_request_list")).content.decode()
    assert "(lan)" in page and world.users["lan"].display_name in page
    assert "Cán bộ xã hội cấp xã" in page and "commune_officer<" not in page
    assert str(pending.organisation) in page and "Xã Một Một" in page
    assert 'name="confirm"' in page and 'name="reason"' in page


def test_approving_needs_the_confirmation_and_says_what_was_decided(world: World) -> None:
    pending = _pending(world)
    hoa = world.client("hoa")
    refused = hoa.post(_url(pending), {"decision": "approve"}, follow=True)
    assert "Đánh dấu ô để xác nhận việc duyệt." in " ".join(_messages(refused))
    pending.refresh_from_db()
    assert pending.status == RoleChangeRequest.Status.PENDING
    done = hoa.post(_url(pending), {"decision": "approve", "confirm": "on"}, follow=True)
    organisation = StaffProfile.objects.get(user=world.users["lan"]).organisation.name
    assert f"Đã duyệt: lan làm Cán bộ xã hội cấp xã tại {organisation}." in _messages(done)
    pending.refresh_from_db()
    assert pending.status == RoleChangeRequest.Status.APPROVED


def test_rejecting_needs_a_reason_stored_encrypted_and_never_in_the_event(
    world: World,
) -> None:
    pending = _pending(world)
    hoa = world.client("hoa")
    refused = hoa.post(_url(pending), {"decision": "reject", "reason": "  "}, follow=True)
    assert "Hãy nêu lý do từ chối." in " ".join(_messages(refused))
    pending.refresh_from_db()
    assert pending.status == RoleChangeRequest.Status.PENDING
    reason = "Xã này đã có cán bộ phụ trách"
    done = hoa.post(_url(pending), {"decision": "reject", "reason": reason}, follow=True)
    assert any(m.startswith("Đã từ chối: lan làm Cán bộ xã hội cấp xã") for m in _messages(done))
    pending.refresh_from_db()
    assert pending.status == RoleChangeRequest.Status.REJECTED
    assert RoleRejectionReason.objects.get(request=pending).reason == reason
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reason FROM cases_rolerejectionreason WHERE request_id = %s", [pending.pk]
        )
        assert reason not in str(cursor.fetchone())
    event = Event.objects.get(action=CaseAction.ROLE_CHANGE_REJECTED, object_id=str(pending.pk))
    assert event.detail["has_reason"] is True
    assert reason not in str(event.detail)
    profile = StaffProfile.objects.get(user=world.users["lan"])
    assert profile.role == Role.CASEWORKER


def test_a_commune_officer_cannot_decide(world: World) -> None:
    """ASVS 8.2.1: minh may not decide a role change; the row is unchanged."""
    pending = _pending(world)
    response = world.client("minh").post(_url(pending), {"decision": "approve", "confirm": "on"})
    assert response.status_code in (403, 404)
    pending.refresh_from_db()
    assert pending.status == RoleChangeRequest.Status.PENDING


def test_a_commune_officer_over_a_province_needs_a_confirmation(world: World) -> None:
    data = _form(
        world,
        organisation=str(world.orgs["commune_x"].pk),
        role=Role.COMMUNE_OFFICER,
        scope_unit=str(world.units["province"].pk),
    )
    quan = world.client("quan")
    refused = quan.post(reverse("cases:staff_create"), data)
    assert refused.status_code == 200
    errors = refused.context["form"].errors
    assert "một xã" in " ".join(errors["scope_unit"])
    assert 'value="Nguyễn Văn Thành"' in refused.content.decode()  # input kept
    assert not RoleChangeRequest.objects.filter(user__username="thanh").exists()
    confirmed = quan.post(reverse("cases:staff_create"), {**data, "wide_scope_confirmed": "on"})
    assert "cases/staff_created.html" in [t.name for t in confirmed.templates]
    commune = _form(
        world,
        organisation=str(world.orgs["commune_x"].pk),
        username="thanh2",
        role=Role.COMMUNE_OFFICER,
        scope_unit=str(world.units["c1"].pk),
    )
    assert "cases/staff_created.html" in [
        t.name for t in quan.post(reverse("cases:staff_create"), commune).templates
    ]
