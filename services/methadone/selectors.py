"""Reads of methadone treatment, always through cases.access: the clinic's list of the day,
an episode's prescriptions and doses, what the rules read of the dose history.

The day's list is index-driven (docs/methadone.md): the clinic's open methadone episodes come
off the partial index ``episode_methadone_open`` and each row's prescription in force, last
dose taken and today's dose are index probes on (episode, starts_on) and (episode, given_on).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.capabilities import Scope, can
from audit.reads import record_read
from cases import access, timeline
from cases.models import Case, Organisation
from core.normalize import fold_text
from services.models import Modality, TreatmentEpisode

from . import rules
from .capabilities import DOSE_RECORD, METHADONE_VIEW, PRESCRIPTION_RECORD
from .events import MethadoneAction
from .models import Dose, DoseCorrection, DoseKind, DoseOverride, Phase, Prescription, dose_amount

TAKEN = (DoseKind.OBSERVED, DoseKind.TAKE_HOME)
# The part of a case (referrals.models.Part) that holds prescriptions, doses and figures.
METHADONE_PART = "methadone"


def viewable_methadone_episodes(
    user: access.AnyUser, scope: Scope = "view"
) -> QuerySet[TreatmentEpisode]:
    """Return the methadone episodes whose methadone pages (prescriptions, doses, figures)
    the user may open: in scope, and, on a case seen only through referrals, only if they
    share the "methadone" part as well as "treatment"."""
    rows = access.visible(user, TreatmentEpisode, scope).filter(modality=Modality.METHADONE)
    return access.limit_to_parts(user, TreatmentEpisode, rows, part=METHADONE_PART)


# --- the clinic ----------------------------------------------------------------------------


def clinic_of(user: access.AnyUser) -> Organisation | None:
    """Return the methadone clinic the user works at, or None (cached on the user)."""
    if hasattr(user, "_methadone_clinic"):
        found: Organisation | None = user._methadone_clinic
        return found
    profile = access.profile_of(user)
    clinic = None
    if profile is not None:
        org = Organisation.objects.select_related("type").get(pk=profile.organisation_id)
        if org.type.code in settings.HOA_NHAP_METHADONE_CLINIC_TYPES:
            clinic = org
    user.__dict__["_methadone_clinic"] = clinic
    return clinic


def works_at_clinic(user: access.AnyUser) -> bool:
    """Return whether the user records doses at a methadone clinic (menu, start page)."""
    return can(user, DOSE_RECORD) and clinic_of(user) is not None


def clinic_episodes(
    user: access.AnyUser, *, capability: str, open_only: bool = True
) -> QuerySet[TreatmentEpisode]:
    """Return the methadone episodes of the user's clinic the user may change (none if the
    user holds no ``capability`` or works at no clinic)."""
    clinic = clinic_of(user)
    if clinic is None or not can(user, capability):
        return TreatmentEpisode.objects.none()
    rows = access.visible(user, TreatmentEpisode, "change").filter(
        modality=Modality.METHADONE, provider=clinic
    )
    return rows.filter(ended_on__isnull=True) if open_only else rows


def episode_for_viewer(user: access.AnyUser, episode_id: Any) -> TreatmentEpisode:
    """Return a methadone episode the user may view (recording the read), else 404."""
    rows = viewable_methadone_episodes(user)
    if not can(user, METHADONE_VIEW):
        rows = rows.none()
    return access.get_for_user(
        user,
        TreatmentEpisode,
        episode_id,
        "view",
        queryset=rows.select_related("case", "person", "provider"),
    )


def prescribable_episode(user: access.AnyUser, episode_id: Any) -> TreatmentEpisode:
    """Return an open methadone episode of the user's clinic to prescribe for, else 404."""
    rows = clinic_episodes(user, capability=PRESCRIPTION_RECORD).select_related("case", "person")
    return access.get_for_user(user, TreatmentEpisode, episode_id, "change", queryset=rows)


