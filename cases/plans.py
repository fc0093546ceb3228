"""The case plan (issue 28 item 2, D45): goals with their need, agreed actions, responsible
person, due date and review date.

A goal is a record type added through the one recipe (``cases.records``): scoped by its
case, shown only to viewers who see the whole case (no referral part shares it), versioned,
on the timeline and in the case page's "Add…" menu. Its open rows feed the due list twice:
the review date (through the recipe) and the actions' due date (a second due source), both
for the responsible person. Reviewing a goal is a change of the row: the history keeps
every review.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.editing import IfVersion

from . import access, dues, records
from .models import Case, PlanGoal
from .plan_models import GoalStatus

OPEN = Q(status=GoalStatus.OPEN)

PLAN = records.RecordType(
    model=PlanGoal,
    name="plangoal",  # events plangoal_added/_changed, verbs plangoal.add/.change
    label=_("Plan goal"),
    added=_("Added a goal to a case plan"),
    changed=_("Changed or reviewed a plan goal"),
    date_field="due_on",
    # The goal's status only: the need, goal and actions are free text about the person.
    title=lambda goal: GoalStatus(goal.status).label,
    detail_url="cases:goal_detail",
    add_url="cases:goal_add",
    part="",  # the plan is the whole case's: no referral part shares it
    due=records.Due(open=OPEN, due_field="review_on"),
    # A goal in progress is planned, by its actions' due date (D55).
    planned=lambda goal: goal.status == GoalStatus.OPEN,
    # The API (D58): read; goals are added and reviewed on the case plan's pages.
    api=records.Api(
        path="plan-goals",
        id_param="goal_id",
        fields=(
            "need",
            "goal",
            "actions",
            "responsible",
            "due_on",
            "review_on",
            "status",
            "reviewed_on",
            "review_note",
        ),
    ),
)


def register() -> None:
    """Wire the plan: the record type, and the actions' due date as a second due source."""
    records.register(PLAN)
    dues.register(
        PlanGoal,
        open=OPEN,
        label=lambda goal: format_lazy("{}: {}", PLAN.label, _("actions due")),
        url=PLAN.url,
        due_field="due_on",
    )


def plan_of(*, viewer: access.AnyUser, case: Case) -> QuerySet[PlanGoal] | None:
    """Return the case's goals for its page (open first, by due date), or None when the
    viewer does not see the whole case (a referral's receiver)."""
    if not isinstance(access.parts_visible(viewer, case), access.AllParts):
        return None
    rows = access.visible(viewer, PlanGoal).filter(case_id=case.pk)
    return rows.select_related("responsible").order_by("-status", "due_on")


def plangoal_add(*, actor: access.AnyUser, goal: PlanGoal) -> PlanGoal:
    """Save a new goal on its case, and record it."""
    goal.created_by = actor  # type: ignore[assignment]
    goal.status = GoalStatus.OPEN
    return PLAN.save(actor=actor, instance=goal)


def plangoal_change(*, actor: access.AnyUser, goal: PlanGoal, if_version: IfVersion) -> PlanGoal:
    """Save a changed or reviewed goal (opened at ``if_version``), and record it."""
    return PLAN.save(actor=actor, instance=goal, if_version=if_version)
