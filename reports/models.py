"""Plans and their targets: what a unit is judged against (read through ``reports.plans``).

A plan (kế hoạch) is issued for an administrative unit (a province, usually) and runs for
one or more years; it sets targets per indicator, per unit of its subtree and per year. A
unit without a target of its own is judged against its nearest ancestor's.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from audit.history import RequestIdHistory
from cases.models import AdministrativeUnit
from core.editing import Versioned
from core.fields import EncryptedTextField

# A plan's years: a sane window, so a typo (20225) is refused by the database too.
FIRST_YEAR, LAST_YEAR = 2000, 2100
# A built report file's size limit (its base64 text): far above a province-year XLSX.
BODY_MAX = 50_000_000


class TargetKind(models.TextChoices):
    SHARE = "share", _("Share (%)")
    COUNT = "count", _("Number of people")


class Comparison(models.TextChoices):
    AT_LEAST = "at_least", _("at least (≥)")
    MORE_THAN = "more_than", _("more than (>)")
    AT_MOST = "at_most", _("at most (≤)")


COMPARISON_SIGNS = {"at_least": "≥", "more_than": ">", "at_most": "≤"}


class Plan(Versioned):
    """A plan issued for a unit: its number, issuer and the years it runs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(_("number"), max_length=50, help_text=_("For example 30/KH-UBND."))
    issuer = models.CharField(_("issued by"), max_length=200)
    title = models.CharField(_("title"), max_length=300, blank=True)
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="plans",
        verbose_name=_("administrative unit"),
    )
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    first_year = models.PositiveSmallIntegerField(_("from year"))
    last_year = models.PositiveSmallIntegerField(_("to year"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-first_year", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_year__gte=F("first_year")), name="plan_years_in_order"
            ),
            models.CheckConstraint(
                condition=Q(first_year__gte=FIRST_YEAR) & Q(last_year__lte=LAST_YEAR),
                name="plan_years_sane",
            ),
            models.UniqueConstraint(
                fields=["unit", "number", "first_year"],
                name="plan_unique_number",
                violation_error_message=_(
                    "This unit already has a plan with this number starting that year."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.issuer})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for name in ("first_year", "last_year"):
            year = getattr(self, name)
            if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
                errors[name] = str(
                    _("Enter a year between %(first)d and %(last)d.")
                    % {"first": FIRST_YEAR, "last": LAST_YEAR}
                )
        if (
            not errors
            and self.first_year is not None
            and self.last_year is not None
            and self.last_year < self.first_year
        ):
            errors["last_year"] = str(_("The last year cannot be before the first."))
        if errors:
            raise ValidationError(errors)

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)