def dosing_episode(user: access.AnyUser, episode_id: Any) -> TreatmentEpisode:
    """Return an open methadone episode of the user's clinic to record a dose for, else 404.

    No read is recorded: the dose written next is.
    """
    rows = clinic_episodes(user, capability=DOSE_RECORD)
    return access.get_for_user(
        user, TreatmentEpisode, episode_id, "change", record_read=False, queryset=rows
    )


def correctable_dose(user: access.AnyUser, dose_id: Any) -> Dose:
    """Return a dose of the user's clinic to correct, else record a denial and 404."""
    from .capabilities import DOSE_CORRECT

    episodes = clinic_episodes(user, capability=DOSE_CORRECT, open_only=False)
    rows = Dose.objects.filter(episode__in=episodes).select_related("episode__person")
    return access.get_for_user(user, Dose, dose_id, "change", queryset=rows)


# --- what the rules read ---------------------------------------------------------------------


def prescription_on(*, episode: TreatmentEpisode, day: datetime.date) -> Prescription | None:
    """Return the prescription in force on a day (the latest one starting on or before it)."""
    rows = Prescription.objects.filter(episode=episode, starts_on__lte=day)
    return rows.order_by("-starts_on").first()


def last_taken_on(*, episode_id: Any, until: datetime.date) -> datetime.date | None:
    """Return the last day on or before ``until`` a dose was taken (observed or take-home)."""
    rows = Dose.objects.filter(episode_id=episode_id, given_on__lte=until, kind__in=TAKEN)
    return rows.order_by("-given_on").values_list("given_on", flat=True).first()


def adherence(
    *,
    episode: TreatmentEpisode,
    on: datetime.date,
    history: Sequence[rules.Order],
    dose_mg: Decimal,
    taken: int | None = None,
) -> rules.Adherence:
    """Return what the take-home conditions read, for a new order of ``dose_mg`` on ``on``
    (``taken``: the doses taken in the 30 days before, if the caller knows them)."""
    stable_since = on
    for order in reversed(history):
        if order.dose_mg != dose_mg:
            break
        stable_since = order.starts_on
    since = max(on - datetime.timedelta(days=30), episode.started_on)
    if taken is None:
        taken = Dose.objects.filter(
            episode=episode, given_on__gte=since, given_on__lt=on, kind__in=TAKEN
        ).count()
    return rules.Adherence(
        days_in_treatment=(on - episode.started_on).days,
        days_at_current_dose=(on - stable_since).days,
        missed_last_30=max((on - since).days - taken, 0),
    )


# --- the day's list --------------------------------------------------------------------------


@dataclass(frozen=True)
class TodayRow:
    episode_id: Any
    person_id: Any
    name: str
    code: str
    prescribed_mg: Decimal | None
    take_home_days: int
    prescription_flagged: bool
    review_due: bool
    last_taken_on: datetime.date | None
    today_dose_id: int | None
    today_kind: int | None
    today_mg: Decimal | None
    missed_days: int
    missed_flag: str
    # What the counter's check reads (rules.dose_refusal), from the same single query.
    split_parts: int = 1
    override_mg: Decimal | None = None
    missed_action: rules.Missed = rules.Missed.CONTINUE
    prescriber_acted: bool = False
    prescriber_id: int | None = None
    prescriber: str = ""

    @property
    def done(self) -> bool:
        return self.today_kind is not None

    @property
    def counter(self) -> rules.Counter:
        """Return what the dosing check reads of this row (a prescription is in force)."""
        return rules.Counter(
            prescribed_mg=Decimal(self.prescribed_mg or 0),
            split_parts=self.split_parts,
            override_mg=self.override_mg,
            missed=self.missed_action,
            missed_days=self.missed_days,
            prescriber_acted=self.prescriber_acted,
            prescriber=self.prescriber,
        )

    @property
    def blocked(self) -> bool:
        """Whether no dose may be given before a prescriber acts (reduce or restart)."""
        return not self.prescriber_acted and self.missed_action >= rules.Missed.REDUCE

    @property
    def needs_assessment(self) -> bool:
        return not self.prescriber_acted and self.missed_action is rules.Missed.ASSESS

    @property
    def block_message(self) -> str:
        """Return the refusal the counter would give a tap on this row ("" if none)."""
        if not (self.blocked or self.needs_assessment) or self.prescribed_mg is None:
            return ""
        found = rules.dose_refusal(
            amount=self.default_mg or Decimal(0), counter=self.counter, acknowledged=False
        )
        return found.text() if found is not None else ""

    @property
    def default_mg(self) -> Decimal | None:
        """Return what one tap gives: the day's one-day dose, else the prescribed dose."""
        return self.override_mg if self.override_mg is not None else self.prescribed_mg

    @property
    def parts(self) -> list[Decimal]:
        """Return the documented parts of a split dose a tap may give (none if not split)."""
        if self.override_mg is not None or self.split_parts <= 1 or self.prescribed_mg is None:
            return []
        return rules.allowed_amounts(
            prescribed_mg=self.prescribed_mg, split_parts=self.split_parts, override_mg=None
        )[:-1]

    @property
    def prescribed(self) -> str:
        return dose_amount(self.prescribed_mg)

    @property
    def today_amount(self) -> str:
        return dose_amount(self.today_mg)

    @property
    def today_label(self) -> str:
        return str(DoseKind(self.today_kind).label) if self.today_kind else ""

    @property
    def search_text(self) -> str:
        return f"{fold_text(self.name)} {self.code.lower()}"


