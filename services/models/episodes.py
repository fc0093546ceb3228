"""Treatment episodes by modality, and a facility episode's progress through its stages."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from audit.history import RequestIdHistory
from cases.models import Organisation, Person
from core.editing import Versioned

from .. import regulations
from .base import CaseRecord, overlapping


class Modality(models.TextChoices):
    COMMUNITY_VOLUNTARY = "community_voluntary", _("Voluntary treatment at family or community")
    FACILITY_VOLUNTARY = "facility_voluntary", _("Voluntary treatment at a facility")
    FACILITY_COMPULSORY = "facility_compulsory", _("Compulsory treatment at a facility")
    METHADONE = "methadone", _("Methadone maintenance treatment")


# Modalities where the person lives at the facility: one such episode at a time. The
# exclusion constraint of migration 0003_episode_rules names the same two codes.
RESIDENTIAL = (Modality.FACILITY_VOLUNTARY, Modality.FACILITY_COMPULSORY)


def _day(value: datetime.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


class Outcome(models.TextChoices):
    ONGOING = "ongoing", _("Ongoing")
    COMPLETED = "completed", _("Completed")
    DROPPED_OUT = "dropped_out", _("Dropped out")
    TRANSFERRED = "transferred", _("Transferred")
    RELAPSED = "relapsed", _("Relapsed")
    DIED = "died", _("Died")


class TreatmentEpisode(CaseRecord):
    """One period of treatment in one modality with one provider."""

    timeline_label = _("Treatment episode")

    # A copy of the case's person, so overlapping residential episodes of one person are
    # refused by the database (an exclusion constraint over this column and the dates).
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", editable=False)
    modality = models.CharField(_("modality"), max_length=30, choices=Modality.choices)
    provider = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("provider")
    )
    started_on = models.DateField(_("started on"))
    planned_end_on = models.DateField(_("planned end"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.ONGOING
    )

    class Meta:
        verbose_name = _("treatment episode")
        verbose_name_plural = _("treatment episodes")
        indexes = [
            models.Index(fields=["case", "started_on"], name="episode_case_start"),
            # A methadone clinic's patients in treatment (its "today" screen): the open
            # methadone episodes of one provider, without touching any other episode.
            models.Index(
                fields=["provider", "started_on"],
                name="episode_methadone_open",
                condition=Q(modality="methadone", ended_on__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="episode_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(planned_end_on__isnull=True)
                | Q(planned_end_on__gte=models.F("started_on")),
                name="episode_planned_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(outcome="ongoing", ended_on__isnull=True)
                | (~Q(outcome="ongoing") & Q(ended_on__isnull=False)),
                name="episode_ended_iff_outcome",
            ),
        ]

    person_id: uuid.UUID

    def __str__(self) -> str:
        return f"{self.get_modality_display()} – {self.short_id}"

    @property
    def when(self) -> Any:
        return self.started_on

    @property
    def residential(self) -> bool:
        return self.modality in RESIDENTIAL

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.person_id = self.case.person_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """Refuse a duration the law does not allow, an overlap, an unfinished completion."""
        if self.started_on is None or not self.modality or self.case_id is None:
            return  # the form reports the missing field itself
        errors: dict[str, list[ValidationError]] = {}
        for name in self._ends_to_check():
            if (problem := self._duration_problem(getattr(self, name))) is not None:
                errors.setdefault(name, []).append(problem)
        if self.residential:
            errors.setdefault("__all__", []).extend(self._overlap_problems())
        errors.setdefault("__all__", []).extend(self._stage_problems())
        if any(errors.values()):
            raise ValidationError({name: found for name, found in errors.items() if found})

    def _ends_to_check(self) -> list[str]:
        names = ["planned_end_on"] if self.planned_end_on else []
        if self.ended_on and self.outcome == Outcome.COMPLETED:
            names.append("ended_on")
        return names

    def _duration_problem(self, end: datetime.date) -> ValidationError | None:
        person = self.case.person
        ages = regulations.possible_ages(
            birth_year=person.birth_year,
            on=self.started_on,
            estimated=person.birth_year_estimated,
        )
        rules = regulations.durations_for(modality=self.modality, ages=ages)
        if not rules or any(rule.allows(self.started_on, end) for rule in rules):
            return None
        if len(rules) == 1:
            rule = rules[0]
            return ValidationError(
                _(
                    "%(label)s lasts %(min)d to %(max)d months (%(source)s): this date must "
                    "fall between %(earliest)s and %(latest)s."
                ),
                code="duration",
                params={
                    "label": rule.label,
                    "min": rule.min_months,
                    "max": rule.max_months,
                    "source": rule.source,
                    "earliest": _day(rule.earliest_end(self.started_on)),
                    "latest": _day(rule.latest_end(self.started_on)),
                },
            )
        return self._uncertain_age_problem(rules, estimated=person.birth_year_estimated)

    def _uncertain_age_problem(
        self, rules: list[regulations.Duration], *, estimated: bool
    ) -> ValidationError:
        minor, adult = rules
        message = (
            _(
                "The year of birth is estimated, so the person may have been under 18 or "
                "18 or over at the start, and neither rule allows this date: between "
                "%(minor_earliest)s and %(minor_latest)s if under 18 (%(minor_source)s), "
                "between %(adult_earliest)s and %(adult_latest)s if 18 or over "
                "(%(adult_source)s)."
            )
            if estimated
            else _(
                "Born in %(year)s, the person may have been 17 or 18 at the start, and "
                "neither rule allows this date: between %(minor_earliest)s and "
                "%(minor_latest)s if under 18 (%(minor_source)s), between %(adult_earliest)s "
                "and %(adult_latest)s if 18 or over (%(adult_source)s)."
            )
        )
        start = self.started_on
        return ValidationError(
            message,
            code="duration_uncertain_age",
            params={
                "year": self.case.person.birth_year,
                "minor_earliest": _day(minor.earliest_end(start)),
                "minor_latest": _day(minor.latest_end(start)),
                "minor_source": minor.source,
                "adult_earliest": _day(adult.earliest_end(start)),
                "adult_latest": _day(adult.latest_end(start)),
                "adult_source": adult.source,
            },
        )

    def _overlap_problems(self) -> list[ValidationError]:
        """Return the refusal for another residential episode of the person at the same time."""
        # Ranges are half-open, as in the database's constraint: one episode may end on the
        # day the next begins (a transfer between facilities).
        others = overlapping(
            TreatmentEpisode.objects.filter(
                person_id=self.case.person_id, modality__in=RESIDENTIAL
            ),
            start="started_on",
            end="ended_on",
            since=self.started_on,
            until=self.ended_on,
        )
        if not self._state.adding:
            others = others.exclude(pk=self.pk)
        other = others.order_by("started_on").values("started_on", "ended_on").first()
        if other is None:
            return []
        if other["ended_on"] is None:
            message = _(
                "This person is already in treatment at a facility from %(start)s, with no "
                "end recorded: two facility episodes cannot overlap. Record the end of that "
                "episode first."
            )
        else:
            message = _(
                "This person is already in treatment at a facility from %(start)s to "
                "%(end)s: two facility episodes cannot overlap."
            )
        end = other["ended_on"]
        params = {"start": _day(other["started_on"]), "end": _day(end) if end else ""}
        return [ValidationError(message, code="overlap", params=params)]

    def _stage_problems(self) -> list[ValidationError]:
        """Return what the recorded stages say against this episode's modality, dates, outcome."""
        if self._state.adding:
            stages: list[dict[str, Any]] = []
        else:
            stages = [dict(row) for row in self.stages.values("stage", "started_on", "ended_on")]
        if stages and not self.residential:
            return [
                ValidationError(
                    _("Stages are recorded for this episode: it must stay at a facility."),
                    code="stages_need_facility",
                )
            ]
        problems = [
            ValidationError(
                _("%(stage)s starts or ends outside the episode's dates."),
                code="stage_outside",
                params={"stage": Stage(row["stage"]).label},
            )
            for row in stages
            if not _within(row["started_on"], row["ended_on"], self.started_on, self.ended_on)
        ]
        if self.outcome == Outcome.COMPLETED and self.residential:
            problems.extend(self._completion_problems(stages))
        return problems

    def _completion_problems(self, stages: Iterable[dict[str, Any]]) -> list[ValidationError]:
        required = STAGES_TO_COMPLETE[Modality(self.modality)]
        ended = {row["stage"] for row in stages if row["ended_on"] is not None}
        missing = [Stage(number).label for number in required if number not in ended]
        if not missing:
            return []
        message = (
            _(
                "Voluntary treatment at a facility can only be recorded as completed once "
                "stages 1 to 3 have ended (Law 73/2021/QH14, article 29, clause 2). Not ended "
                "yet: %(missing)s."
            )
            if self.modality == Modality.FACILITY_VOLUNTARY
            else _(
                "Compulsory treatment can only be recorded as completed once all five stages "
                "have ended (Law 73/2021/QH14, article 29, clause 2). Not ended yet: "
                "%(missing)s."
            )
        )
        return [
            ValidationError(
                message, code="stages_missing", params={"missing": "; ".join(map(str, missing))}
            )
        ]


