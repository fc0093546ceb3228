"""The facility registry (issue 29, decision D49): a facility's profile, the checklist of the
conditions it is reviewed against, and its condition reviews.

A profile hangs off one organisation (``cases.models.Organisation``, untouched: a one-to-one
row here). Its public fields (``PUBLIC_FIELDS``) feed the public directory of the API issue
through ``selectors.public_facilities``; the others are for management only. The checklist
is data: versions of items (Decree 116/2021/NĐ-CP's as the first, loaded by a migration), a
review answers each item of one version.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from audit.history import RequestIdHistory
from cases.choices import UnitLevel
from cases.models import AdministrativeUnit, Organisation
from core.editing import Versioned
from services.models import ServiceType

# A sane upper bound for a facility's capacity (a typo of 20000 beds is refused).
CAPACITY_MAX = 10_000


class CapacityUnit(models.TextChoices):
    BEDS = "beds", _("beds")
    PLACES = "places", _("places")
    PATIENTS = "patients", _("patients")


class Area(models.TextChoices):
    """The three groups of conditions (and the location, which the decree names first)."""

    LOCATION = "location", _("Location")
    BUILDING = "building", _("Building")
    EQUIPMENT = "equipment", _("Equipment")
    STAFF = "staff", _("Staff")


class ItemResult(models.TextChoices):
    MET = "met", _("Met")
    NOT_MET = "not_met", _("Not met")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class Overall(models.TextChoices):
    MEETS = "meets", _("Meets the conditions")
    DOES_NOT_MEET = "does_not_meet", _("Does not meet the conditions")


class ChecklistVersion(models.Model):
    """One version of the checklist: the conditions as a regulation states them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(_("code"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=300)
    source = models.CharField(_("source"), max_length=300)
    valid_from = models.DateField(_("valid from"))
    # The version a new review answers: the one valid from the latest date, when in use.
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("checklist version")
        verbose_name_plural = _("checklist versions")
        ordering = ["-valid_from", "code"]

    def __str__(self) -> str:
        return self.title


class ChecklistItem(models.Model):
    """One condition of a checklist version."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(
        ChecklistVersion, on_delete=models.PROTECT, related_name="items", verbose_name=_("version")
    )
    area = models.CharField(_("area"), max_length=20, choices=Area.choices)
    number = models.CharField(_("number"), max_length=10)
    text = models.CharField(_("condition"), max_length=500)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["version", "order", "number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="checklist_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"


# The fields of a profile the public directory may show (issue 32), in display order.
PUBLIC_FIELDS = (
    "public_name",
    "address",
    "commune",
    "phone",
    "opening_hours",
    "opening_hours_en",
    "capacity",
    "capacity_unit",
    "services",
    "services_other",
    "eligibility",
    "licence_number",
    "licence_date",
)


class FacilityProfile(Versioned):
    """What the registry knows of one organisation as a facility: public and management fields."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.PROTECT,
        related_name="facility",
        verbose_name=_("organisation"),
    )
    # Where the facility stands: the commune its figures are counted in (docs/facilities.md).
    commune = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("commune where it stands"),
        limit_choices_to={"level": UnitLevel.COMMUNE},
    )
    address = models.CharField(_("address"), max_length=300)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    # The same hours for the directory's English page (D62); free text like the Vietnamese,
    # since hours are irregular (dosing windows, every day, 24/7). Empty: the Vietnamese.
    opening_hours_en = models.CharField(
        _("opening hours in English"),
        max_length=200,
        blank=True,
        help_text=_("Optional: shown on the public directory's English page."),
    )
    # None: not known; 0: the facility takes nobody to stay (e.g. a day clinic).
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    capacity_unit = models.CharField(
        _("unit of capacity"), max_length=10, choices=CapacityUnit.choices, blank=True
    )
    services = models.ManyToManyField(
        ServiceType, blank=True, related_name="+", verbose_name=_("services offered")
    )
    services_other = models.TextField(_("other services"), blank=True, max_length=2000)
    eligibility = models.TextField(_("who may use them"), blank=True, max_length=2000)
    licence_number = models.CharField(_("licence or decision number"), max_length=100, blank=True)
    licence_date = models.DateField(_("licence or decision date"), null=True, blank=True)
    published = models.BooleanField(
        _("shown in the public directory"),
        default=False,
        help_text=_("Only published facilities, and only their public fields, are shown."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[RequestIdHistory], m2m_fields=[services])

    class Meta:
        verbose_name = _("facility profile")
        verbose_name_plural = _("facility profiles")
        ordering = ["organisation__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__lte=CAPACITY_MAX),
                name="facility_capacity_sane",
            ),
        ]

    def __str__(self) -> str:
        return self.organisation.name

    @property
    def public_name(self) -> str:
        return self.organisation.name

    # Named apart from a person's fields: templates never read ``.address`` or ``.phone``
    # (a code rule keeps a person's identifying fields behind the people tags).
    @property
    def full_address(self) -> str:
        return f"{self.address}, {self.commune.name}"

    @property
    def contact_phone(self) -> str:
        return self.phone

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.commune_id is not None and self.commune.level != UnitLevel.COMMUNE:
            errors["commune"] = str(_("Choose a commune."))
        if self.capacity is not None and self.capacity > CAPACITY_MAX:
            errors["capacity"] = str(
                _("Enter a capacity of at most %(max)d.") % {"max": CAPACITY_MAX}
            )
        if self.capacity and not self.capacity_unit:
            errors["capacity_unit"] = str(
                _("Say what the capacity counts: beds, places or patients.")
            )
        if self.licence_date is not None and self.licence_date > timezone.localdate():
            errors["licence_date"] = str(_("The licence date cannot be in the future."))
        if errors:
            raise ValidationError(errors)


class ConditionReview(Versioned):
    """A review of one facility against one version of the checklist."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    facility = models.ForeignKey(
        FacilityProfile,
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=_("facility"),
    )
    checklist = models.ForeignKey(
        ChecklistVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("checklist")
    )
    reviewed_on = models.DateField(_("review date"))
    reviewer = models.CharField(
        _("reviewers"),
        max_length=300,
        help_text=_("The people or team who reviewed, with their office."),
    )
    overall = models.CharField(_("overall result"), max_length=20, choices=Overall.choices)
    actions = models.TextField(_("actions to take"), blank=True, max_length=4000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("condition review")
        verbose_name_plural = _("condition reviews")
        ordering = ["-reviewed_on", "-created_at"]
        indexes = [
            models.Index(fields=["facility", "reviewed_on"], name="review_facility_date"),
        ]

    def __str__(self) -> str:
        return f"{self.facility} – {self.reviewed_on:%d/%m/%Y}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.reviewed_on is not None and self.reviewed_on > timezone.localdate():
            errors["reviewed_on"] = str(_("The review date cannot be in the future."))
        if self.overall == Overall.DOES_NOT_MEET and not self.actions.strip():
            errors["actions"] = str(
                _("Say what the facility must do when it does not meet the conditions.")
            )
        if errors:
            raise ValidationError(errors)


class ReviewItem(models.Model):
    """The answer of a review to one checklist item."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    review = models.ForeignKey(
        ConditionReview, on_delete=models.PROTECT, related_name="items", verbose_name=_("review")
    )
    item = models.ForeignKey(
        ChecklistItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("condition")
    )
    result = models.CharField(_("result"), max_length=20, choices=ItemResult.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("review answer")
        verbose_name_plural = _("review answers")
        ordering = ["item__order", "item__number"]
        constraints = [
            models.UniqueConstraint(fields=["review", "item"], name="review_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.item.number}: {self.get_result_display()}"
