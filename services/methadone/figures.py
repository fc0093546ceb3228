"""Compute the methadone figures of one patient's episode and of one clinic, in the database.

Definitions (docs/methadone-figures.md): a *dosed day* is a dose row of kind observed or
take-home; an episode's *expected days* are the days it was open, from ``started_on`` to
``ended_on`` (both included) or, while open, to the last complete day (yesterday: today's
dosing is still under way). Windows of N days end yesterday. Adherence is dosed / expected;
with no expected day there is no figure (None), never 0 %.

Every figure is an aggregate the database computes (counts with filters, ``generate_series``
and window functions on PostgreSQL); Python only does date arithmetic on the episode's own
two dates. The SQLite demo has a fallback (``_*_portable``) that reads per-episode counts
from the database and combines them per episode, never per dose row.

Callers pass episodes already scoped by ``cases.access`` (``get_for_user`` for one,
``visible`` for a clinic's); this module never widens them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.capabilities import can, has_role
from accounts.choices import Role
from audit import actions as audit
from cases import access
from cases.models import Organisation
from services.models import Modality, Outcome, TreatmentEpisode
from services.regulations import add_months

from .capabilities_figures import CLINIC_FIGURES
from .events_figures import FiguresAction
from .models import Dose, DoseKind, days_between
from .selectors import viewable_methadone_episodes

DOSED = (DoseKind.OBSERVED, DoseKind.TAKE_HOME)
CHART_DAYS = 90
RETENTION_MONTHS = 24
RETENTION_AT = (6, 12)
# Adherence buckets over 30 days: (lowest percentage included, label key). The upper bound
# of each is the next one's lower bound, exclusive.
BUCKETS = (0, 50, 80, 95)


def yesterday(today: datetime.date | None = None) -> datetime.date:
    """Return the last complete day: the end of every window."""
    return (today or timezone.localdate()) - datetime.timedelta(days=1)


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


# --- one episode ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The expected days of an episode within a window: ``first`` to ``last``, or none."""

    first: datetime.date
    last: datetime.date

    @property
    def days(self) -> int:
        return days_between(self.first, self.last)


def expected_window(
    episode: TreatmentEpisode, *, days: int, today: datetime.date | None = None
) -> Window | None:
    """Return the episode's expected days among the ``days`` days ending yesterday, or None."""
    end = yesterday(today)
    first = max(episode.started_on, end - datetime.timedelta(days=days - 1))
    last = min(episode.ended_on or end, end)
    return Window(first, last) if first <= last else None


@dataclass(frozen=True)
class Adherence:
    days: int  # the window's length (30 or 90)
    dosed: int
    expected: int

    @property
    def percent(self) -> float | None:
        """Return dosed / expected in percent, or None without an expected day."""
        return None if not self.expected else round(100 * self.dosed / self.expected, 1)


def adherence(
    episode: TreatmentEpisode,
    *,
    windows: tuple[int, ...] = (30, 90),
    today: datetime.date | None = None,
) -> list[Adherence]:
    """Return the episode's adherence over each window (one aggregate query)."""
    spans = {days: expected_window(episode, days=days, today=today) for days in windows}
    counts = {
        f"w{days}": Count("pk", filter=Q(given_on__range=(span.first, span.last)))
        for days, span in spans.items()
        if span is not None
    }
    found = (
        Dose.objects.filter(episode_id=episode.pk, kind__in=DOSED).aggregate(**counts)
        if counts
        else {}
    )
    return [
        Adherence(days, found.get(f"w{days}", 0), span.days if span else 0)
        for days, span in spans.items()
    ]


@dataclass(frozen=True)
class Run:
    """Consecutive expected days without a dosed day."""

    first: datetime.date
    last: datetime.date
    days: int


