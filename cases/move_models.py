"""Where a person lived, and the hand-over of a person who moves (issue 30 part 1, D50).

Imported by ``cases.models`` so that Django finds them. ``Person.residence_commune`` stays
the current commune (the column the access rules compare); ``Residence`` is its dated
history, and ``Move`` is one change of residence announced by the old commune and accepted
by the new one (``cases.moves``, ``docs/moves.md``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ResidenceSource(models.TextChoices):
    """Where a residence row came from."""

    REGISTRATION = "registration", _("Registration")
    EDIT = "edit", _("Correction of the person's record")
    MOVE = "move", _("A move accepted by the new commune")
    REORGANISATION = "reorganisation", _("A change of the administrative map")
    EARLIER = "earlier", _("Before residence history was kept")


class MoveSource(models.TextChoices):
    """Who told the old commune that the person moved."""

    PERSON = "person", _("The person")
    FAMILY = "family", _("The family")
    POLICE = "police", _("Residence registration (police)")
    COMMUNE = "commune", _("The other commune")
    OTHER = "other", _("Other")


class MoveState(models.TextChoices):
    PENDING = "pending", _("Waiting for the new commune")
    ACCEPTED = "accepted", _("Accepted")


class Move(models.Model):
    """A person's change of residence to another commune, handed over to it.

    Recorded by the old commune (``recorded_by``, of ``from_organisation``); the new
    commune's officers accept it within 24 hours (``due_at``, Law 120/2025/QH15); on
    acceptance the person's residence changes and the old commune reads what it held until
    ``read_until``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, related_name="moves", verbose_name=_("person")
    )
    from_commune = models.ForeignKey(
        "cases.AdministrativeUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("old commune"),
    )
    to_commune = models.ForeignKey(
        "cases.AdministrativeUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("new commune"),
    )
    moved_on = models.DateField(_("moved on"))
    source = models.CharField(_("source of the information"), max_length=10, choices=MoveSource)
    state = models.CharField(
        _("state"), max_length=10, choices=MoveState, default=MoveState.PENDING
    )
    from_organisation = models.ForeignKey(
        "cases.Organisation", on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    due_at = models.DateTimeField(_("answer due"), editable=False)
    to_organisation = models.ForeignKey(
        "cases.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    read_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("move")
        verbose_name_plural = _("moves")
        indexes = [
            models.Index(fields=["to_commune", "state"], name="move_to_commune_state"),
            models.Index(fields=["from_commune", "read_until"], name="move_from_commune_read"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(state="pending"), name="move_one_pending_per_person"
            ),
            models.CheckConstraint(
                condition=~Q(from_commune=models.F("to_commune")), name="move_to_another_commune"
            ),
            models.CheckConstraint(
                condition=Q(state="pending")
                | Q(accepted_at__isnull=False, read_until__isnull=False),
                name="move_accepted_has_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"move {self.id.hex[:8]}"

    @property
    def short_id(self) -> str:
        return self.id.hex[:8].upper()

    def overdue(self, now: object = None) -> bool:
        """Return whether the new commune has not answered within the deadline."""
        at = now if now is not None else timezone.now()
        return self.state == MoveState.PENDING and at > self.due_at  # type: ignore[operator]


class Residence(models.Model):
    """One stretch of a person's residence: a commune from one day to another.

    ``started_on`` empty: since before the history was kept; ``ended_on`` empty: where the
    person lives now (one such row per person, the same commune as the person row's).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(
        "cases.Person",
        on_delete=models.PROTECT,
        related_name="residences",
        verbose_name=_("person"),
    )
    commune = models.ForeignKey(
        "cases.AdministrativeUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("commune"),
    )
    started_on = models.DateField(_("from"), null=True, blank=True)
    ended_on = models.DateField(_("until"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=ResidenceSource)
    move = models.ForeignKey(
        Move, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("residence")
        verbose_name_plural = _("residences")
        indexes = [models.Index(fields=["person", "started_on"], name="residence_person_from")]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(ended_on__isnull=True), name="residence_one_current"
            ),
            models.CheckConstraint(
                condition=Q(started_on__isnull=True)
                | Q(ended_on__isnull=True)
                | Q(ended_on__gte=models.F("started_on")),
                name="residence_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"residence {self.id.hex[:8]}"
