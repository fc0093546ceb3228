"""Read the audit log for auditors: filtered events, exports and unusual-activity flags.

Figures are computed by the database (aggregates over indexed columns), never by loading
events into Python.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Func,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, ExtractHour, ExtractIsoWeekDay, TruncDate
from django.utils import timezone

from core import capabilities
from core.capabilities import can
from core.users import AnyAbstractUser

from . import chain, registry
from .capabilities import AUDIT_VIEW
from .models import Event, Seal

WORK_START, WORK_END = 7, 19  # local hours
VOLUME_FACTOR, VOLUME_FLOOR = 3, 20
DENIALS_PER_DAY = 5


def may_audit(viewer: AnyAbstractUser) -> bool:
    return can(viewer, AUDIT_VIEW)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def chain_waiting_since(*, viewer: AnyAbstractUser) -> datetime | None:
    """Return when the oldest event waiting too long for its link was written, for an auditor.

    None when nothing has waited longer than ``AUDIT_CHAIN_LAG_WARNING`` (or the viewer is
    not an auditor): the sequencer is keeping up.
    """
    if not may_audit(viewer):
        return None
    oldest: datetime | None = chain.oldest_waiting()
    if oldest is None or timezone.now() - oldest < settings.AUDIT_CHAIN_LAG_WARNING:
        return None
    return oldest


def events_for(
    *, viewer: AnyAbstractUser, filters: dict[str, Any] | None = None
) -> QuerySet[Event]:
    """Return the events the viewer may read (all, for an auditor), filtered, newest first.

    ``filters=None`` means the filters were invalid: nothing is returned, never everything.
    """
    if not may_audit(viewer) or filters is None:
        return Event.objects.none()
    events = Event.objects.select_related("actor")
    f = filters
    if "user" in f:
        events = events.filter(actor__username=f["user"])
    if "person" in f:
        events = events.filter(_about_person(events, f["person"]))
    if "organisation" in f:
        events = events.filter(organisation_id=f["organisation"])
    if f.get("action") == "reads":
        events = events.filter(action__in=registry.codes(kind=registry.READ))
    elif "action" in f:
        events = events.filter(action=f["action"])
    if "since" in f:
        events = events.filter(at__gte=_day_start(f["since"]))
    if "until" in f and f["until"] < date.max:
        events = events.filter(at__lt=_day_start(f["until"] + timedelta(days=1)))
    return events.order_by("-seq")


# A record code of 8 hex digits is shared by about one person in four billion; more than a
# few people under one code would mean something odd, and their list events are not chased.
CODE_CANDIDATES = 20


def _about_person(events: QuerySet[Event], person: Any) -> Q:
    """Match events naming the person (by full id or 8-character code) or listing them."""
    if isinstance(person, uuid.UUID):
        return Q(person_id=person) | _listed(person)
    low, high = person.bounds()
    where = Q(person_id__gte=low, person_id__lte=high)
    if person.full is not None:
        return where | _listed(person.full)
    # The full ids behind a short code, from the events that name them (an index range scan).
    ids = events.filter(where).order_by("person_id").values_list("person_id", flat=True).distinct()
    for person_id in ids[:CODE_CANDIDATES]:
        where |= _listed(person_id)
    return where


def _listed(person_id: Any) -> Q:
    """Match search and list events whose results showed this person."""
    if connection.vendor == "postgresql":
        return Q(detail__people__contains=[str(person_id)])
    return Q(detail__icontains=str(person_id))  # the SQLite demo has no JSON containment


@dataclass(frozen=True)
class Flag:
    user_id: int
    username: str
    kind: str  # "volume", "off_hours", "denials", "account_reset"
    day: date | None
    count: int
    usual: float | None = None
    subject: str = ""  # the username an access change was about, or the object's id
    subject_type: str = ""  # "user" when ``subject`` is a username, else the object's type


def unusual_activity(
    *, viewer: AnyAbstractUser, days: int = 7, baseline_days: int = 30
) -> list[Flag]:
    """Flag users who read far more than their usual, read outside working hours or
    collected many denials, over the last ``days`` days."""
    if not may_audit(viewer):
        return []
    today = timezone.localdate()
    window_start = _day_start(today - timedelta(days=days - 1))
    base_start = _day_start(today - timedelta(days=days + baseline_days - 1))
    # A list or search page that showed names counts as one read per person it showed.
    reads = Event.objects.filter(
        action__in=[*registry.codes(kind=registry.READ), *registry.codes(kind=registry.LIST)],
        actor__isnull=False,
    ).annotate(weight=_people_shown())
    daily = (
        reads.filter(at__gte=base_start)
        .annotate(day=TruncDate("at"))
        .values("actor_id", "actor__username", "day")
        .annotate(n=Sum("weight"))
        .filter(n__gt=0)
    )
    usual = _baseline(reads, base_start, window_start, baseline_days)
    flags: list[Flag] = []
    for row in daily.filter(at__gte=window_start):
        average = usual.get(row["actor_id"], 0.0)
        if row["n"] >= max(VOLUME_FLOOR, VOLUME_FACTOR * average):
            flags.append(
                Flag(
                    row["actor_id"], row["actor__username"], "volume", row["day"], row["n"], average
                )
            )
    off_hours = (
        reads.filter(at__gte=window_start)
        .annotate(hour=ExtractHour("at"), weekday=ExtractIsoWeekDay("at"))
        .filter(Q(hour__lt=WORK_START) | Q(hour__gte=WORK_END) | Q(weekday__gte=6))
        .values("actor_id", "actor__username")
        .annotate(n=Sum("weight"))
        .filter(n__gt=0)
    )
    flags += [
        Flag(r["actor_id"], r["actor__username"], "off_hours", None, r["n"]) for r in off_hours
    ]
    denials = (
        Event.objects.filter(
            action__in=registry.codes(kind=registry.DENIAL),
            actor__isnull=False,
            at__gte=window_start,
        )
        .annotate(day=TruncDate("at"))
        .values("actor_id", "actor__username", "day")
        .annotate(n=Count("id"))
        .filter(n__gte=DENIALS_PER_DAY)
    )
    flags += [
        Flag(r["actor_id"], r["actor__username"], "denials", r["day"], r["n"]) for r in denials
    ]
    # Someone who both set another user's password and reset their second factor can sign in
    # as them: legitimate for a lost phone, but always worth a look.
    resets = (
        Event.objects.filter(
            action__in=registry.codes(kind=registry.CREDENTIAL_RESET),
            actor__isnull=False,
            object_type="user",
            at__gte=window_start,
        )
        .exclude(object_id=Cast("actor_id", CharField()))
        .values("actor_id", "actor__username", "object_id")
        .annotate(kinds=Count("action", distinct=True))
        .filter(kinds__gte=2)
    )
    flags += [Flag(r["actor_id"], r["actor__username"], "account_reset", None, 1) for r in resets]
    flags += _access_changes(window_start)
    return sorted(flags, key=lambda f: (f.username, f.kind, f.day or today))


def _access_changes(since: datetime) -> list[Flag]:
    """Flag every change of who holds which role, and new accounts given a case role.

    Each flag names the account the change was about (``subject``, a username), whichever
    event recorded it: a role change names the user as its object, an approval and a grant
    name them in the detail.
    """
    changes = list(
        Event.objects.filter(action__in=registry.codes(kind=registry.ACCESS_CHANGE), at__gte=since)
        .select_related("actor")
        .order_by("seq")[:500]
    )
    created = set(
        Event.objects.filter(
            action__in=registry.codes(kind=registry.ACCOUNT_CREATION), at__gte=since
        ).values_list("object_id", flat=True)
    )
    subjects = {event.seq: _subject_id(event) for event in changes}
    names = {
        str(pk): username
        for pk, username in get_user_model()
        .objects.filter(pk__in={s for s in subjects.values() if s.isdigit()})
        .values_list("pk", "username")
    }
    content_roles = capabilities.holders("person.view")
    flags = []
    for event in changes:
        subject = subjects[event.seq]
        added = set(event.detail.get("added") or event.detail.get("roles") or [])
        new_account = subject in created and added & content_roles
        kind = "new_account_case_role" if new_account else "role_change"
        name, subject_type = _subject(event, names.get(subject))
        flags.append(
            Flag(
                event.actor_id or 0,
                event.actor.get_username() if event.actor else "—",
                kind,
                timezone.localdate(event.at),
                1,
                subject=name,
                subject_type=subject_type,
            )
        )
    return flags


def _subject(event: Event, username: str | None) -> tuple[str, str]:
    """Name an access change's subject: the account's username, else the object it changed."""
    if username is not None:
        return username, "user"
    return str(event.object_id), event.object_type


def _subject_id(event: Event) -> str:
    """Return the id of the account an access-change event is about ("" when none)."""
    user = event.detail.get("user") if isinstance(event.detail, dict) else None
    if user is not None:
        return str(user)
    return str(event.object_id) if event.object_type == "user" else ""


class _JsonArrayLength(Func):
    """The length of ``detail -> 'people'`` (0 when absent), on PostgreSQL and SQLite."""

    output_field = IntegerField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="COALESCE(jsonb_array_length(%(expressions)s -> 'people'), 0)",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="COALESCE(json_array_length(%(expressions)s, '$.people'), 0)",
            **extra,
        )


def _people_shown() -> Case:
    """Weigh a read as 1 and a list or search event as the number of people it showed."""
    return Case(
        When(action__in=registry.codes(kind=registry.LIST), then=_JsonArrayLength("detail")),
        default=Value(1),
        output_field=IntegerField(),
    )


def _baseline(
    reads: QuerySet[Event], start: datetime, end: datetime, days: int
) -> dict[int, float]:
    """Return each user's average reads per day over the baseline period (days without
    reads count as zero)."""
    totals = reads.filter(at__gte=start, at__lt=end).values("actor_id").annotate(n=Sum("weight"))
    return {row["actor_id"]: row["n"] / days for row in totals}


def count_by(*, actor: AnyAbstractUser, action: str, since: datetime) -> int:
    """Return how many events of one action the actor caused since a time (rate limits)."""
    if getattr(actor, "pk", None) is None:
        return 0
    return Event.objects.filter(actor_id=actor.pk, action=action, at__gte=since).count()


def seal_is_recent() -> bool:
    """Return whether the chain was sealed within HEALTH_SEAL_MAX_AGE (a health check)."""
    limit: timedelta = getattr(settings, "HEALTH_SEAL_MAX_AGE", timedelta(hours=26))
    return Seal.objects.filter(at__gte=timezone.now() - limit).exists()


def seal_age_seconds() -> float | None:
    """Return the age of the last seal in seconds, None before the first (a metric)."""
    last = Seal.objects.aggregate(at=Max("at"))["at"]
    return None if last is None else (timezone.now() - last).total_seconds()