_RUNS_SQL = """
WITH days AS (
    SELECT CAST(d AS date) AS day FROM generate_series(
        CAST(%(first)s AS date), CAST(%(last)s AS date), interval '1 day') AS d
), marked AS (
    SELECT days.day, EXISTS (
        SELECT 1 FROM {dose} dose WHERE dose.episode_id = %(episode)s
        AND dose.given_on = days.day AND dose.kind = ANY(%(dosed)s)) AS dosed
    FROM days
), islands AS (
    SELECT day, day - CAST(row_number() OVER (ORDER BY day) AS integer) AS island
    FROM marked WHERE NOT dosed
)
SELECT min(day), max(day), count(*) FROM islands GROUP BY island ORDER BY 1
"""


def missed_runs(
    episode: TreatmentEpisode, *, days: int = CHART_DAYS, today: datetime.date | None = None
) -> list[Run]:
    """Return the runs of expected days without a dosed day in the window, oldest first."""
    span = expected_window(episode, days=days, today=today)
    if span is None:
        return []
    if not _on_postgresql():
        return _runs_portable(episode, span)
    params = {"first": span.first, "last": span.last, "episode": episode.pk, "dosed": list(DOSED)}
    with connection.cursor() as cursor:
        cursor.execute(_RUNS_SQL.format(dose=_table(Dose)), cast(Any, params))
        return [Run(first, last, count) for first, last, count in cursor.fetchall()]


def _runs_portable(episode: TreatmentEpisode, span: Window) -> list[Run]:
    """Return the runs from the dosed days of the window (SQLite demo: at most 90 dates)."""
    dosed = set(
        Dose.objects.filter(
            episode_id=episode.pk, kind__in=DOSED, given_on__range=(span.first, span.last)
        ).values_list("given_on", flat=True)
    )
    runs: list[Run] = []
    start: datetime.date | None = None
    day = span.first
    while day <= span.last + datetime.timedelta(days=1):
        missing = day <= span.last and day not in dosed
        if missing and start is None:
            start = day
        elif not missing and start is not None:
            last = day - datetime.timedelta(days=1)
            runs.append(Run(start, last, days_between(start, last)))
            start = None
        day += datetime.timedelta(days=1)
    return runs


@dataclass(frozen=True)
class SeriesDay:
    day: datetime.date
    kind: int | None  # None: no row for an expected day
    dose_mg: float | None


def dose_series(
    episode: TreatmentEpisode, *, days: int = CHART_DAYS, today: datetime.date | None = None
) -> list[SeriesDay]:
    """Return one entry per expected day of the window: the row's kind and dose, or none."""
    span = expected_window(episode, days=days, today=today)
    if span is None:
        return []
    rows = {
        day: (kind, dose)
        for day, kind, dose in Dose.objects.filter(
            episode_id=episode.pk, given_on__range=(span.first, span.last)
        ).values_list("given_on", "kind", "dose_mg")
    }
    series = []
    for offset in range(span.days):
        day = span.first + datetime.timedelta(days=offset)
        kind, dose = rows.get(day, (None, None))
        series.append(SeriesDay(day, kind, float(dose) if dose is not None else None))
    return series


def time_in_treatment(episode: TreatmentEpisode, *, today: datetime.date | None = None) -> int:
    """Return the days from the start to the end (or today), both included."""
    return days_between(episode.started_on, episode.ended_on or (today or timezone.localdate()))


# --- one clinic ------------------------------------------------------------------------------


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _columns(episodes: QuerySet[TreatmentEpisode]) -> dict[str, list[Any]]:
    """Return the scoped episodes' ids, dates and outcomes as parallel arrays.

    A clinic has a few thousand episodes at most, read by its provider index; the figures'
    SQL takes them back as ``unnest(…)`` rows, so it never reads the episode table again
    (joined to it, PostgreSQL chose to scan all 65,000 episodes: 36–88 ms).
    """
    rows = list(episodes.order_by().values_list("pk", "started_on", "ended_on", "outcome"))
    names = ("ids", "starts", "ends", "outcomes")
    return {name: [row[n] for row in rows] for n, name in enumerate(names)}


_EPISODES = (
    "unnest(CAST(%(ids)s AS uuid[]), CAST(%(starts)s AS date[]), CAST(%(ends)s AS date[]), "
    "CAST(%(outcomes)s AS text[])) AS e (id, started_on, ended_on, outcome)"
)


