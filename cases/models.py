"""Own administrative units, organisations, staff profiles, people and their cases."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from audit.history import RequestIdHistory
from core import normalize
from core.editing import Versioned
from core.fields import (
    ADDRESS_MAX,
    IDENTIFIER_MAX,
    NAME_MAX,
    PHONE_MAX,
    BlindIndexField,
    EncryptedTextField,
    index_bits,
)

from .choices import ETHNIC_GROUPS, CaseStatus, ClientCategory, Role, Sex, UnitLevel

# Which level may sit under which: both the 3-tier (province/district/commune) and the
# post-2025 2-tier (province/commune) trees are valid.
ALLOWED_PARENT = {
    UnitLevel.PROVINCE: set(),
    UnitLevel.DISTRICT: {UnitLevel.PROVINCE},
    UnitLevel.COMMUNE: {UnitLevel.PROVINCE, UnitLevel.DISTRICT},
}
# A code becomes one segment of ``path``: a '/' (or a LIKE wildcard) in it would let one
# unit's subtree prefix match another's. ASCII only: \d and \w also match other scripts.
UNIT_CODE_RE = r"^[0-9A-Za-z]+$"
validate_unit_code = RegexValidator(
    r"\A[0-9A-Za-z]+\Z", _("A unit code has only letters A–Z and digits 0–9."), code="unit_code"
)


class AdministrativeUnit(models.Model):
    """A province, district or commune; ``path`` makes "this unit and below" one prefix query."""

    code = models.CharField(_("code"), max_length=10, unique=True, validators=[validate_unit_code])
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=10, choices=UnitLevel.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    is_active = models.BooleanField(_("in use"), default=True)
    # Who moved or renamed a unit, and when (cases.directory writes it).
    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        ordering = ["path"]
        indexes = [
            # A prefix LIKE can use a btree only with the pattern operator class on PostgreSQL.
            models.Index(
                fields=["path"], name="unit_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level=UnitLevel.PROVINCE, parent__isnull=True)
                | (~Q(level=UnitLevel.PROVINCE) & Q(parent__isnull=False)),
                name="unit_only_provinces_are_roots",
            ),
            models.CheckConstraint(condition=Q(code__regex=UNIT_CODE_RE), name="unit_code_alnum"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Only this row's own path: a move rewrites the units below it, which is the move
        # action's business (cases.directory.unit_write), with its event.
        self.path = self.path_under(self.parent)
        super().save(*args, **kwargs)

    def path_under(self, parent: AdministrativeUnit | None) -> str:
        """Return the path this unit has under ``parent``."""
        return (parent.path if parent else "/") + f"{self.code}/"

    def clean(self) -> None:
        parent_level = self.parent.level if self.parent else None
        if parent_level not in ALLOWED_PARENT[UnitLevel(self.level)] and not (
            self.level == UnitLevel.PROVINCE and parent_level is None
        ):
            raise ValidationError(
                {
                    "parent": _("A %(level)s cannot sit under this unit.")
                    % {"level": UnitLevel(self.level).label}
                }
            )

    def subtree_q(self, prefix: str = "") -> Q:
        """Return a filter matching this unit and every unit below it, via ``prefix``."""
        return Q(**{f"{prefix}path__startswith": self.path})


class OrganisationType(models.Model):
    """A kind of organisation; types and their sector are data, not code (Law 120/2025)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("organisation type")
        verbose_name_plural = _("organisation types")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=255)
    type = models.ForeignKey(OrganisationType, on_delete=models.PROTECT, verbose_name=_("type"))
    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, verbose_name=_("administrative unit")
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """Tie a user to an organisation, a role and a scope in the administrative tree."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff",
        verbose_name=_("user account"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="staff", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    # Holding two roles (say, caseworker and auditor) is never an accident: it needs the flag.
    second_role = models.CharField(
        _("second role"), max_length=20, choices=Role.choices, blank=True
    )
    allow_second_role = models.BooleanField(
        _("allow a second role"),
        default=False,
        help_text=_("Tick only when this person must hold two roles at once."),
    )
    scope_unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, verbose_name=_("scope")
    )
    # A qualification, not a role: the clinic's doctor prescribes methadone, the nurse only
    # doses (services.methadone.capabilities). Granting it needs a second person (cases.roles).
    may_prescribe = models.BooleanField(
        _("may prescribe"),
        default=False,
        help_text=_(
            "Tick only for a doctor qualified to prescribe methadone at this clinic "
            "(prescriptions and one-day doses). A second person must approve it."
        ),
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(second_role="") | Q(allow_second_role=True),
                name="staff_second_role_needs_flag",
            ),
            models.CheckConstraint(
                condition=~Q(second_role=models.F("role")), name="staff_second_role_differs"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    def clean(self) -> None:
        if self.second_role and not self.allow_second_role:
            raise ValidationError(
                {"second_role": _("Tick “allow a second role” to give this person two roles.")}
            )
        if self.second_role and self.second_role == self.role:
            raise ValidationError({"second_role": _("The second role must differ from the first.")})

    @property
    def roles(self) -> set[str]:
        return {self.role, *([self.second_role] if self.second_role else [])}


# The number of people a national instance is designed for (the product brief's scale target).
DESIGN_PEOPLE = 1_000_000


def _name_key(name: str) -> str:
    return normalize.fold_text(name)


def _name_year_key(name: str, birth_year: int) -> str:
    return f"{normalize.fold_text(name)}|{birth_year}"


class Person(Versioned):
    """A person supported by the system; identifying fields are encrypted, scoping fields clear."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    full_name = EncryptedTextField(_("full name"), blank=False, max_length=NAME_MAX)
    aliases = EncryptedTextField(_("other names"), max_length=ADDRESS_MAX)
    citizen_id = EncryptedTextField(_("citizen ID number (CCCD)"), max_length=IDENTIFIER_MAX)
    # The 9-digit identity card (CMND) many people still carry, issued before the CCCD.
    old_id_number = EncryptedTextField(
        _("old identity card number (CMND)"), max_length=IDENTIFIER_MAX
    )
    phone = EncryptedTextField(_("phone"), max_length=PHONE_MAX)
    address = EncryptedTextField(_("address"), max_length=ADDRESS_MAX)
    family_contact = EncryptedTextField(_("family contact"), max_length=ADDRESS_MAX)
    birth_date = EncryptedTextField(_("date of birth"), max_length=IDENTIFIER_MAX)

    residence_commune = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="residents",
        verbose_name=_("commune of residence"),
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"))
    birth_year_estimated = models.BooleanField(_("year of birth is estimated"), default=False)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, choices=ETHNIC_GROUPS, blank=True)
    registered_by = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="registered_people",
        verbose_name=_("registered by"),
    )
    # Registered only as a family member of a client (decision D42): no role's rule on the
    # person row (who registered them, where they live) reaches them; they are seen through
    # a linked client, their own cases or a grant (cases.access.rules).
    family_only = models.BooleanField(_("family member only"), default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Widths from the national design size (docs/encryption.md, "Index widths"): about two
    # rows share a bucket at 1,000,000 people, so an index value never pins down a person,
    # and a lookup decrypts a handful of candidates, not dozens.
    citizen_id_index = BlindIndexField(
        sources=("citizen_id",),
        normaliser=normalize.digits,
        bits=index_bits(DESIGN_PEOPLE, per_bucket=2),
    )
    old_id_number_index = BlindIndexField(
        sources=("old_id_number",),
        normaliser=normalize.digits,
        bits=index_bits(DESIGN_PEOPLE, per_bucket=2),
    )
    phone_index = BlindIndexField(
        sources=("phone",),
        normaliser=normalize.phone,
        bits=index_bits(DESIGN_PEOPLE, per_bucket=2),
    )
    # Names repeat (namesakes are true matches); the width bounds only the false candidates.
    # Indexed with the id (Meta.indexes): a search reads a name's holders in id order and
    # stops at a page, however many share the name.
    name_index = BlindIndexField(
        sources=("full_name",),
        normaliser=_name_key,
        bits=index_bits(DESIGN_PEOPLE, per_bucket=2),
        db_index=False,
    )
    name_year_index = BlindIndexField(
        sources=("full_name", "birth_year"),
        normaliser=_name_year_key,
        bits=index_bits(DESIGN_PEOPLE, per_bucket=2),
        db_index=False,
    )

    history = HistoricalRecords(
        bases=[RequestIdHistory],
        excluded_fields=[
            "citizen_id_index",
            "old_id_number_index",
            "phone_index",
            "name_index",
            "name_year_index",
        ],
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["name_index", "id"], name="person_name_by_id"),
            models.Index(fields=["name_year_index", "id"], name="person_name_year_by_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_year__gte=1900) & Q(birth_year__lte=2100),
                name="person_birth_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Person %(short_id)s") % {"short_id": self.short_id})

    @property
    def short_id(self) -> str:
        """Return a pseudonymous id fit for logs and screens that must not name the person."""
        return self.id.hex[:8].upper()


