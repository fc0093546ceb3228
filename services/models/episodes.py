"""Treatment episodes by modality, and a facility episode's progress through its stages."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from audit.history import RequestIdHistory
from cases.models import Organisation, Person

from .base import CaseRecord


class Modality(models.TextChoices):
    COMMUNITY_VOLUNTARY = "community_voluntary", _("Voluntary treatment at family or community")
    FACILITY_VOLUNTARY = "facility_voluntary", _("Voluntary treatment at a facility")
    FACILITY_COMPULSORY = "facility_compulsory", _("Compulsory treatment at a facility")
    METHADONE = "methadone", _("Methadone maintenance treatment")


# Modalities where the person lives at the facility: one such episode at a time.
RESIDENTIAL = (Modality.FACILITY_VOLUNTARY, Modality.FACILITY_COMPULSORY)


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
        indexes = [models.Index(fields=["case", "started_on"], name="episode_case_start")]
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


class Stage(models.IntegerChoices):
    """The five stages of the treatment process at a facility (Law 73/2021/QH14, art. 29)."""

    RECEPTION = 1, _("Reception and classification")
    DETOX = 2, _("Detoxification")
    COUNSELLING = 3, _("Counselling and behaviour rehabilitation")
    WORK_THERAPY = 4, _("Work therapy and vocational training")
    REINTEGRATION = 5, _("Preparation for reintegration")


class EpisodeStage(models.Model):
    """A stage of a facility episode, with the dates it began and ended."""

    scope_through = "episode__case"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    episode = models.ForeignKey(
        TreatmentEpisode, on_delete=models.PROTECT, related_name="stages",
        verbose_name=_("treatment episode"),
    )  # fmt: skip
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
            models.UniqueConstraint(fields=["episode", "stage"], name="stage_once_per_episode"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="stage_ends_after_start",
            ),
        ]

    episode_id: uuid.UUID

    def __str__(self) -> str:
        return str(self.get_stage_display())