def methadone_episodes(
    episodes: QuerySet[TreatmentEpisode], *, clinic_id: UUID
) -> QuerySet[TreatmentEpisode]:
    """Narrow scoped episodes to the methadone episodes of one clinic."""
    return episodes.filter(modality=Modality.METHADONE, provider_id=clinic_id)


@dataclass(frozen=True)
class Counts:
    in_treatment: int
    new_this_month: int
    stopped_this_month: int


def clinic_counts(
    episodes: QuerySet[TreatmentEpisode], *, today: datetime.date | None = None
) -> Counts:
    """Return the patients in treatment today, and those who started or stopped this month."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    open_today = Q(started_on__lte=today) & (Q(ended_on__isnull=True) | Q(ended_on__gte=today))
    found = episodes.aggregate(
        today=Count("pk", filter=open_today),
        new=Count("pk", filter=Q(started_on__range=(month, today))),
        stopped=Count("pk", filter=Q(ended_on__range=(month, today))),
    )
    return Counts(found["today"], found["new"], found["stopped"])


@dataclass(frozen=True)
class Bucket:
    low: int  # percent, included
    high: int | None  # percent, excluded (None: up to 100 included)
    patients: int


_ADHERENCE_SQL = """
WITH spans AS (
    SELECT e.id, GREATEST(e.started_on, %(first)s) AS first,
        LEAST(COALESCE(e.ended_on, %(last)s), %(last)s) AS last
    FROM {episodes}
    WHERE e.started_on <= %(last)s
    AND (e.ended_on IS NULL OR e.ended_on >= %(last)s)
), shares AS MATERIALIZED (  -- counted once, not once per bucket
    SELECT spans.last - spans.first + 1 AS expected, (
        SELECT count(*) FROM {dose} d WHERE d.episode_id = spans.id
        AND d.given_on BETWEEN spans.first AND spans.last AND d.kind = ANY(%(dosed)s)
    ) AS dosed
    FROM spans
)
SELECT {buckets} FROM shares
"""


def _bucket_filter(n: int) -> str:
    low = f"dosed * 100 >= {BUCKETS[n]} * expected"
    if n + 1 == len(BUCKETS):
        return f"count(*) FILTER (WHERE {low})"
    return f"count(*) FILTER (WHERE {low} AND dosed * 100 < {BUCKETS[n + 1]} * expected)"


def adherence_distribution(
    episodes: QuerySet[TreatmentEpisode], *, days: int = 30, today: datetime.date | None = None
) -> list[Bucket]:
    """Return how many patients in treatment yesterday fall in each adherence bucket."""
    last = yesterday(today)
    first = last - datetime.timedelta(days=days - 1)
    if not _on_postgresql():
        counts = _distribution_portable(episodes, first=first, last=last)
    else:
        sql = _ADHERENCE_SQL.format(
            episodes=_EPISODES,
            dose=_table(Dose),
            buckets=", ".join(_bucket_filter(n) for n in range(len(BUCKETS))),
        )
        params = {**_columns(episodes), "first": first, "last": last, "dosed": list(DOSED)}
        with connection.cursor() as cursor:
            cursor.execute(sql, cast(Any, params))
            counts = list(cursor.fetchone())
    return [
        Bucket(low, BUCKETS[n + 1] if n + 1 < len(BUCKETS) else None, counts[n])
        for n, low in enumerate(BUCKETS)
    ]


def _bucket_of(dosed: int, expected: int) -> int:
    share = 100 * dosed
    return max(n for n, low in enumerate(BUCKETS) if share >= low * expected)


def _distribution_portable(
    episodes: QuerySet[TreatmentEpisode], *, first: datetime.date, last: datetime.date
) -> list[int]:
    """Return the bucket counts from per-episode dose counts (SQLite demo)."""
    current = episodes.filter(started_on__lte=last).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=last)
    )
    rows = current.annotate(
        dosed=Count("doses", filter=Q(doses__kind__in=DOSED, doses__given_on__range=(first, last)))
    ).values_list("started_on", "dosed")
    counts = [0] * len(BUCKETS)
    for started_on, dosed in rows:
        expected = days_between(max(started_on, first), last)
        counts[_bucket_of(dosed, expected)] += 1
    return counts


@dataclass(frozen=True)
class Retention:
    """One enrolment month: how many started, and retention at 6 and 12 months."""

    month: datetime.date
    enrolled: int
    cohort: dict[int, int | None]  # months → episodes counted (None: not yet 6/12 months)
    retained: dict[int, int | None]

    def percent(self, months: int) -> float | None:
        cohort, retained = self.cohort[months], self.retained[months]
        if not cohort or retained is None:
            return None
        return round(100 * retained / cohort, 1)

    @property
    def percent_6(self) -> float | None:
        return self.percent(6)

    @property
    def percent_12(self) -> float | None:
        return self.percent(12)


_RETENTION_SQL = """
SELECT CAST(date_trunc('month', e.started_on) AS date) AS month, count(*) AS enrolled,
    {columns}
