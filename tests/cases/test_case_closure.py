"""Closing and re-opening a case (issue 28 item 2, decision D45).

A caseworker asks to close with a reason and a summary; for the categories in
``CASE_CLOSURE_APPROVAL_CATEGORIES`` (addiction and post-rehab by default) the case closes
only when a supervisor of the holding organisation's area approves. The approval flow is
tried for each role: a caseworker (the asker or a teammate) cannot approve, a supervisor of
another area cannot, the asker cannot approve their own request even holding a supervisor's
role too; each refusal is a 403 or 404 AND a ``denied`` event. The status never changes
through the case form. Re-opening keeps the one opening date (docs/indicators.md).
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import Event
from cases import access, closure
from cases.choices import CaseStatus, Role
from cases.events import CaseAction
from cases.models import Case, CaseClosure, Person, StaffProfile
from cases.roles import staff_profile_save
from tests.cases.test_case_views import _case_form
from tests.conftest import World, signed_in_client
from tests.factories import make_case, make_person, make_user

SUMMARY = "Anh ấy đã hoàn thành điều trị, có việc làm ổn định tại xưởng mộc"
REFUSAL = "Chưa có quyết định của Tòa án về việc chấm dứt"
TODAY = timezone.localdate()


def _case(person: Person) -> Case:
    return Case.objects.get(person=person)


def _ask(world: World, case: Case, who: str = "lan") -> Any:
    url = reverse("cases:case_close", args=[case.pk])
    data = {"reason": "goals_met", "closed_on": TODAY.strftime("%d/%m/%Y"), "summary": SUMMARY}
    return world.client(who).post(url, data)


def _decide(world: World, row: CaseClosure, who: str, decision: str, reason: str = "") -> Any:
    client = world.client(who)
    client.raise_request_exception = False
    url = reverse("cases:closure_decide", args=[row.pk])
    return client.post(url, {"decision": decision, "reason": reason})


def _denials(user: User, row: CaseClosure, reason: str = "") -> int:
    events = Event.objects.filter(action=CaseAction.DENIED, actor=user)
    return sum(
        1
        for event in events
        if event.object_id == str(row.pk)
        and (not reason or (event.detail or {}).get("reason") == reason)
    )


def _supervisor(world: World, name: str, scope: str, **extra: Any) -> User:
    user = make_user(name)
    role = extra.pop("role", Role.SUPERVISOR)
    org = extra.pop("organisation", world.orgs["social"])
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=user, organisation=org, role=role, scope_unit=world.units[scope], **extra
        ),
    )
    return user


@pytest.fixture
def pending(world: World, lan_person: Person) -> CaseClosure:
    """Lan asked to close her addiction case (a category that needs approval)."""
    assert _ask(world, _case(lan_person)).status_code == 302
    return CaseClosure.objects.get()


def test_an_addiction_case_waits_for_approval_and_the_areas_supervisor_approves(
    world: World, pending: CaseClosure
) -> None:
    case = pending.case
    assert pending.status == "pending" and pending.requested_by == world.users["lan"]
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.closed_on is None
    page = world.client("lan").get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="closure-pending"' in page and 'data-testid="close-case"' not in page
    queue = world.client("hoa").get(reverse("cases:closure_queue")).content.decode()
    assert reverse("cases:closure_detail", args=[pending.pk]) in queue
    response = _decide(world, pending, "hoa", "approve")
    assert response.status_code == 302
    case.refresh_from_db()
    pending.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_on == TODAY
    assert pending.status == "approved" and pending.decided_by == world.users["hoa"]
    actions = set(Event.objects.values_list("action", flat=True))
    assert {"caseclosure_added", "caseclosure_approved", "case_closed"} <= actions


def test_the_supervisor_refuses_with_a_reason_and_the_case_stays_open(
    world: World, pending: CaseClosure
) -> None:
    response = _decide(world, pending, "hoa", "refuse")
    assert response.status_code == 200  # no reason: explained, nothing decided
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert _decide(world, pending, "hoa", "refuse", REFUSAL).status_code == 302
    pending.refresh_from_db()
    assert pending.status == "refused" and pending.refusal == REFUSAL
    assert pending.case.status == CaseStatus.OPEN
    assert Event.objects.filter(action="caseclosure_refused").count() == 1
    # A new request may then be made.
    assert _ask(world, pending.case).status_code == 302
    assert CaseClosure.objects.filter(status="pending").count() == 1


@pytest.mark.parametrize("who", ["lan", "mai", "minh"])
def test_caseworkers_and_commune_officers_cannot_approve_a_closing(
    world: World, pending: CaseClosure, who: str
) -> None:
    """ASVS 5.0 8.2.1, 8.2.2: approving a closing is a supervisor's function; the asker, a
    teammate and the commune officer who see the case are refused (403) and it is logged."""
    response = _decide(world, pending, who, "approve")
    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.status == "pending" and pending.case.status == CaseStatus.OPEN
    assert _denials(world.users[who], pending, "own_request" if who == "lan" else "not_decider")
    assert world.client(who).get(reverse("cases:closure_queue")).status_code == 403


@pytest.mark.parametrize("who", ["an", "quan", "tuan"])
def test_roles_without_the_case_cannot_even_see_the_request(
    world: World, pending: CaseClosure, who: str
) -> None:
    """ASVS 5.0 8.2.2: the auditor, the administrator and another clinic's caseworker get
    404 on the request (existence not told), logged."""
    assert _decide(world, pending, who, "approve").status_code == 404
    assert _denials(world.users[who], pending) == 1
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_a_supervisor_of_another_area_who_sees_the_person_cannot_approve(
    world: World,
) -> None:
    """ASVS 5.0 8.2.2, 8.3.1: a district 982 supervisor sees a person living in 982 whose
    case clinic A (district 981) holds, but only the holder's area decides its closing:
    403 and a denial. Fails if ``closures_to_decide`` stops filtering by the holder's unit."""
    hung = _supervisor(world, "hung", "d2")
    person = make_person(residence_commune=world.units["c3"], registered_by=world.orgs["clinic_a"])
    case = make_case(person=person, organisation=world.orgs["clinic_a"])
    assert _ask(world, case).status_code == 302
    row = CaseClosure.objects.get()
    assert access.visible_cases(hung).filter(pk=case.pk).exists()  # he does see the case
    other = signed_in_client(hung)
    other.raise_request_exception = False
    url = reverse("cases:closure_decide", args=[row.pk])
    assert other.post(url, {"decision": "approve"}).status_code == 403
    assert _denials(hung, row, "not_decider") == 1
    assert not access.closures_to_decide(hung).exists()
    row.refresh_from_db()
    assert row.status == "pending"
    assert access.closures_to_decide(world.users["hoa"]).filter(pk=row.pk).exists()