@dataclass(frozen=True)
class TodayScreen:
    clinic: Organisation
    day: datetime.date
    rows: list[TodayRow]
    total: int
    query: str

    @property
    def done_count(self) -> int:
        return sum(1 for row in self.rows if row.done)


def _annotated(
    rows: QuerySet[TreatmentEpisode], day: datetime.date, *, names: bool = True
) -> QuerySet[Any]:
    in_force = Prescription.objects.filter(episode=OuterRef("pk"), starts_on__lte=day)
    in_force = in_force.order_by("-starts_on")
    taken = Dose.objects.filter(episode=OuterRef("pk"), given_on__lte=day, kind__in=TAKEN)
    today = Dose.objects.filter(episode=OuterRef("pk"), given_on=day)
    # A prescriber's one-day dose: a probe on the unique (episode, given_on) index.
    override = DoseOverride.objects.filter(episode=OuterRef("pk"), given_on=day)

    def first(rows: QuerySet[Any], column: str) -> Subquery:
        return Subquery(rows.values(column)[:1])

    # Only what the list shows: a person row carries every encrypted field otherwise.
    if names:
        rows = rows.select_related("person").only("started_on", "person__full_name")
    else:
        rows = rows.only("started_on", "person_id")
    return rows.annotate(
        rx_mg=first(in_force, "dose_mg"),
        rx_take_home=first(in_force, "take_home_days"),
        rx_flags=first(in_force, "rule_flags"),
        rx_review=first(in_force, "review_due_on"),
        rx_split=first(in_force, "split_parts"),
        rx_written=first(in_force, "created_at"),
        rx_prescriber=first(in_force, "prescriber_id"),
        last_taken=first(taken.order_by("-given_on"), "given_on"),
        today_id=first(today, "pk"),
        today_kind=first(today, "kind"),
        today_mg=first(today, "dose_mg"),
        override_mg=first(override, "dose_mg"),
    )


def _acted(episode: Any, action: rules.Missed, limits: rules.Limits) -> bool:
    """Return whether a prescriber acted on the run of missed days: a one-day dose for the
    day, or the order in force written on or after the day the run called for ``action``."""
    if action is rules.Missed.CONTINUE or episode.override_mg is not None:
        return True
    if episode.rx_written is None:
        return False
    reached = rules.missed_level_reached_on(
        last_taken_on=episode.last_taken,
        started_on=episode.started_on,
        action=action,
        limits=limits,
    )
    return bool(timezone.localdate(episode.rx_written) >= reached)