FROM {episodes}
WHERE e.started_on BETWEEN %(first)s AND %(today)s
GROUP BY 1 ORDER BY 1
"""
# At k months after the episode's own start: it left the cohort if it was transferred out
# before that day; it is retained if it had not ended by then (the end day still counts).
_STAYED = "NOT (e.outcome = %(transferred)s AND e.ended_on < e.started_on + interval '{k} months')"
_OPEN = "(e.ended_on IS NULL OR e.ended_on >= e.started_on + interval '{k} months')"
_COLUMNS = "count(*) FILTER (WHERE {stayed}), count(*) FILTER (WHERE {stayed} AND {open})"


def retention_table(
    episodes: QuerySet[TreatmentEpisode],
    *,
    months: int = RETENTION_MONTHS,
    today: datetime.date | None = None,
) -> list[Retention]:
    """Return retention at 6 and 12 months per enrolment month, the last ``months`` months."""
    today = today or timezone.localdate()
    first = add_months(today.replace(day=1), -(months - 1))
    if _on_postgresql():
        found = _retention_sql(episodes, first=first, today=today)
    else:
        found = _retention_portable(episodes, first=first, today=today)
    table = []
    for n in range(months):
        month = add_months(first, n)
        enrolled, cohort, retained = found.get(month, (0, {}, {}))
        # A month's figure shows once every episode it enrolled has reached k months.
        ready = {k: add_months(_month_end(month), k) <= today for k in RETENTION_AT}
        table.append(
            Retention(
                month,
                enrolled,
                {k: cohort.get(k, 0) if ready[k] else None for k in RETENTION_AT},
                {k: retained.get(k, 0) if ready[k] else None for k in RETENTION_AT},
            )
        )
    return table


MonthFigures = dict[datetime.date, tuple[int, dict[int, int], dict[int, int]]]


def _retention_sql(
    episodes: QuerySet[TreatmentEpisode], *, first: datetime.date, today: datetime.date
) -> MonthFigures:
    columns = ", ".join(
        _COLUMNS.format(stayed=_STAYED.format(k=k), open=_OPEN.format(k=k)) for k in RETENTION_AT
    )
    sql = _RETENTION_SQL.format(episodes=_EPISODES, columns=columns)
    params = {
        **_columns(episodes),
        "first": first,
        "today": today,
        "transferred": str(Outcome.TRANSFERRED),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, cast(Any, params))
        rows = cursor.fetchall()
    found: MonthFigures = {}
    for month, enrolled, *pairs in rows:
        cohort = {k: pairs[2 * n] for n, k in enumerate(RETENTION_AT)}
        retained = {k: pairs[2 * n + 1] for n, k in enumerate(RETENTION_AT)}
        found[month] = (enrolled, cohort, retained)
    return found


def _retention_portable(
    episodes: QuerySet[TreatmentEpisode], *, first: datetime.date, today: datetime.date
) -> MonthFigures:
    """Return the month figures from the episodes' own dates (SQLite demo: no dose rows)."""
    found: MonthFigures = {}
    rows = episodes.filter(started_on__range=(first, today)).values_list(
        "started_on", "ended_on", "outcome"
    )
    for started_on, ended_on, outcome in rows:
        month = started_on.replace(day=1)
        enrolled, cohort, retained = found.setdefault(month, (0, {}, {}))
        found[month] = (enrolled + 1, cohort, retained)
        for k in RETENTION_AT:
            mark = add_months(started_on, k)
            if outcome == Outcome.TRANSFERRED and ended_on is not None and ended_on < mark:
                continue
            cohort[k] = cohort.get(k, 0) + 1
            retained[k] = retained.get(k, 0) + (ended_on is None or ended_on >= mark)
    return found


