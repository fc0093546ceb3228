"""What a reorganisation of the map keeps so past periods read on the old map (D57).

``Reorganisation``: one run of ``reorganise_units`` (when, by whom, from which file).
``UnitSuccession``: its mapping table, old unit → new unit, one row per mapping row applied.
``ReaddressedPerson``: every person of the mapping's old units at the run, with the old unit
they lived in and the new one they were given, so a period before the change can count each
person in their old commune. The units' names and places before the run are in the units'
own history (``AdministrativeUnit.history.as_of``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Reorganisation(models.Model):
    applied_at = models.DateTimeField(editable=False)
    # The first day on the new map: periods ending before it may be read on the old map.
    effective_on = models.DateField(editable=False)
    by = models.CharField(max_length=150, editable=False)
    source = models.CharField(max_length=255, blank=True, editable=False)

    class Meta:
        verbose_name = _("reorganisation of the map")
        verbose_name_plural = _("reorganisations of the map")
        indexes = [models.Index(fields=["effective_on"], name="reorganisation_effective")]

    def __str__(self) -> str:
        return f"reorganisation {self.pk} ({self.effective_on})"


class UnitSuccession(models.Model):
    reorganisation = models.ForeignKey(
        Reorganisation, on_delete=models.PROTECT, related_name="successions", editable=False
    )
    old_unit = models.ForeignKey(
        "cases.AdministrativeUnit", on_delete=models.PROTECT, related_name="+", editable=False
    )
    new_unit = models.ForeignKey(
        "cases.AdministrativeUnit", on_delete=models.PROTECT, related_name="+", editable=False
    )
    kind = models.CharField(max_length=10, editable=False)  # full / partial

    class Meta:
        verbose_name = _("unit succession")
        verbose_name_plural = _("unit successions")
        constraints = [
            models.UniqueConstraint(
                fields=["reorganisation", "old_unit", "new_unit"], name="succession_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.old_unit_id} → {self.new_unit_id}"


class ReaddressedPerson(models.Model):
    reorganisation = models.ForeignKey(
        Reorganisation, on_delete=models.PROTECT, related_name="+", editable=False
    )
    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, related_name="+", editable=False
    )
    old_unit = models.ForeignKey(
        "cases.AdministrativeUnit", on_delete=models.PROTECT, related_name="+", editable=False
    )
    new_unit = models.ForeignKey(
        "cases.AdministrativeUnit", on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("person re-addressed")
        verbose_name_plural = _("people re-addressed")
        constraints = [
            models.UniqueConstraint(
                fields=["reorganisation", "person"], name="readdressed_person_once"
            )
        ]
        indexes = [models.Index(fields=["reorganisation", "new_unit"], name="readdressed_new_unit")]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.old_unit_id} → {self.new_unit_id}"
