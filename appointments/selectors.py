"""Reads of appointments (D46): the start page's next 30 days, the day/week calendar, the
rows of a calendar file. Every list names the people it showed in one read event."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.capabilities import can
from audit.reads import record_read
from cases import access, timeline
from cases.capabilities import MY_WORK

from .models import Appointment, Status
from .records import EXPORTED, LISTED

UPCOMING_DAYS = 30
UPCOMING_SHOWN = 20
CALENDAR_ROWS = 500  # a week of one organisation's appointments fits well under this
# A calendar file covers this many days back (overdue ones) and ahead.
EXPORT_BACK_DAYS = 30
EXPORT_AHEAD_DAYS = 180
WHO = ("me", "org")


def _rows(viewer: access.AnyUser) -> QuerySet[Appointment]:
    rows = access.visible(viewer, Appointment).select_related("case__person", "staff")
    return rows.order_by("starts_on", "starts_at", "pk")


def _record_listed(viewer: access.AnyUser, rows: list[Appointment], page: str) -> None:
    people = sorted({str(row.case.person_id) for row in rows})
    record_read(actor=viewer, action=LISTED, detail={"list": page, "people": people})


def upcoming_for(*, viewer: access.AnyUser) -> list[Appointment]:
    """Return the viewer's own scheduled appointments up to 30 days ahead, overdue ones
    (past and not marked done or missed) first, as they come earliest."""
    until = timezone.localdate() + datetime.timedelta(days=UPCOMING_DAYS)
    rows = _rows(viewer).filter(
        staff_id=getattr(viewer, "pk", None), status=Status.SCHEDULED, starts_on__lte=until
    )
    found = list(rows[:UPCOMING_SHOWN])
    if found:  # a section that shows nobody reads nobody
        _record_listed(viewer, found, "start_page")
    return found


def start_section(viewer: access.AnyUser) -> timeline.PersonSection | None:
    """Return the start page's "appointments in the next 30 days" for a caseworker."""
    if not can(viewer, MY_WORK):
        return None
    return timeline.PersonSection(
        title=_("My appointments in the next 30 days"),
        template="appointments/includes/appointment_list.html",
        rows=upcoming_for(viewer=viewer),
        test_id="appointments",
    )


@dataclass(frozen=True)
class Calendar:
    first: datetime.date
    days: list[tuple[datetime.date, list[Appointment]]]
    who: str
    view: str
    previous: datetime.date
    following: datetime.date
    organisation: Any


def calendar(
    *, viewer: access.AnyUser, day: datetime.date, view: str = "week", who: str = "me"
) -> Calendar:
    """Return one day or one week (Monday first) of appointments: the viewer's own
    (``who="me"``) or those of every staff member of the viewer's organisation (``"org"``),
    among the appointments the viewer may see."""
    who = who if who in WHO else "me"
    length = 1 if view == "day" else 7
    first = day if length == 1 else day - datetime.timedelta(days=day.weekday())
    last = first + datetime.timedelta(days=length - 1)
    rows = _rows(viewer).filter(starts_on__range=(first, last))
    profile = access.profile_of(viewer)
    if who == "org" and profile is not None:
        rows = rows.filter(staff__staff__organisation_id=profile.organisation_id)
    else:
        rows = rows.filter(staff_id=getattr(viewer, "pk", None))
    found = list(rows[:CALENDAR_ROWS])
    _record_listed(viewer, found, f"calendar_{who}")
    step = datetime.timedelta(days=length)
    days = [first + datetime.timedelta(days=n) for n in range(length)]
    return Calendar(
        first=first,
        days=[(on, [row for row in found if row.starts_on == on]) for on in days],
        who=who,
        view="day" if length == 1 else "week",
        previous=first - step,
        following=first + step,
        organisation=profile.organisation if profile is not None else None,
    )


def for_calendar_file(*, viewer: access.AnyUser) -> list[Appointment]:
    """Return the viewer's own scheduled appointments for a calendar file, recording the
    export (ids and a count only: the file names nobody)."""
    today = timezone.localdate()
    rows = access.visible(viewer, Appointment).filter(
        staff_id=getattr(viewer, "pk", None),
        status=Status.SCHEDULED,
        starts_on__range=(
            today - datetime.timedelta(days=EXPORT_BACK_DAYS),
            today + datetime.timedelta(days=EXPORT_AHEAD_DAYS),
        ),
    )
    found = list(rows.order_by("starts_on", "starts_at", "pk")[:CALENDAR_ROWS])
    record_read(actor=viewer, action=EXPORTED, detail={"appointments": len(found)})
    return found