def _row(
    episode: Any, day: datetime.date, limits: rules.Limits, names: dict[int, str] | None = None
) -> TodayRow:
    # Today is not over: a patient not yet seen today has missed only the days before it.
    until = day if episode.today_kind == DoseKind.MISSED else day - datetime.timedelta(days=1)
    run = rules.missed_run(
        last_taken_on=episode.last_taken, started_on=episode.started_on, until=until
    )
    action = rules.missed_action(run=run, limits=limits)
    person = episode.person if "person" in episode._state.fields_cache else None
    return TodayRow(
        episode_id=episode.pk,
        person_id=episode.person_id,
        name=person.full_name if person is not None else "",
        code=episode.person_id.hex[:8].upper(),
        prescribed_mg=episode.rx_mg,
        take_home_days=episode.rx_take_home or 0,
        prescription_flagged=bool(episode.rx_flags),
        review_due=episode.rx_review is not None and episode.rx_review <= day,
        last_taken_on=episode.last_taken,
        today_dose_id=episode.today_id,
        today_kind=episode.today_kind,
        today_mg=episode.today_mg,
        missed_days=run,
        missed_flag=rules.missed_label(run=run, limits=limits),
        split_parts=episode.rx_split or 1,
        override_mg=episode.override_mg,
        missed_action=action,
        prescriber_acted=_acted(episode, action, limits),
        prescriber_id=episode.rx_prescriber,
        prescriber=(names or {}).get(episode.rx_prescriber, ""),
    )


def _rows(episodes: Iterable[Any], day: datetime.date, limits: rules.Limits) -> list[TodayRow]:
    """Build the rows, naming the prescriber where a tap would be refused (blocked, or an
    assessment to confirm).

    One query for the names, whatever the number of rows (none when nobody is blocked).
    """
    episodes = list(episodes)
    rows = [_row(e, day, limits) for e in episodes]
    wanted = {r.prescriber_id for r in rows if r.blocked or r.needs_assessment}
    if not wanted:
        return rows
    names = prescriber_names(ids=wanted)
    return [
        _row(e, day, limits, names) if r.prescriber_id in wanted else r
        for e, r in zip(episodes, rows, strict=True)
    ]