def test_the_asker_cannot_approve_their_own_request_even_as_a_supervisor(
    world: World, lan_person: Person
) -> None:
    """ASVS 5.0 8.2.3 (separation of duties), 2.3.5 (multi-user approval): a caseworker who
    also holds a supervisor's role asks, then tries to approve: refused and logged, by the
    access layer (``closures_to_decide`` excludes one's own requests) and by the action."""
    ba = _supervisor(
        world,
        "ba",
        "d1",
        role=Role.CASEWORKER,
        second_role=Role.SUPERVISOR,
        allow_second_role=True,
        organisation=world.orgs["clinic_a"],
    )
    case = _case(lan_person)
    row = closure.case_close(
        actor=ba,
        case=case,
        closure=CaseClosure(reason="goals_met", closed_on=TODAY, summary=SUMMARY),
    )
    assert row.status == "pending"
    assert not access.closures_to_decide(ba).filter(pk=row.pk).exists()
    with pytest.raises(PermissionDenied):
        closure.closure_decide(actor=ba, closure=row, approve=True)
    assert _denials(ba, row, "own_request") == 1
    row.refresh_from_db()
    assert row.status == "pending"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.OPEN


def test_a_category_without_approval_closes_at_once_and_the_setting_decides(
    world: World, lan_person: Person, settings: Any
) -> None:
    case = _case(lan_person)
    Case.objects.filter(pk=case.pk).update(category="high_risk")
    case.refresh_from_db()
    assert not closure.needs_approval(case)
    assert _ask(world, case).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert CaseClosure.objects.get().status == "done"
    settings.CASE_CLOSURE_APPROVAL_CATEGORIES = ["high_risk"]
    assert closure.needs_approval(case)


