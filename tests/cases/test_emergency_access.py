"""Break the glass: reason required, grant at once, banner, expiry, review.

tuan (clinic B, district 982) cannot see lan_person (commune 98101, clinic A) until he
gives a reason; hoa (supervisor, province 98) and an (auditor) review.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import Event
from cases import actions
from cases.events import CaseAction
from cases.models import (
    CaseUserObjectPermission,
    EmergencyAccess,
    Person,
    PersonUserObjectPermission,
)
from tests.conftest import World

REASON = "Người bệnh nhập viện cấp cứu, cần xem liều methadone đang dùng"


def _request(world: World, person: Person, reason: str = REASON) -> object:
    client = world.client("tuan")
    return client.post(
        reverse("cases:emergency_request"),
        {"citizen_id": person.citizen_id, "reason": reason},
    )


def test_out_of_scope_record_opens_only_with_a_reason(world: World, lan_person: Person) -> None:
    """ASVS 8.2.2: a record outside scope answers 404 until emergency access is granted."""
    client = world.client("tuan")
    url = reverse("cases:person_detail", args=[lan_person.pk])
    assert client.get(url).status_code == 404

    short = client.post(
        reverse("cases:emergency_request"), {"citizen_id": lan_person.citizen_id, "reason": "cần"}
    )
    assert short.status_code == 200
    assert "ít nhất 20 ký tự" in short.content.decode()
    assert 'value="010191000123"' in short.content.decode()  # input kept
    assert not EmergencyAccess.objects.exists()

    response = client.post(
        reverse("cases:emergency_request"),
        {"citizen_id": lan_person.citizen_id, "reason": REASON},
    )
    assert response.status_code == 302
    assert response["Location"] == url
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Trần Thị Bình" in html
    assert 'data-testid="emergency-banner"' in html
    case_id = lan_person.cases.get().pk
    case_page = client.get(reverse("cases:case_detail", args=[case_id]))
    assert case_page.status_code == 200
    assert 'data-testid="emergency-banner"' in case_page.content.decode()
    # View only: an emergency never lets anyone change the record.
    assert client.get(reverse("cases:person_edit", args=[lan_person.pk])).status_code == 404


def test_grant_is_one_event_with_the_reason_encrypted(world: World, lan_person: Person) -> None:
    """ASVS 16.2.1: the emergency access is recorded with who, what, when and why."""
    _request(world, lan_person)
    events = Event.objects.filter(action=CaseAction.EMERGENCY_ACCESS)
    assert events.count() == 1
    event = events.get()
    assert event.actor == world.users["tuan"]
    assert event.person_id == lan_person.pk
    assert event.reason == REASON
    assert REASON not in event.__dict__["reason"]  # stored as ciphertext
    grant = EmergencyAccess.objects.get()
    hours = (grant.expires_at - grant.granted_at).total_seconds() / 3600
    assert hours == pytest.approx(4)
    # The page read under the grant names the grant in its own event.
    world.client("tuan").get(reverse("cases:person_detail", args=[lan_person.pk]))
    read = Event.objects.filter(action=CaseAction.PERSON_READ, actor=world.users["tuan"]).get()
    assert read.detail["emergency_access"] == str(grant.pk)


def test_emergency_access_expires(world: World, lan_person: Person) -> None:
    """ASVS 8.3.x: an expired grant no longer opens the record, and the refusal is logged."""
    _request(world, lan_person)
    client = world.client("tuan")
    url = reverse("cases:person_detail", args=[lan_person.pk])
    assert client.get(url).status_code == 200
    past = timezone.now() - timedelta(minutes=1)
    EmergencyAccess.objects.update(expires_at=past, granted_at=past - timedelta(hours=4))
    PersonUserObjectPermission.objects.update(expires_at=past)
    CaseUserObjectPermission.objects.update(expires_at=past)
    assert client.get(url).status_code == 404
    case_id = lan_person.cases.get().pk
    assert client.get(reverse("cases:case_detail", args=[case_id])).status_code == 404
    denials = Event.objects.filter(action=CaseAction.DENIED, actor=world.users["tuan"])
    assert set(denials.values_list("object_id", flat=True)) == {str(lan_person.pk), str(case_id)}


def test_unknown_citizen_id_grants_nothing(world: World, lan_person: Person) -> None:
    response = world.client("tuan").post(
        reverse("cases:emergency_request"), {"citizen_id": "001099012345", "reason": REASON}
    )
    assert response.status_code == 200
    assert "Không có ai được đăng ký" in response.content.decode()
    assert not EmergencyAccess.objects.exists()


@pytest.mark.parametrize("actor", ["an", "quan"])
def test_auditor_and_administrator_cannot_break_the_glass(
    world: World, lan_person: Person, actor: str
) -> None:
    client = world.client(actor)
    response = client.post(
        reverse("cases:emergency_request"),
        {"citizen_id": lan_person.citizen_id, "reason": REASON},
    )
    assert response.status_code == 403
    assert not EmergencyAccess.objects.exists()


@pytest.mark.parametrize("reviewer", ["hoa", "an"])
def test_reviewer_marks_emergency_access(world: World, lan_person: Person, reviewer: str) -> None:
    _request(world, lan_person)
    grant = EmergencyAccess.objects.get()
    client = world.client(reviewer)
    listing = client.get(reverse("cases:emergency_review_list"))
    assert listing.status_code == 200
    # Supervisors and auditors review; names never appear in the queue, only the record id;
    # the reason only on the single review page.
    assert "Trần Thị Bình" not in listing.content.decode()
    assert REASON not in listing.content.decode()
    single = client.get(reverse("cases:emergency_review", args=[grant.pk]))
    assert REASON in single.content.decode()
    response = client.post(
        reverse("cases:emergency_review", args=[grant.pk]),
        {"justified": "no", "confirm": "on", "note": "Không có hồ sơ cấp cứu"},
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.justified is False
    assert grant.reviewed_by == world.users[reviewer]
    event = Event.objects.get(action=CaseAction.EMERGENCY_REVIEWED)
    assert event.actor == world.users[reviewer]
    assert event.detail == {"justified": False}


def test_nobody_reviews_their_own_emergency_access(world: World, lan_person: Person) -> None:
    """A supervisor who broke the glass cannot mark it justified."""
    hoa = world.users["hoa"]
    other_person = lan_person
    # hoa sees everyone in the province already, so use the action directly on a grant of hers.
    grant = EmergencyAccess(
        user=hoa,
        person=other_person,
        granted_at=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=4),
    )
    grant.reason = REASON
    grant.save()
    with pytest.raises(ValidationError):
        actions.emergency_access_review(actor=hoa, grant=grant, justified=True)
    grant.refresh_from_db()
    assert grant.reviewed_at is None


def test_renewed_emergency_access_after_expiry(world: World, lan_person: Person) -> None:
    """A second emergency access to the same person after the first expired works again."""
    _request(world, lan_person)
    past = timezone.now() - timedelta(minutes=1)
    EmergencyAccess.objects.update(expires_at=past, granted_at=past - timedelta(hours=4))
    PersonUserObjectPermission.objects.update(expires_at=past)
    CaseUserObjectPermission.objects.update(expires_at=past)
    assert _request(world, lan_person).status_code == 302  # type: ignore[attr-defined]
    url = reverse("cases:person_detail", args=[lan_person.pk])
    assert world.client("tuan").get(url).status_code == 200
    assert EmergencyAccess.objects.count() == 2


@pytest.mark.parametrize("citizen_id", ["010191000123", "001099012345"])
def test_the_form_is_no_silent_register_oracle(
    world: World, lan_person: Person, citizen_id: str
) -> None:
    """ASVS 8.2.x: without a proper reason the answer is the same whether or not the number is
    on file; with one, a lookup that finds nobody is recorded all the same."""
    client = world.client("tuan")
    url = reverse("cases:emergency_request")
    short = client.post(url, {"citizen_id": citizen_id, "reason": "x"}).content.decode()
    assert "ít nhất 20 ký tự" in short
    assert "Không có ai được đăng ký" not in short
    assert not Event.objects.filter(action=CaseAction.SEARCH).exists()
    client.post(url, {"citizen_id": citizen_id, "reason": REASON})
    found = citizen_id == lan_person.citizen_id
    if found:
        assert Event.objects.filter(action=CaseAction.EMERGENCY_ACCESS).count() == 1
    else:
        event = Event.objects.get(action=CaseAction.SEARCH)
        assert event.detail == {"kind": "emergency_citizen_id", "found": 0}
        assert event.reason == REASON


def test_a_review_cannot_be_overwritten(world: World, lan_person: Person) -> None:
    _request(world, lan_person)
    grant = EmergencyAccess.objects.get()
    url = reverse("cases:emergency_review", args=[grant.pk])
    world.client("an").post(url, {"justified": "no", "confirm": "on", "note": "Không có căn cứ"})
    world.client("hoa").post(url, {"justified": "yes"})
    grant.refresh_from_db()
    assert grant.justified is False
    assert grant.reviewed_by == world.users["an"]
    assert Event.objects.filter(action=CaseAction.EMERGENCY_REVIEWED).count() == 1


@pytest.mark.parametrize("typed", ["không rõ", "%", "Trần Thị Bình"])
def test_a_citizen_id_without_digits_opens_nobody(
    world: World, lan_person: Person, typed: str
) -> None:
    """ASVS 2.2.1, 8.2.2: text with no digits is a form error, never a lookup of "no number"
    that opens (and breaks the glass on) someone registered without a citizen ID."""
    from tests.factories import make_person

    make_person(
        full_name="Người Không Giấy Tờ",
        citizen_id="",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
    )
    response = world.client("tuan").post(
        reverse("cases:emergency_request"), {"citizen_id": typed, "reason": REASON}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["citizen_id"] == ["Số cần tìm không có chữ số nào: hãy nhập đủ các chữ số."]
    assert form["citizen_id"].value() == typed
    assert not EmergencyAccess.objects.exists()
    assert not PersonUserObjectPermission.objects.exists()
    with pytest.raises(ValidationError):
        actions.emergency_access_request(actor=world.users["tuan"], citizen_id=typed, reason=REASON)
    assert not EmergencyAccess.objects.exists()
