"""Reads of the programme records, scoped by the reader's unit (D48).

A supervisor or administrator reaches the courses, volunteers, activities and planned
activities of their scope unit's subtree, and changes the same ones. Anything else, or a
malformed id, is recorded as a denial and answers 404. Reading a course's attendees (names
of people without an account among them) is recorded as a read.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from accounts.capabilities import can
from accounts.models import User
from audit.reads import record_read
from cases import access
from cases.capabilities import WRITE_ROLES
from cases.choices import UnitLevel
from cases.models import AdministrativeUnit
from reports.models import Plan
from reports.plans import ancestor_paths

from .capabilities import PROGRAMME_CHANGE, PROGRAMME_VIEW
from .events import ProgrammeAction
from .models import Activity, Attendance, Course, PlannedActivity, Topic, Volunteer

Scope = Literal["view", "change"]


def scope_unit(user: access.AnyUser, scope: Scope = "view") -> AdministrativeUnit | None:
    """Return the unit whose subtree the user reaches, or None without the capability."""
    profile = access.profile_of(user)
    if profile is None or not can(user, PROGRAMME_CHANGE if scope == "change" else PROGRAMME_VIEW):
        return None
    return profile.scope_unit


def _in_scope[M: Model](
    user: access.AnyUser, rows: QuerySet[M], path: str, scope: Scope
) -> QuerySet[M]:
    unit = scope_unit(user, scope)
    if unit is None:
        return rows.none()
    return rows.filter(**{f"{path}__path__startswith": unit.path})


def courses_for(user: access.AnyUser, scope: Scope = "view") -> QuerySet[Course]:
    """Return the courses of the user's area."""
    rows = Course.objects.select_related("topic", "unit")
    return _in_scope(user, rows, "unit", scope)


def volunteers_for(user: access.AnyUser, scope: Scope = "view") -> QuerySet[Volunteer]:
    """Return the registered volunteers of the user's area."""
    return _in_scope(user, Volunteer.objects.select_related("unit"), "unit", scope)


def activities_for(user: access.AnyUser, scope: Scope = "view") -> QuerySet[Activity]:
    """Return the communication activities held in the communes of the user's area."""
    return _in_scope(user, Activity.objects.select_related("commune"), "commune", scope)


def planned_for(user: access.AnyUser, scope: Scope = "view") -> QuerySet[PlannedActivity]:
    """Return the planned activities of units of the user's area."""
    rows = PlannedActivity.objects.select_related("plan", "unit")
    return _in_scope(user, rows, "unit", scope)


def _uuid(value: Any) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        return None


def _one[M: Model](user: access.AnyUser, rows: QuerySet[M], pk: Any, kind: str, scope: Scope) -> M:
    wanted = _uuid(pk)
    found = rows.filter(pk=wanted).first() if wanted else None
    if found is None:
        access.deny(user, f"programme.{scope}", object_type=kind, object_id=str(pk))
        raise Http404
    return found


def course_for_user(user: access.AnyUser, course_id: Any, scope: Scope = "view") -> Course:
    """Return the course if the user reaches it, else record a denial and 404."""
    return _one(user, courses_for(user, scope), course_id, "course", scope)


def volunteer_for_user(user: access.AnyUser, volunteer_id: Any, scope: Scope = "view") -> Volunteer:
    """Return the volunteer if the user reaches them, else record a denial and 404."""
    return _one(user, volunteers_for(user, scope), volunteer_id, "volunteer", scope)


def activity_for_user(user: access.AnyUser, activity_id: Any, scope: Scope = "view") -> Activity:
    """Return the activity if the user reaches it, else record a denial and 404."""
    return _one(user, activities_for(user, scope), activity_id, "activity", scope)


def planned_for_user(
    user: access.AnyUser, planned_id: Any, scope: Scope = "view"
) -> PlannedActivity:
    """Return the planned activity if the user reaches it, else record a denial and 404."""
    return _one(user, planned_for(user, scope), planned_id, "plannedactivity", scope)


def attendance_for_user(
    user: access.AnyUser, attendance_id: Any, scope: Scope = "change"
) -> Attendance:
    """Return the attendance if the user reaches its course, else record a denial and 404."""
    rows = Attendance.objects.filter(course__in=courses_for(user, scope)).select_related("course")
    return _one(user, rows, attendance_id, "attendance", scope)


def course_attendees(*, viewer: User, course: Course) -> list[Attendance]:
    """Return the course's attendees (names decrypted), recording the read."""
    rows = list(
        course.attendances.select_related("user", "volunteer", "unit").order_by("created_at")
    )
    record_read(
        actor=viewer,
        action=ProgrammeAction.COURSE_READ,
        object_type="course",
        object_id=str(course.pk),
        detail={"attendees": len(rows)},
    )
    return rows


def volunteer_list(*, viewer: User, limit: int) -> list[Volunteer]:
    """Return the newest volunteers of the viewer's area (names decrypted), recording the
    list when it names anyone."""
    rows = list(volunteers_for(viewer).order_by("-registered_on")[:limit])
    if rows:
        record_read(
            actor=viewer,
            action=ProgrammeAction.VOLUNTEERS_LISTED,
            object_type="volunteer",
            detail={"count": len(rows)},
        )
    return rows


def units_for(user: access.AnyUser) -> QuerySet[AdministrativeUnit]:
    """Return the units the user may file a record under: their scope unit and below."""
    unit = scope_unit(user, "change")
    if unit is None:
        return AdministrativeUnit.objects.none()
    return AdministrativeUnit.objects.filter(path__startswith=unit.path, is_active=True)


def communes_for(user: access.AnyUser) -> QuerySet[AdministrativeUnit]:
    """Return the communes of the user's area (where an activity is held)."""
    return units_for(user).filter(level=UnitLevel.COMMUNE)


def topics() -> QuerySet[Topic]:
    """Return the training topics in use."""
    return Topic.objects.filter(is_active=True)


def staff_for(user: access.AnyUser) -> QuerySet[User]:
    """Return the staff accounts of the user's area (scope unit or organisation in it)."""
    unit = scope_unit(user, "change")
    if unit is None:
        return User.objects.none()
    return (
        User.objects.filter(is_active=True, is_service_account=False, staff__isnull=False)
        .filter(
            Q(staff__scope_unit__path__startswith=unit.path)
            | Q(staff__organisation__unit__path__startswith=unit.path)
        )
        .order_by("last_name", "first_name", "username")
    )


def plans_for(user: access.AnyUser) -> QuerySet[Plan]:
    """Return the plans a planned activity of the user's area may belong to: those of the
    user's units and of the units above them."""
    unit = scope_unit(user, "change")
    if unit is None:
        return Plan.objects.none()
    where = Q(unit__path__startswith=unit.path) | Q(unit__path__in=ancestor_paths(unit.path))
    return Plan.objects.filter(where).select_related("unit")


def case_staff_roles() -> tuple[str, ...]:
    """Return the roles that make a staff member "doing treatment / post-rehab work"."""
    return tuple(str(role) for role in WRITE_ROLES)