def prescriber_names(*, ids: Iterable[int | None]) -> dict[int, str]:
    """Return the display names of prescribers (staff, not patients), in one query."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(pk__in=[i for i in ids if i is not None])
    return {u.pk: str(u.display_name) for u in users.only("first_name", "last_name", "username")}


def dose_facts(*, episodes: QuerySet[TreatmentEpisode], day: datetime.date) -> dict[Any, TodayRow]:
    """Return, for episodes already fetched in scope, what the counter's check reads on a day
    (one query; the prescribers of blocked rows named in one more), keyed by episode id."""
    limits = rules.Limits.from_settings()
    rows = _rows(_annotated(episodes, day, names=False), day, limits)
    return {row.episode_id: row for row in rows}


class DoseFactsRun:
    """The counter's facts (``dose_facts``) of a run of days for the same episodes, read in
    four queries and then kept as the caller writes the run's doses in day order (the
    register import's dosing sheet): each day's facts are what ``dose_facts`` would read
    that day, without a query per day. Built by the same ``_row``; the equivalence is
    tested against ``dose_record`` (tests/registers/test_import_bulk.py).

    The episodes must have been fetched in the caller's scope. A dose written in the run
    must be told (``record``); the prescriptions' review flags are read once (the counter's
    check does not read them).
    """

    def __init__(
        self,
        *,
        episodes: QuerySet[TreatmentEpisode],
        first: datetime.date,
        last: datetime.date,
    ) -> None:
        self.limits = rules.Limits.from_settings()
        self.episodes = {e.pk: e for e in episodes.only("started_on", "person_id")}
        ids = list(self.episodes)
        self.orders: dict[Any, list[Any]] = {pk: [] for pk in ids}
        for order in (
            Prescription.objects.filter(episode_id__in=ids)
            .order_by("starts_on")
            .values_list(
                "episode_id", "starts_on", "dose_mg", "take_home_days", "rule_flags",
                "review_due_on", "split_parts", "created_at", "prescriber_id",
            )
        ):  # fmt: skip
            self.orders[order[0]].append(order)
        self.overrides = {
            (episode, day): mg
            for episode, day, mg in DoseOverride.objects.filter(
                episode_id__in=ids, given_on__range=(first, last)
            ).values_list("episode_id", "given_on", "dose_mg")
        }
        self.doses: dict[tuple[Any, datetime.date], tuple[int | None, int, Decimal | None]] = {
            (episode, day): (pk, kind, mg)
            for pk, episode, day, kind, mg in Dose.objects.filter(
                episode_id__in=ids, given_on__range=(first, last)
            ).values_list("pk", "episode_id", "given_on", "kind", "dose_mg")
        }
        before = (
            Dose.objects.filter(episode_id__in=ids, given_on__lt=first, kind__in=TAKEN)
            .values("episode_id")
            .annotate(last=Max("given_on"))
            .values_list("episode_id", "last")
        )
        self.taken: dict[Any, list[datetime.date]] = {pk: [] for pk in ids}
        for episode, day in before:
            self.taken[episode].append(day)
        for (episode, day), (_pk, kind, _mg) in self.doses.items():
            if kind in TAKEN:
                self.taken[episode].append(day)

    def record(self, *, episode_id: Any, day: datetime.date, kind: int, dose_mg: Any) -> None:
        """Keep a dose the caller wrote."""
        self.doses[(episode_id, day)] = (None, kind, dose_mg)
        if kind in TAKEN:
            self.taken[episode_id].append(day)

    def facts(self, *, day: datetime.date, episode_ids: Iterable[Any]) -> dict[Any, TodayRow]:
        """Return ``dose_facts`` of the day for these episodes (of the run)."""
        rows = [self._annotated(pk, day) for pk in episode_ids]
        return {row.episode_id: row for row in _rows(rows, day, self.limits)}

    def _annotated(self, pk: Any, day: datetime.date) -> Any:
        """What ``_annotated`` gives ``_row`` for one episode and day."""
        episode = self.episodes[pk]
        in_force = next((o for o in reversed(self.orders[pk]) if o[1] <= day), None)
        rx = in_force[2:] if in_force is not None else (None,) * 7
        today = self.doses.get((pk, day), (None, None, None))
        taken = [d for d in self.taken[pk] if d <= day]
        return SimpleNamespace(
            pk=pk,
            person_id=episode.person_id,
            started_on=episode.started_on,
            rx_mg=rx[0],
            rx_take_home=rx[1],
            rx_flags=rx[2],
            rx_review=rx[3],
            rx_split=rx[4],
            rx_written=rx[5],
            rx_prescriber=rx[6],
            last_taken=max(taken) if taken else None,
            today_id=today[0],
            today_kind=today[1],
            today_mg=today[2],
            override_mg=self.overrides.get((pk, day)),
            _state=SimpleNamespace(fields_cache={}),
        )


def today_screen(
    *, viewer: access.AnyUser, day: datetime.date, query: str = ""
) -> TodayScreen | None:
    """Return the clinic's patients in treatment with the day's dose and flags (None for a
    user who works at no clinic), and record one event naming every patient shown."""
    clinic = clinic_of(viewer)
    if clinic is None:
        return None
    limits = rules.Limits.from_settings()
    episodes = _annotated(clinic_episodes(viewer, capability=DOSE_RECORD), day)
    rows = sorted(_rows(episodes, day, limits), key=lambda r: fold_text(r.name))
    total = len(rows)
    wanted = fold_text(query)
    if wanted:
        rows = [row for row in rows if wanted in row.search_text]
    record_read(
        actor=viewer,
        action=MethadoneAction.TODAY_VIEWED,
        object_type="organisation",
        object_id=clinic.pk,
        detail={"day": day.isoformat(), "people": sorted(str(r.person_id) for r in rows)},
    )
    return TodayScreen(clinic, day, rows, total, query)


def today_row(*, viewer: access.AnyUser, episode_id: Any, day: datetime.date) -> TodayRow | None:
    """Return one row of the day's list (after a dose was recorded from it)."""
    rows = clinic_episodes(viewer, capability=DOSE_RECORD).filter(pk=episode_id)
    found = _annotated(rows, day).first()
    return _rows([found], day, rules.Limits.from_settings())[0] if found is not None else None