def _month_end(month: datetime.date) -> datetime.date:
    return add_months(month, 1) - datetime.timedelta(days=1)


# --- what the pages ask ---------------------------------------------------------------------


def clinics_for(user: access.AnyUser) -> QuerySet[Organisation]:
    """Return the clinics whose figures the user may see: their own organisation (clinic
    staff), and for a supervisor every organisation of their unit's subtree that provides
    methadone treatment."""
    profile = access.profile_of(user)
    if profile is None or not can(user, CLINIC_FIGURES):
        return Organisation.objects.none()
    where = Q(pk=profile.organisation_id) if has_role(user, Role.CASEWORKER) else Q(pk=None)
    if has_role(user, Role.SUPERVISOR):
        providers = TreatmentEpisode.objects.filter(
            provider_id=OuterRef("pk"), modality=Modality.METHADONE
        )
        where |= profile.scope_unit.subtree_q("unit__") & Q(Exists(providers))
    return Organisation.objects.filter(where).order_by("name")


def clinic_for(user: access.AnyUser, clinic_id: str | None) -> Organisation | None:
    """Return the clinic the user asked for, else record a denial and 404; without a
    choice, return their first clinic (None if they have none)."""
    clinics = clinics_for(user)
    if not clinic_id:
        return clinics.first()
    try:
        wanted: UUID | None = UUID(clinic_id)
    except ValueError:  # malformed: as unknown as any, and never stored as typed
        wanted = None
    found = clinics.filter(pk=wanted).first() if wanted is not None else None
    if found is None:
        access.deny(
            user,
            "methadone.figures",
            object_type="organisation",
            object_id=str(wanted or ""),
            malformed_id=wanted is None,
        )
        raise Http404
    return found


@dataclass(frozen=True)
class ClinicReport:
    clinic: Organisation
    counts: Counts
    distribution: list[Bucket]
    retention: list[Retention]


def clinic_report(*, viewer: access.AnyUser, clinic: Organisation) -> ClinicReport:
    """Return a clinic's figures over the episodes the viewer may see, recording the view."""
    scoped = access.visible(viewer, TreatmentEpisode, "view")
    episodes = methadone_episodes(scoped, clinic_id=clinic.pk)
    report = ClinicReport(
        clinic,
        clinic_counts(episodes),
        adherence_distribution(episodes),
        retention_table(episodes),
    )
    audit.record(
        actor=viewer,
        action=FiguresAction.CLINIC_FIGURES,
        obj=clinic,
        detail={"in_treatment": report.counts.in_treatment},
    )
    return report


@dataclass(frozen=True)
class EpisodeReport:
    episode: TreatmentEpisode
    series: list[SeriesDay]
    runs: list[Run]
    adherence: list[Adherence]
    days_in_treatment: int

    @property
    def longest_run(self) -> Run | None:
        return max(self.runs, key=lambda run: run.days, default=None)


def methadone_episode_for(user: access.AnyUser, episode_id: UUID) -> TreatmentEpisode:
    """Return a methadone episode the user may view (the read recorded), else deny and 404."""
    allowed = viewable_methadone_episodes(user)
    return access.get_for_user(
        user,
        TreatmentEpisode,
        episode_id,
        "view",
        queryset=allowed.select_related("provider", "case"),
    )


def episode_report(*, episode: TreatmentEpisode) -> EpisodeReport:
    """Return the dose series, missed runs, adherence and time in treatment of an episode."""
    return EpisodeReport(
        episode,
        dose_series(episode),
        missed_runs(episode),
        adherence(episode),
        time_in_treatment(episode),
    )
