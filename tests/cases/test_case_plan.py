"""The case plan (issue 28 item 2, decision D45): goals added from the case page, reviewed,
encrypted at rest, scoped by their case, and feeding the due list (the review date and the
actions' due date, for the responsible person) on the "my work" start page.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import Event
from cases import dues
from cases.events import CaseAction
from cases.models import Case, Person, PlanGoal
from tests.conftest import World

TODAY = timezone.localdate()
NEED = "Mất việc, nợ tiền, có nguy cơ tái sử dụng ma túy"
GOAL = "Có việc làm ổn định trong ba tháng"
ACTIONS = "Giới thiệu lớp học nghề mộc; gặp gia đình hai tuần một lần"


def _d(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def _case(person: Person) -> Case:
    return Case.objects.get(person=person)


def _form(world: World, **changes: Any) -> dict[str, Any]:
    data = {
        "need": NEED,
        "goal": GOAL,
        "actions": ACTIONS,
        "responsible": str(world.users["lan"].pk),
        "due_on": _d(TODAY + datetime.timedelta(days=20)),
        "review_on": _d(TODAY + datetime.timedelta(days=3)),
    }
    return data | changes


def _items(world: World, who: str, goal: PlanGoal) -> list[dues.DueItem]:
    items = dues.due_for(viewer=world.users[who], until=goal.due_on)
    return [item for item in items if item.record == goal]


@pytest.fixture
def goal(world: World, lan_person: Person) -> PlanGoal:
    url = reverse("cases:goal_add", args=[_case(lan_person).pk])
    assert world.client("lan").post(url, _form(world)).status_code == 302
    return PlanGoal.objects.get()


def test_a_goal_added_from_the_case_page_is_on_the_plan(world: World, goal: PlanGoal) -> None:
    assert goal.created_by == world.users["lan"] and goal.status == "open"
    assert Event.objects.filter(action="plangoal_added", actor=world.users["lan"]).count() == 1
    page = world.client("lan").get(reverse("cases:case_detail", args=[goal.case_id]))
    html = page.content.decode()
    assert 'data-testid="case-plan"' in html and GOAL in html
    assert reverse("cases:goal_add", args=[goal.case_id]) in html  # the "Add…" entry


def test_the_need_goal_and_actions_are_encrypted_at_rest(goal: PlanGoal) -> None:
    """ASVS 5.0 14.2.4: free text about the person is stored encrypted (raw columns)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT need, goal, actions FROM cases_plangoal WHERE id = %s", [goal.pk])
        row = cursor.fetchone()
        cursor.execute("SELECT goal FROM cases_historicalplangoal WHERE id = %s", [goal.pk])
        (history,) = cursor.fetchone()
    for raw in (*row, history):
        assert raw and "ma túy" not in raw and "việc làm" not in raw and "mộc" not in raw


def test_the_review_date_and_the_actions_due_date_feed_the_due_list(
    world: World, goal: PlanGoal
) -> None:
    lan = world.users["lan"]
    case = goal.case
    case.refresh_from_db()
    assert case.next_due_on == goal.review_on  # the earliest of the two
    items = dues.due_for(viewer=lan, until=TODAY + datetime.timedelta(days=30))
    assert sorted(item.due_on for item in items if item.record == goal) == [
        goal.review_on,
        goal.due_on,
    ]
    start = world.client("lan").get(reverse("cases:my_work")).content.decode()
    assert reverse("cases:goal_detail", args=[goal.pk]) in start
    # Nobody else's due list: mai is not responsible.
    assert not [
        i for i in dues.due_for(viewer=world.users["mai"], until=goal.due_on) if i.record == goal
    ]


def test_reviewing_a_goal_records_the_review_and_achieved_leaves_the_due_list(
    world: World, goal: PlanGoal
) -> None:
    url = reverse("cases:goal_review", args=[goal.pk])
    client = world.client("lan")
    review = {
        "status": "open",
        "review_note": "Đã đi học nghề được hai buổi",
        "reviewed_on": _d(TODAY),
        "review_on": "",
        "due_on": _d(goal.due_on),
        "version": goal.version,
    }
    bad = client.post(url, review)
    assert bad.status_code == 200 and "review_on" in bad.context["form"].errors
    assert "Đã đi học nghề được hai buổi" in bad.content.decode()  # input kept
    assert client.post(url, review | {"status": "achieved"}).status_code == 302
    goal.refresh_from_db()
    assert goal.status == "achieved" and goal.reviewed_on == TODAY
    assert goal.history.count() == 2
    assert Event.objects.filter(action="plangoal_changed").count() == 1
    assert not [
        i for i in dues.due_for(viewer=world.users["lan"], until=goal.due_on) if i.record == goal
    ]
    goal.case.refresh_from_db()
    assert goal.case.next_due_on is None


def test_an_outsider_cannot_read_or_review_a_goal(
    world: World, goal: PlanGoal, tuan_person: Person
) -> None:
    """ASVS 5.0 8.2.2: another clinic's caseworker gets 404 on the goal and its review,
    logged; the supervisor reads and does not write (the review page: 404, logged)."""
    for who, name in (("tuan", "goal_detail"), ("tuan", "goal_review"), ("hoa", "goal_review")):
        client = world.client(who)
        client.raise_request_exception = False
        response = client.post(reverse(f"cases:{name}", args=[goal.pk]), {"status": "dropped"})
        assert response.status_code in (404, 405)
    assert world.client("hoa").get(reverse("cases:goal_detail", args=[goal.pk])).status_code == 200
    assert Event.objects.filter(action=CaseAction.DENIED, actor=world.users["tuan"]).count() >= 1
    assert Event.objects.filter(action=CaseAction.DENIED, actor=world.users["hoa"]).count() == 1
    goal.refresh_from_db()
    assert goal.status == "open"