class Target(Versioned):
    """One target of a plan: an indicator, a unit of the plan's area and a year."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="targets", verbose_name=_("plan")
    )
    # A code of the indicator registry (reports.registry); checked by the actions.
    indicator = models.CharField(_("indicator"), max_length=40)
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("administrative unit"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=10, choices=TargetKind.choices)
    comparison = models.CharField(
        _("comparison"), max_length=10, choices=Comparison.choices, default=Comparison.AT_LEAST
    )
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    # A target of one breakdown key (Lào Cai 2.3: the social-affairs sector, sector "Xã hội",
    # treats 41.13%); both empty: the target of the indicator's total.
    breakdown = models.CharField(_("breakdown"), max_length=20, blank=True, default="")
    key = models.CharField(_("breakdown value"), max_length=100, blank=True, default="")
    # The part of the plan that sets it (e.g. "2.3", "II.2.a") and what it says in words.
    clause = models.CharField(_("section of the plan"), max_length=30, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["indicator", "year"]
        indexes = [
            # target_for: one indicator and year, over the units on the path to the root.
            models.Index(fields=["indicator", "year", "unit"], name="target_lookup"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="target_value_not_negative"),
            models.CheckConstraint(
                condition=~Q(kind="share") | Q(value__lte=100), name="target_share_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(breakdown="", key="") | (~Q(breakdown="") & ~Q(key="")),
                name="target_breakdown_with_key",
            ),
            models.UniqueConstraint(
                fields=["plan", "indicator", "unit", "year", "breakdown", "key"],
                name="target_unique",
                violation_error_message=_(
                    "This plan already has a target for this indicator, breakdown value, "
                    "unit and year: change that one instead."
                ),
            ),
        ]

    def __str__(self) -> str:
        part = f" [{self.breakdown}={self.key}]" if self.key else ""
        return f"{self.indicator}{part} {COMPARISON_SIGNS.get(self.comparison, '')} {self.value}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if bool(self.breakdown) != bool(self.key):
            errors["key"] = str(_("Choose both the breakdown and its value, or neither."))
        if self.value is not None and self.value < 0:
            errors["value"] = str(_("A target cannot be negative."))
        elif self.kind == TargetKind.SHARE and self.value is not None and self.value > 100:
            errors["value"] = str(_("A share is at most 100%."))
        elif (
            self.kind == TargetKind.COUNT
            and self.value is not None
            and self.value != int(self.value)
        ):
            errors["value"] = str(_("A number of people is a whole number."))
        plan = self.plan if self.plan_id else None
        if plan is not None and self.year is not None and self.year not in plan.years:
            errors["year"] = str(
                _("The plan runs from %(first)d to %(last)d.")
                % {"first": plan.first_year, "last": plan.last_year}
            )
        if (
            plan is not None
            and self.unit_id is not None
            and not self.unit.path.startswith(plan.unit.path)
        ):
            errors["unit"] = str(_("Choose a unit within the plan's area."))
        if errors:
            raise ValidationError(errors)

    @property
    def sign(self) -> str:
        return COMPARISON_SIGNS.get(self.comparison, "")


class ReportFileStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    BUILDING = "building", _("Building")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class ReportFile(models.Model):
    """A figures report built in the background for the user who asked (``reports.files``).

    Only the requester may download it; the file is encrypted (it may hold exact small
    counts of the requester's own area), deleted once downloaded or when it expires.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.CASCADE, related_name="+")
    # The requester's figures scope when they asked: the file is built and handed over only
    # while it is still the same (a narrowed scope must not receive a wider file).
    scope_unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.CASCADE, related_name="+", null=True
    )
    # What to build: periods (label, start, end), breakdowns, sharing, format. No person.
    request = models.JSONField()
    language = models.CharField(max_length=10)
    status = models.CharField(
        max_length=10, choices=ReportFileStatus.choices, default=ReportFileStatus.QUEUED
    )
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # Why it failed, as a code the page turns into a message ("error", "scope").
    failure = models.CharField(max_length=20, blank=True)
    name = models.CharField(max_length=100, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    # The file, base64, encrypted with the key ring (docs/encryption.md).
    body = EncryptedTextField(max_length=BODY_MAX, editable=False)
    # Counts for the export event written at download.
    tables = models.PositiveIntegerField(default=0)
    suppressed_tables = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status="ready") | Q(body__isnull=True),
                name="reportfile_body_only_when_ready",
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | Q(body__isnull=False),
                name="reportfile_ready_has_a_body",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} ({self.get_status_display()})"


# --- roll-up of the coverage figures (decision D37, ``reports.rollup``) ---------------------


class FigureCell(models.Model):
    """One commune's figure of one indicator, period, breakdown and key (``total``: over
    every key, or without a breakdown; its key is then "").

    Written only by ``reports.rollup`` (a build or a refresh); read only for the communes
    without a :class:`FigureStale` marker.
    """

    indicator = models.CharField(max_length=40)
    period_start = models.DateField()
    period_end = models.DateField()
    commune_id = models.IntegerField()
    breakdown = models.CharField(max_length=20, blank=True, default="")
    key = models.CharField(max_length=100, blank=True, default="")
    # A key may itself be "" (a provider type without a sector): the total is this flag.
    total = models.BooleanField(default=False)
    numerator = models.BigIntegerField()
    denominator = models.BigIntegerField()
    refreshed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "indicator",
                    "period_start",
                    "period_end",
                    "commune_id",
                    "breakdown",
                    "key",
                    "total",
                ],
                name="figure_cell_unique",
            )
        ]
        indexes = [models.Index(fields=["commune_id"], name="figure_cell_commune")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.period_start}–{self.period_end} commune {self.commune_id}"


class FigureStale(models.Model):
    """A commune whose figure cells may be out of date (NULL: every commune).

    Inserted by the database triggers on every table an indicator reads, in the transaction
    of the write; a refresh deletes the markers it saw, and only those.
    """

    id = models.BigAutoField(primary_key=True)
    commune_id = models.IntegerField(null=True)
    marked_at = models.DateTimeField(db_default=Now())

    class Meta:
        indexes = [models.Index(fields=["commune_id"], name="figure_stale_commune")]

    def __str__(self) -> str:
        return f"stale: commune {self.commune_id}" if self.commune_id else "stale: every commune"


class FigureBuild(models.Model):
    """An indicator and standard period whose cells were built for every commune."""

    indicator = models.CharField(max_length=40)
    period_start = models.DateField()
    period_end = models.DateField()
    # The breakdowns built, comma-separated ("" first: none): an indicator that offers a new
    # one is rebuilt, and read live for it until then.
    breakdowns = models.CharField(max_length=200, blank=True, default="")
    built_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period_start", "period_end"], name="figure_build_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.period_start}–{self.period_end}"