class Stage(models.IntegerChoices):
    """The five stages of the treatment process at a facility (Law 73/2021/QH14, art. 29)."""

    RECEPTION = 1, _("Reception and classification")
    DETOX = 2, _("Detoxification")
    COUNSELLING = 3, _("Counselling and behaviour rehabilitation")
    WORK_THERAPY = 4, _("Work therapy and vocational training")
    REINTEGRATION = 5, _("Preparation for reintegration")


# The stages that must have ended before a facility episode is recorded as completed
# (Law 73/2021/QH14, art. 29, cl. 2: voluntary treatment the first three, compulsory all).
STAGES_TO_COMPLETE = {
    Modality.FACILITY_VOLUNTARY: (Stage.RECEPTION, Stage.DETOX, Stage.COUNSELLING),
    Modality.FACILITY_COMPULSORY: tuple(Stage),
}


def _within(
    start: datetime.date,
    end: datetime.date | None,
    outer_start: datetime.date,
    outer_end: datetime.date | None,
) -> bool:
    """Return whether [start, end] lies within [outer_start, outer_end] (None: open)."""
    if start < outer_start:
        return False
    if outer_end is None:
        return True
    return start <= outer_end and (end is None or end <= outer_end)


class EpisodeStage(Versioned):
    """A stage of a facility episode, with the dates it began and ended."""

    scope_through = "episode__case"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    episode = models.ForeignKey(
        TreatmentEpisode,
        on_delete=models.PROTECT,
        related_name="stages",
        verbose_name=_("treatment episode"),
    )
    stage = models.PositiveSmallIntegerField(_("stage"), choices=Stage.choices)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("treatment stage")
        verbose_name_plural = _("treatment stages")
        ordering = ["stage"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "stage"],
                name="stage_once_per_episode",
                violation_error_code="stage_repeated",
                violation_error_message=_(
                    "This stage is already recorded for this episode: edit it instead."
                ),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="stage_ends_after_start",
            ),
        ]

    episode_id: uuid.UUID

    def __str__(self) -> str:
        return str(self.get_stage_display())

    def clean(self) -> None:
        """Refuse a stage outside a facility episode, outside its dates, or out of order."""
        if self.started_on is None or not self.stage or self.episode_id is None:
            return  # the form reports the missing field itself
        episode = self.episode
        if not episode.residential:
            raise ValidationError(
                _("Stages are recorded only for treatment at a facility."), code="not_facility"
            )
        if not _within(self.started_on, self.ended_on, episode.started_on, episode.ended_on):
            raise self._outside_message(episode)
        if (problem := self._order_problem()) is not None:
            raise ValidationError({"started_on": problem})

    @staticmethod
    def _outside_message(episode: TreatmentEpisode) -> ValidationError:
        if episode.ended_on is None:
            return ValidationError(
                _("A stage cannot start before the episode started (%(start)s)."),
                code="stage_outside",
                params={"start": _day(episode.started_on)},
            )
        return ValidationError(
            _("A stage's dates must lie within the episode's: from %(start)s to %(end)s."),
            code="stage_outside",
            params={"start": _day(episode.started_on), "end": _day(episode.ended_on)},
        )

    def _order_problem(self) -> ValidationError | None:
        """Return the refusal when an earlier stage starts later, or a later one earlier."""
        others = self.episode.stages.all()
        if not self._state.adding:
            others = others.exclude(pk=self.pk)
        for row in others.values("stage", "started_on").order_by("stage"):
            before = row["stage"] < self.stage and row["started_on"] > self.started_on
            after = row["stage"] > self.stage and row["started_on"] < self.started_on
            if before or after:
                message = (
                    _("This stage cannot start before %(other)s started (%(date)s).")
                    if before
                    else _("This stage cannot start after %(other)s started (%(date)s).")
                )
                params = {"other": Stage(row["stage"]).label, "date": _day(row["started_on"])}
                return ValidationError(message, code="stage_order", params=params)
        return None
