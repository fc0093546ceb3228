"""Staff training and communication activities (issue 29, decision D48).

Courses with their attendance (staff accounts, registered volunteers, and people without an
account recorded by name), registered volunteers (the training share's denominator counts
them), communication and prevention activities with their attendees and materials, and the
activities a plan sets out (what "done vs planned" is measured against). Every record
belongs to an administrative unit; supervisors of that unit or above edit it
(``programme.selectors``). Names of people are encrypted like any person's.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from audit.history import RequestIdHistory
from cases.choices import UnitLevel
from cases.models import AdministrativeUnit
from core.editing import Versioned
from core.fields import NAME_MAX, NOTE_MAX, EncryptedTextField


class Topic(models.Model):
    """A training topic (data, migration 0002); ``counts`` marks the topics whose courses
    make a staff member "trained" in the training share (docs/indicators.md)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    counts = models.BooleanField(_("counts as training for treatment / post-rehab work"))
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("training topic")
        verbose_name_plural = _("training topics")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Audience(models.TextChoices):
    COMMUNE_STAFF = "commune_staff", _("Commune staff")
    DISTRICT_STAFF = "district_staff", _("District or office staff")
    VOLUNTEERS = "volunteers", _("Volunteers")
    COUNSELLING_POINT = "counselling_point", _("Community counselling point staff")
    FAMILY_CAREGIVERS = "family_caregivers", _("Family caregivers")
    MIXED = "mixed", _("Mixed audience")


class AttendeeRole(models.TextChoices):
    STAFF = "staff", _("Staff member")
    VOLUNTEER = "volunteer", _("Volunteer")
    COUNSELLING_POINT = "counselling_point", _("Counselling point staff")
    FAMILY_CAREGIVER = "family_caregiver", _("Family caregiver")
    OTHER = "other", _("Other")


def _dates_in_order(start: str, end: str) -> Q:
    return Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": F(start)})