class Case(Versioned):
    """One episode of a person under a client category, held by a responsible organisation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="cases", verbose_name=_("person")
    )
    category = models.CharField(_("client category"), max_length=30, choices=ClientCategory.choices)
    managed_record = models.BooleanField(_("managed record (hồ sơ quản lý)"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("responsible organisation"),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assigned staff"),
    )
    notes = EncryptedTextField(_("notes"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A copy of the person's commune of residence, kept by Case.save and by the person actions
    # (cases.actions), so the
    # scope rules filter cases on an indexed column of their own (no join per row).
    residence_commune = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    # The earliest due date among the case's open items (planned services, follow-ups,
    # referrals), kept by ``cases.dues.case_refresh``: "overdue" is one indexed comparison.
    next_due_on = models.DateField(_("next step due"), null=True, blank=True, editable=False)

    history = HistoricalRecords(
        bases=[RequestIdHistory], excluded_fields=["residence_commune", "next_due_on"]
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["organisation", "status"], name="case_org_status"),
            # The case list's order: its first pages read the newest cases off this index.
            models.Index(fields=["-opened_on", "-created_at", "-id"], name="case_recent"),
            models.Index(
                fields=["next_due_on"], name="case_next_due", condition=Q(next_due_on__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="case_closed_after_opened",
            ),
            models.CheckConstraint(
                condition=Q(status=CaseStatus.CLOSED, closed_on__isnull=False)
                | (~Q(status=CaseStatus.CLOSED) & Q(closed_on__isnull=True)),
                name="case_closed_iff_closed_on",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} – {self.person.short_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.residence_commune_id = self.person.residence_commune_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # opened_on is None when the form already refused it: nothing to compare then.
        if self.closed_on and self.opened_on and self.closed_on < self.opened_on:
            raise ValidationError({"closed_on": _("A case cannot close before it opened.")})
        if self.status == CaseStatus.CLOSED and not self.closed_on:
            raise ValidationError({"closed_on": _("Give the date the case was closed.")})
        if self.status != CaseStatus.CLOSED and self.closed_on:
            raise ValidationError({"closed_on": _("Only a closed case has a closing date.")})


# Object grants (django-guardian) to users, with direct foreign keys, so "cases granted to
# this user" is one indexed semi-join rather than a generic content-type lookup. (Grants are
# to people one by one; group-wide access is what roles and scopes are for.) ``expires_at`` bounds
# emergency grants; only cases.access reads these tables, and it honours the expiry.


class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
    expires_at = models.DateTimeField(null=True, blank=True)
    emergency = models.ForeignKey(
        "EmergencyAccess", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["user", "permission"], name="case_grant_user_perm")]


class PersonUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Person, on_delete=models.CASCADE)
    expires_at = models.DateTimeField(null=True, blank=True)
    emergency = models.ForeignKey(
        "EmergencyAccess", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["user", "permission"], name="person_grant_user_perm")]


class EmergencyAccess(models.Model):
    """A "break the glass" opening of an out-of-scope record: reason, expiry and review."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="emergency_accesses",
        verbose_name=_("user"),
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    reason = EncryptedTextField(_("reason"), blank=False)
    granted_at = models.DateTimeField(_("granted at"))
    expires_at = models.DateTimeField(_("expires at"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    justified = models.BooleanField(_("justified"), null=True, blank=True)
    review_note = EncryptedTextField(_("review note"))

    class Meta:
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")
        permissions = [("review_emergencyaccess", _("Can review emergency access"))]
        indexes = [
            models.Index(fields=["user", "person", "expires_at"], name="emergency_user_person"),
            models.Index(fields=["reviewed_at", "granted_at"], name="emergency_review_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("granted_at")), name="emergency_expires_later"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.person.short_id}"


class RoleChangeRequest(models.Model):
    """A staff-profile change that opens case content or widens scope, waiting for a second
    person's approval (dual control): never the requester, never the person it is for."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="role_requests",
        verbose_name=_("staff member"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    second_role = models.CharField(
        _("second role"), max_length=20, choices=Role.choices, blank=True
    )
    allow_second_role = models.BooleanField(_("allow a second role"), default=False)
    may_prescribe = models.BooleanField(_("may prescribe"), default=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    scope_unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("scope")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("role change request")
        verbose_name_plural = _("role change requests")
        indexes = [models.Index(fields=["status", "requested_at"], name="role_request_queue")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(decided_by=models.F("requested_by")),
                name="role_request_second_person",
            ),
            models.CheckConstraint(
                condition=~Q(decided_by=models.F("user")), name="role_request_not_grantee"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.get_role_display()} ({self.get_status_display()})"

    @property
    def roles(self) -> set[str]:
        return {self.role, *([self.second_role] if self.second_role else [])}


class RoleRejectionReason(models.Model):
    """Why a role change was rejected: free text, so encrypted and apart from the request
    (the request itself holds no case content; the event says only that a reason exists)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.OneToOneField(
        RoleChangeRequest,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("role change request"),
    )
    reason = EncryptedTextField(_("reason for rejecting"))

    class Meta:
        verbose_name = _("reason for rejecting a role change")
        verbose_name_plural = _("reasons for rejecting role changes")

    def __str__(self) -> str:
        return str(_("reason for rejecting a role change"))


class AccountResetRequest(models.Model):
    """Another person's password or second factor to reset, or their deactivated account to
    reactivate, waiting for a second administrator (dual control): never the requester,
    never the account's owner."""

    class Kind(models.TextChoices):
        PASSWORD = "password", _("Password (a new invitation)")
        SECOND_FACTOR = "second_factor", _("Two-step sign-in (lost phone)")
        REACTIVATE = "reactivate", _("Reactivate the account")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reset_requests",
        verbose_name=_("staff member"),
    )
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RoleChangeRequest.Status.choices,
        default=RoleChangeRequest.Status.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("account reset request")
        verbose_name_plural = _("account reset requests")
        constraints = [
            models.CheckConstraint(
                condition=~Q(decided_by=models.F("requested_by")),
                name="account_reset_second_person",
            ),
            models.CheckConstraint(
                condition=~Q(decided_by=models.F("user")), name="account_reset_not_owner"
            ),
            models.CheckConstraint(
                condition=~Q(requested_by=models.F("user")), name="account_reset_not_own"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.get_kind_display()} ({self.get_status_display()})"


class DirectoryChangeRequest(models.Model):
    """A move in the directory that widens someone's reach, waiting for a second person.

    Moving a unit under another parent hands its residents to the new ancestors' staff;
    moving an organisation to another unit changes what its staff reach. Either waits for
    another administrator's approval (dual control), never the requester's own.
    """

    class Kind(models.TextChoices):
        UNIT_MOVE = "unit_move", _("Move an administrative unit")
        ORGANISATION_MOVE = "organisation_move", _("Move an organisation")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("change"), max_length=20, choices=Kind.choices)
    unit = models.ForeignKey(
        AdministrativeUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit moved"),
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation moved"),
    )
    to_unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("moved to"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("directory change request")
        verbose_name_plural = _("directory change requests")
        constraints = [
            models.CheckConstraint(
                condition=~Q(decided_by=models.F("requested_by")),
                name="directory_request_second_person",
            ),
            models.CheckConstraint(
                condition=Q(kind="unit_move", unit__isnull=False, organisation__isnull=True)
                | Q(kind="organisation_move", unit__isnull=True, organisation__isnull=False),
                name="directory_request_one_subject",
            ),
        ]

    def __str__(self) -> str:
        subject = self.unit if self.unit_id else self.organisation
        return f"{subject} → {self.to_unit} ({self.get_status_display()})"


# ---------------------------------------------------------------------------------------
# Casework (issue 28, decision D42): contact notes on a case, family links between people.


class ContactKind(models.TextChoices):
    VISIT = "visit", _("Home visit")
    PHONE = "phone", _("Phone call")
    OFFICE = "office", _("At the office")
    ONLINE = "online", _("Online")


class ContactNote(Versioned):
    """A dated note of one contact with the person of a case; its text is encrypted.

    Editable by its author for a short while (``CONTACT_NOTE_EDIT_MINUTES``), then only
    through an addendum: a new note that points at the original, which never changes.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="contact_notes", verbose_name=_("case")
    )
    kind = models.CharField(
        _("kind of contact"), max_length=10, choices=ContactKind, default=ContactKind.VISIT
    )
    contacted_on = models.DateField(_("date"))
    contacted_time = models.TimeField(_("time"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), null=True, blank=True
    )
    present = EncryptedTextField(_("who was present"), max_length=ADDRESS_MAX)
    text = EncryptedTextField(_("note"), blank=False)  # ciphertext at rest
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("written by"),
    )
    addendum_to = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("addendum to"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("contact note")
        verbose_name_plural = _("contact notes")
        indexes = [models.Index(fields=["case", "-contacted_on"], name="contactnote_case_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True) | Q(duration_minutes__lte=24 * 60),
                name="contactnote_duration_within_a_day",
            ),
            models.CheckConstraint(
                condition=~Q(addendum_to=models.F("id")), name="contactnote_not_own_addendum"
            ),
        ]

    def __str__(self) -> str:
        return f"note {self.id.hex[:8]}"

    def clean(self) -> None:
        if self.contacted_on and self.contacted_on > timezone.localdate():
            raise ValidationError({"contacted_on": _("This date is in the future.")})


class Relation(models.TextChoices):
    """What the linked relative is to the person (the reverse is ``REVERSE``)."""

    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    SPOUSE = "spouse", _("Spouse")
    GUARDIAN = "guardian", _("Guardian")
    WARD = "ward", _("Under guardianship")
    HOUSEHOLD = "household", _("Household member")


REVERSE_RELATION = {
    Relation.PARENT: Relation.CHILD,
    Relation.CHILD: Relation.PARENT,
    Relation.SPOUSE: Relation.SPOUSE,
    Relation.GUARDIAN: Relation.WARD,
    Relation.WARD: Relation.GUARDIAN,
    Relation.HOUSEHOLD: Relation.HOUSEHOLD,
}


class FamilyLink(models.Model):
    """``relative`` is the ``person``'s <relation>; one row per pair, read from both ends.

    ``contact`` marks the relative as the contact person for the person (a minor, a person
    in treatment).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="family_links", verbose_name=_("person")
    )
    relative = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("family member")
    )
    relation = models.CharField(_("relation"), max_length=10, choices=Relation)
    contact = models.BooleanField(_("contact person"), default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("family link")
        verbose_name_plural = _("family links")
        indexes = [models.Index(fields=["relative"], name="familylink_relative")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(person=models.F("relative")), name="familylink_not_self"
            ),
            models.UniqueConstraint(fields=["person", "relative"], name="familylink_one_per_pair"),
        ]

    def __str__(self) -> str:
        return f"family link {self.id.hex[:8]}"

    def clean(self) -> None:
        if self.person_id is not None and self.person_id == self.relative_id:
            raise ValidationError({"relative": _("A person cannot be their own family member.")})


# The case plan and closure (D45) live in their own module; imported here for Django.
# Residence history and moves (issue 30, D50).
from .move_models import Move as Move  # noqa: E402
from .move_models import Residence as Residence  # noqa: E402
from .plan_models import CaseClosure as CaseClosure  # noqa: E402
from .plan_models import PlanGoal as PlanGoal  # noqa: E402
from .reorganisation_models import ReaddressedPerson as ReaddressedPerson  # noqa: E402
from .reorganisation_models import Reorganisation as Reorganisation  # noqa: E402
from .reorganisation_models import UnitSuccession as UnitSuccession  # noqa: E402
