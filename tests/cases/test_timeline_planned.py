"""Scheduled appointments and goals in progress are what is planned: the case page shows
them apart, under "Coming up" (soonest and overdue first), not among what happened."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from cases import timeline
from cases.models import Case, Person, PlanGoal
from tests.conftest import World

TODAY = timezone.localdate()


def test_scheduled_appointments_and_open_goals_are_planned(
    world: World, lan_person: Person
) -> None:
    lan = world.users["lan"]
    case = Case.objects.get(person=lan_person)
    day = datetime.timedelta(days=1)

    def meeting(on: datetime.date, status: str) -> Appointment:
        return Appointment.objects.create(
            case=case, starts_on=on, place="Trạm y tế", staff=lan, created_by=lan, status=status
        )

    def goal(due: datetime.date, status: str) -> PlanGoal:
        return PlanGoal.objects.create(
            case=case,
            need="Thiếu việc làm",
            goal="Có việc làm",
            actions="Học nghề",
            responsible=lan,
            due_on=due,
            status=status,
            created_by=lan,
        )

    coming = meeting(TODAY + 3 * day, "scheduled")
    late = meeting(TODAY - 2 * day, "scheduled")  # never recorded as done: overdue
    done = meeting(TODAY - 5 * day, "done")
    open_goal = goal(TODAY + 10 * day, "open")
    met_goal = goal(TODAY - 1 * day, "achieved")

    happened, planned = timeline.split(timeline.for_case(viewer=lan, case=case))

    def url(row: object) -> str:
        name = "appointments:appointment_detail" if isinstance(row, Appointment) else None
        return reverse(name or "cases:goal_detail", args=[row.pk])  # type: ignore[attr-defined]

    assert [e.url for e in planned] == [url(late), url(coming), url(open_goal)]
    assert [e.overdue for e in planned] == [True, False, False]
    assert {url(done), url(met_goal)} <= {e.url for e in happened}
    assert not {url(late), url(coming), url(open_goal)} & {e.url for e in happened}

    page = world.client("lan").get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    coming_up = page[page.index('data-testid="planned"') :]
    coming_up = coming_up[: coming_up.index("</section>")]
    for row in (late, coming, open_goal):
        assert url(row) in coming_up
    assert url(done) not in coming_up and url(met_goal) not in coming_up
