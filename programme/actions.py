"""Writes of the programme records: checked against the writer's area, saved through the
shared save step (validation, version check, history user, one event) in one transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import AnyUser
from audit import actions as audit
from audit.editing import save_edit
from core.editing import OVERRIDE, EditConflict, IfVersion

from . import selectors
from .events import ProgrammeAction
from .models import Activity, Attendance, Course, PlannedActivity, Volunteer


def _unit_within(actor: AnyUser, unit_id: int | None, field: str = "unit") -> None:
    """Refuse a unit outside the writer's area (a forged id)."""
    if unit_id is not None and not selectors.units_for(actor).filter(pk=unit_id).exists():
        raise ValidationError({field: _("Choose a unit within your area.")})


def course_save(*, actor: AnyUser, course: Course, if_version: IfVersion = OVERRIDE) -> Course:
    """Add a course, or change one the actor may change (refused with 404 otherwise)."""
    adding = course._state.adding
    if not adding:
        selectors.course_for_user(actor, course.pk, "change")
    return save_edit(
        actor=actor,
        instance=course,
        action=ProgrammeAction.COURSE_ADDED if adding else ProgrammeAction.COURSE_CHANGED,
        if_version=if_version,
        checks=[lambda c: _unit_within(actor, c.unit_id)],
        detail={"unit": course.unit_id, "topic": course.topic_id, "audience": course.audience},
    )


def volunteer_save(
    *, actor: AnyUser, volunteer: Volunteer, if_version: IfVersion = OVERRIDE
) -> Volunteer:
    """Register a volunteer, or change one the actor may change (404 otherwise)."""
    adding = volunteer._state.adding
    if not adding:
        selectors.volunteer_for_user(actor, volunteer.pk, "change")
    return save_edit(
        actor=actor,
        instance=volunteer,
        action=ProgrammeAction.VOLUNTEER_ADDED if adding else ProgrammeAction.VOLUNTEER_CHANGED,
        if_version=if_version,
        checks=[lambda v: _unit_within(actor, v.unit_id)],
        detail={"unit": volunteer.unit_id},  # never the name
    )


def _attendee_within(actor: AnyUser, attendance: Attendance) -> None:
    if (
        attendance.user_id is not None
        and not selectors.staff_for(actor).filter(pk=attendance.user_id).exists()
    ):
        raise ValidationError({"user": _("Choose a staff member of your area.")})
    if (
        attendance.volunteer_id is not None
        and not selectors.volunteers_for(actor, "change")
        .filter(pk=attendance.volunteer_id)
        .exists()
    ):
        raise ValidationError({"volunteer": _("Choose a volunteer of your area.")})
    _unit_within(actor, attendance.unit_id)


def attendee_add(*, actor: AnyUser, attendance: Attendance) -> Attendance:
    """Add an attendee to a course the actor may change (404 otherwise)."""
    course = selectors.course_for_user(actor, attendance.course_id, "change")
    attendance.course = course
    return save_edit(
        actor=actor,
        instance=attendance,
        action=ProgrammeAction.ATTENDEE_ADDED,
        if_version=OVERRIDE,
        checks=[lambda a: _attendee_within(actor, a)],
        detail={
            "course": str(course.pk),
            "role": attendance.role,
            "user": attendance.user_id,
            "volunteer": str(attendance.volunteer_id or ""),
        },
    )


def attendee_remove(*, actor: AnyUser, attendance: Attendance, if_version: IfVersion) -> None:
    """Remove an attendee (the history keeps the row), refusing a stale version."""
    selectors.attendance_for_user(actor, attendance.pk, "change")
    with transaction.atomic():
        current = Attendance.objects.select_for_update().filter(pk=attendance.pk).first()
        if current is None:
            raise ValidationError(_("This record no longer exists."))
        if isinstance(if_version, int) and current.version != if_version:
            raise EditConflict(current, if_version)
        audit.record(
            actor=actor,
            action=ProgrammeAction.ATTENDEE_REMOVED,
            obj=current,
            detail={"course": str(current.course_id), "role": current.role},
        )
        current._history_user = actor  # type: ignore[attr-defined]
        current.delete()


def activity_save(
    *, actor: AnyUser, activity: Activity, if_version: IfVersion = OVERRIDE
) -> Activity:
    """Add an activity, or change one the actor may change (404 otherwise)."""
    adding = activity._state.adding
    if not adding:
        selectors.activity_for_user(actor, activity.pk, "change")
    return save_edit(
        actor=actor,
        instance=activity,
        action=ProgrammeAction.ACTIVITY_ADDED if adding else ProgrammeAction.ACTIVITY_CHANGED,
        if_version=if_version,
        checks=[lambda a: _unit_within(actor, a.commune_id, "commune")],
        detail={"commune": activity.commune_id, "kind": activity.kind},
    )


def _plan_within(actor: AnyUser, planned: PlannedActivity) -> None:
    if not selectors.plans_for(actor).filter(pk=planned.plan_id).exists():
        raise ValidationError({"plan": _("Choose a plan of your area or above it.")})
    _unit_within(actor, planned.unit_id)


def planned_save(
    *, actor: AnyUser, planned: PlannedActivity, if_version: IfVersion = OVERRIDE
) -> PlannedActivity:
    """Add a planned activity, or change one the actor may change (404 otherwise)."""
    adding = planned._state.adding
    if not adding:
        selectors.planned_for_user(actor, planned.pk, "change")
    return save_edit(
        actor=actor,
        instance=planned,
        action=ProgrammeAction.PLANNED_ADDED if adding else ProgrammeAction.PLANNED_CHANGED,
        if_version=if_version,
        checks=[lambda p: _plan_within(actor, p)],
        detail={
            "plan": str(planned.plan_id),
            "unit": planned.unit_id,
            "kind": planned.kind,
            "quantity": planned.quantity,
        },
    )