# --- one episode ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DoseLine:
    dose: Dose
    corrections: int

    @property
    def amount(self) -> str:
        return dose_amount(self.dose.dose_mg)


def episode_prescriptions(*, episode: TreatmentEpisode) -> list[Prescription]:
    """Return an episode's prescriptions, newest first (the episode was fetched in scope)."""
    rows = Prescription.objects.filter(episode=episode).select_related("prescriber")
    return list(rows.order_by("-starts_on"))


def episode_overrides(*, episode: TreatmentEpisode, days: int = 60) -> list[DoseOverride]:
    """Return the prescribers' one-day doses of the last ``days`` days, newest first."""
    since = max(episode.started_on, _today() - datetime.timedelta(days=days))
    rows = DoseOverride.objects.filter(episode=episode, given_on__gte=since)
    return list(rows.select_related("recorded_by").order_by("-given_on"))


def episode_doses(*, episode: TreatmentEpisode, days: int = 60) -> list[DoseLine]:
    """Return the episode's doses of the last ``days`` days, newest first, with corrections."""
    since = max(episode.started_on, _today() - datetime.timedelta(days=days))
    rows = list(Dose.objects.filter(episode=episode, given_on__gte=since).order_by("-given_on"))
    counts: dict[int, int] = {}
    for dose_id in DoseCorrection.objects.filter(dose__in=rows).values_list("dose_id", flat=True):
        counts[dose_id] = counts.get(dose_id, 0) + 1
    return [DoseLine(row, counts.get(row.pk, 0)) for row in rows]


def dose_corrections(*, dose: Dose) -> list[DoseCorrection]:
    """Return a dose's corrections, oldest first (the dose was fetched in scope)."""
    rows = DoseCorrection.objects.filter(dose=dose).select_related("corrected_by")
    return list(rows.order_by("corrected_at"))


def _today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()


# --- the timeline, the case page's "Add…" menu and "Việc của tôi" ------------------------


def episode_url(episode_id: Any) -> str:
    return reverse("methadone:episode", args=[episode_id])


def prescription_summary(row: Prescription) -> str:
    """Return the line a timeline shows for a prescription (no identifying text)."""
    return f"{dose_amount(row.dose_mg)} · {Phase(row.phase).label}"


def prescription_entries(
    viewer: access.AnyUser, case_ids: list[Any], limit: int
) -> Iterable[timeline.Entry]:
    """Yield the timeline entries of methadone prescriptions (one query)."""
    rows = Prescription.objects.filter(case_id__in=case_ids).order_by("-starts_on")[:limit]
    for row in rows:
        yield timeline.Entry(
            on=row.starts_on,
            kind=Prescription.timeline_label,
            title=prescription_summary(row),
            url=episode_url(row.episode_id),
            status=_("Guideline overridden") if row.rule_flags else "",
        )


def add_links(viewer: access.AnyUser, case: Case) -> list[timeline.AddLink]:
    """Return "Methadone prescription" for each open methadone episode of the case the viewer's
    clinic treats."""
    rows = clinic_episodes(viewer, capability=PRESCRIPTION_RECORD).filter(case=case)
    return [
        timeline.AddLink(
            _("Methadone prescription"), reverse("methadone:prescription_add", args=[pk])
        )
        for pk in rows.values_list("pk", flat=True)
    ]


REVIEW_LABELS = {
    "scheduled": _("Methadone prescription review"),
    "missed_assess": _("Methadone: missed days, assess before dosing"),
    "missed_reduce": _("Methadone: missed days, reduce the dose"),
    "missed_restart": _("Methadone: missed days, restart induction"),
}


def review_label(row: Prescription) -> str:
    """Return what a due review is about (the reason, never the person)."""
    return str(REVIEW_LABELS.get(row.review_reason, REVIEW_LABELS["scheduled"]))


def review_url(row: Prescription) -> str:
    return episode_url(row.episode_id)


def day_label(day: datetime.date | None) -> str:
    return date_format(day, "SHORT_DATE_FORMAT") if day else "—"