class Course(Versioned):
    """A training course (lớp tập huấn) held for one unit's audience."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(_("course title"), max_length=200)
    topic = models.ForeignKey(
        Topic,
        on_delete=models.PROTECT,
        related_name="courses",
        verbose_name=_("course topic"),
    )
    audience = models.CharField(_("audience"), max_length=20, choices=Audience)
    organiser = models.CharField(_("organiser"), max_length=200)
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("administrative unit"),
    )
    place = models.CharField(_("venue"), max_length=200, blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")
        ordering = ["-starts_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="course_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The course cannot end before it starts.")})


class Volunteer(Versioned):
    """A registered volunteer (tình nguyện viên) of a unit: counted in the training share."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = EncryptedTextField(_("full name"), blank=False, max_length=NAME_MAX)
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("administrative unit"),
    )
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    registered_on = models.DateField(_("registered on"))
    left_on = models.DateField(_("stopped on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["-registered_on"]
        constraints = [
            models.CheckConstraint(
                condition=_dates_in_order("registered_on", "left_on"),
                name="volunteer_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Volunteer"))  # never the name: __str__ lands in logs and admin lists

    def clean(self) -> None:
        if self.registered_on and self.left_on and self.left_on < self.registered_on:
            raise ValidationError({"left_on": _("A volunteer cannot stop before registering.")})


class Attendance(Versioned):
    """One attendee of a course: a staff account, a registered volunteer, or a person without
    an account recorded by name (encrypted), role, unit and organisation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="attendances", verbose_name=_("course")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff account"),
    )
    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attendances",
        verbose_name=_("registered volunteer"),
    )
    name = EncryptedTextField(_("full name"), max_length=NAME_MAX)
    role = models.CharField(_("role"), max_length=20, choices=AttendeeRole)
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("administrative unit"),
    )
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=True) | Q(volunteer__isnull=True),
                name="attendance_one_kind_of_attendee",
            ),
            models.UniqueConstraint(
                fields=["course", "user"],
                condition=Q(user__isnull=False),
                name="attendance_user_once",
                violation_error_message=_("This staff member is already on the course."),
            ),
            models.UniqueConstraint(
                fields=["course", "volunteer"],
                condition=Q(volunteer__isnull=False),
                name="attendance_volunteer_once",
                violation_error_message=_("This volunteer is already on the course."),
            ),
        ]

    def __str__(self) -> str:
        return str(_("Attendance"))

    def clean(self) -> None:
        given = [self.user_id is not None, self.volunteer_id is not None, bool(self.name)]
        if sum(given) != 1:
            raise ValidationError(
                _("Choose a staff account, a registered volunteer, or type the person's name.")
            )


class ActivityKind(models.TextChoices):
    SESSION = "session", _("Communication session")
    FORUM = "forum", _("Forum")
    TALK = "talk", _("Talk")
    CONTEST = "contest", _("Contest")
    PARENTING = "parenting", _("Parenting skills session")
    LIFE_SKILLS = "life_skills", _("Life skills session")
    OTHER = "other", _("Other activity")


# The attendee counts by age group: the keys of the figures' age-group breakdown.
AGE_FIELDS = (
    ("age_0_17", "0-17"),
    ("age_18_24", "18-24"),
    ("age_25_34", "25-34"),
    ("age_35_44", "35-44"),
    ("age_45_plus", "45+"),
)
MATERIAL_FIELDS = (
    ("leaflets", _("Leaflets")),
    ("posters", _("Posters")),
    ("booklets", _("Booklets")),
    ("other_materials", _("Other materials")),
)


def _count(label: Any) -> Any:
    return models.PositiveIntegerField(label, default=0)


class Activity(Versioned):
    """A communication or prevention activity held in a commune."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind)
    held_on = models.DateField(_("date"))
    commune = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("commune"),
        limit_choices_to={"level": UnitLevel.COMMUNE},
    )
    organiser = models.CharField(_("organiser"), max_length=200)
    male = _count(_("attendees, male"))
    female = _count(_("attendees, female"))
    age_0_17 = _count(_("aged 0–17"))
    age_18_24 = _count(_("aged 18–24"))
    age_25_34 = _count(_("aged 25–34"))
    age_35_44 = _count(_("aged 35–44"))
    age_45_plus = _count(_("aged 45 and over"))
    leaflets = _count(_("leaflets"))
    posters = _count(_("posters"))
    booklets = _count(_("booklets"))
    other_materials = _count(_("other materials"))
    notes = EncryptedTextField(_("notes"), max_length=NOTE_MAX)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("communication activity")
        verbose_name_plural = _("communication activities")
        ordering = ["-held_on"]
        indexes = [models.Index(fields=["commune", "held_on"], name="activity_commune_day")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on:%d/%m/%Y}"

    @property
    def attendees(self) -> int:
        return int(self.male) + int(self.female)

    def clean(self) -> None:
        if self.commune_id is not None and self.commune.level != UnitLevel.COMMUNE:
            raise ValidationError({"commune": _("Choose a commune.")})
        by_age = sum(getattr(self, name) or 0 for name, _key in AGE_FIELDS)
        if by_age and by_age != (self.male or 0) + (self.female or 0):
            raise ValidationError(
                {
                    "age_0_17": _(
                        "The attendees by age group add up to %(age)d, by sex to %(sex)d: "
                        "they must be the same people (or leave the age groups at 0)."
                    )
                    % {"age": by_age, "sex": (self.male or 0) + (self.female or 0)}
                }
            )


class PlannedActivity(Versioned):
    """Activities a plan sets out: so many of a kind in a unit between two dates."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(
        "reports.Plan",
        on_delete=models.PROTECT,
        related_name="planned_activities",
        verbose_name=_("plan"),
    )
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("administrative unit"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind)
    quantity = models.PositiveIntegerField(_("number planned"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    clause = models.CharField(_("section of the plan"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("planned activity")
        verbose_name_plural = _("planned activities")
        ordering = ["-ends_on", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="planned_dates_in_order"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="planned_at_least_one"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} × {self.quantity}"

    def clean(self) -> None:
        errors: dict[str, object] = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The end cannot be before the start.")
        if self.quantity is not None and self.quantity < 1:
            errors["quantity"] = _("Plan at least one.")
        plan = self.plan if self.plan_id else None
        if plan is not None:
            if self.unit_id is not None and not self.unit.path.startswith(plan.unit.path):
                errors["unit"] = _("Choose the plan's unit or a unit under it.")
            if self.ends_on and self.ends_on.year not in plan.years:
                errors["ends_on"] = _("The plan runs from %(first)d to %(last)d.") % {
                    "first": plan.first_year,
                    "last": plan.last_year,
                }
        if errors:
            raise ValidationError(errors)