def test_the_case_form_cannot_change_the_status(world: World, lan_person: Person) -> None:
    """Closing without a reason, a summary and the approval would bypass all three."""
    case = _case(lan_person)
    data = _case_form(world, status="closed", closed_on=TODAY.strftime("%d/%m/%Y"))
    data["version"] = str(case.version)
    response = world.client("lan").post(reverse("cases:case_edit", args=[case.pk]), data)
    assert response.status_code == 200
    assert "status" in response.context["form"].errors
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_reopening_needs_a_reason_and_keeps_the_opening_date(
    world: World, lan_person: Person
) -> None:
    case = _case(lan_person)
    Case.objects.filter(pk=case.pk).update(category="high_risk")
    _ask(world, case)
    case.refresh_from_db()
    opened = case.opened_on
    url = reverse("cases:case_reopen", args=[case.pk])
    client = world.client("lan")
    assert client.post(url, {"summary": ""}).status_code == 200
    assert (
        client.post(url, {"summary": "Tái sử dụng, gia đình đề nghị hỗ trợ lại"}).status_code == 302
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.closed_on is None and case.opened_on == opened
    assert case.history.filter(status=CaseStatus.CLOSED).exists()  # the closed spell stays
    assert Event.objects.filter(action="case_reopened").count() == 1
    assert CaseClosure.objects.filter(kind="reopen", status="done").count() == 1


def test_an_outsider_cannot_ask_to_close(world: World, lan_person: Person) -> None:
    """ASVS 5.0 8.2.2: another clinic's caseworker gets 404 and a denial; nothing is asked."""
    client = world.client("tuan")
    client.raise_request_exception = False
    assert _ask(world, _case(lan_person), "tuan").status_code == 404
    assert not CaseClosure.objects.exists()
    assert Event.objects.filter(action=CaseAction.DENIED, actor=world.users["tuan"]).exists()


def test_the_summary_and_the_refusal_are_encrypted_at_rest(
    world: World, pending: CaseClosure
) -> None:
    """ASVS 5.0 14.2.4: free text about the person is stored encrypted."""
    _decide(world, pending, "hoa", "refuse", REFUSAL)
    with connection.cursor() as cursor:
        cursor.execute("SELECT summary, refusal FROM cases_caseclosure WHERE id = %s", [pending.pk])
        summary, refusal = cursor.fetchone()
    assert summary and "xưởng mộc" not in summary
    assert refusal and "Tòa án" not in refusal


def test_a_closing_date_before_the_opening_is_explained(world: World, lan_person: Person) -> None:
    case = _case(lan_person)
    before = (case.opened_on - datetime.timedelta(days=3)).strftime("%d/%m/%Y")
    url = reverse("cases:case_close", args=[case.pk])
    response = world.client("lan").post(
        url, {"reason": "goals_met", "closed_on": before, "summary": SUMMARY}
    )
    assert response.status_code == 200
    assert SUMMARY in response.content.decode()
    assert not CaseClosure.objects.exists()


def test_the_deciding_supervisors_are_told_of_a_waiting_closing_and_the_asker_of_the_decision(
    world: World, lan_person: Person
) -> None:
    """The supervisors who may decide (of the holder's area, never the asker) get a
    notification naming no one; another area's supervisor, who sees the person, gets none.
    The decision is told to the asker. Fails if the recipients stop following
    ``closures_to_decide``'s rule (``access.closure_deciders``)."""
    from notifications.models import Notification

    hung = _supervisor(world, "hung", "d2")  # another district: sees no closing of clinic A's
    case = _case(lan_person)
    assert _ask(world, case).status_code == 302
    row = CaseClosure.objects.get()
    told = Notification.objects.filter(verb="caseclosure_waiting")
    assert {n.recipient for n in told} == {world.users["hoa"]}
    assert set(access.closure_deciders(row)) == {world.users["hoa"]}
    assert not Notification.objects.filter(recipient__in=[hung, world.users["lan"]]).exists()
    text = told.get().text
    assert told.get().url == reverse("cases:closure_detail", args=[row.pk])
    person = Person.objects.get(pk=lan_person.pk)
    for secret in (person.full_name, person.citizen_id, str(case.pk)[:8], str(row.pk)[:8]):
        assert not secret or str(secret).lower() not in text.lower()

    assert _decide(world, row, "hoa", "refuse", REFUSAL).status_code == 302
    decided = Notification.objects.get(verb="caseclosure_decided")
    assert decided.recipient == world.users["lan"]
    assert REFUSAL not in decided.text and person.full_name not in decided.text
    assert decided.url == reverse("cases:closure_detail", args=[row.pk])


def test_closure_deciders_follow_the_rule_for_each_role(world: World, lan_person: Person) -> None:
    """A supervisor of the province or the district decides; a supervisor deactivated, one of
    another district, and the caseworkers do not."""
    case = _case(lan_person)
    assert _ask(world, case).status_code == 302
    row = CaseClosure.objects.get()
    district = _supervisor(world, "dung", "d1")
    _supervisor(world, "hung", "d2")
    gone = _supervisor(world, "giang", "d1")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    deciders = set(access.closure_deciders(row))
    assert deciders == {world.users["hoa"], district}
    for user in deciders:
        assert access.closures_to_decide(user).filter(pk=row.pk).exists()


def test_closure_deciders_ask_only_the_area_s_supervisors(
    world: World, lan_person: Person, django_assert_max_num_queries: Any
) -> None:
    """The rule is asked of the area's active supervisors only (not of every caseworker, an
    inactive or a far supervisor, or the asker): a bounded number of queries, whatever the
    staff elsewhere. Fails if a narrowing filter of ``closure_deciders`` is dropped."""
    case = _case(lan_person)
    assert _ask(world, case).status_code == 302
    row = CaseClosure.objects.select_related("case__organisation__unit").get()
    for n in range(4):
        _supervisor(world, f"far{n}", "d2")
        gone = _supervisor(world, f"gone{n}", "d1")
        User.objects.filter(pk=gone.pk).update(is_active=False)
        worker = _supervisor(world, f"worker{n}", "d1", role=Role.CASEWORKER)
        assert worker  # a caseworker of the area
    # hoa alone is asked: the candidates' query, then her profile, roles and the rule.
    with django_assert_max_num_queries(6):
        assert access.closure_deciders(row) == [world.users["hoa"]]
