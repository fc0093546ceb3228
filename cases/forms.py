"""Forms for people and cases; choice lists come from cases.access."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from itertools import groupby
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import normalize
from core.fields import NOTE_MAX
from core.forms import DateField, VersionField, not_in_future, translate_blank_choices

from . import access, selectors
from .actions import CaseData, PersonData
from .choices import CaseStatus, ClientCategory, Role, UnitLevel
from .citizen_id import validate_citizen_id
from .models import AdministrativeUnit, Case, Organisation, Person, StaffProfile

User = get_user_model()


# A number searched for normalises to its digits; text without any would normalise to
# nothing, and "nothing" must never match the people who have no number on file.
NO_DIGITS = _("The number you are looking for has no digits: type all its digits.")
NUMBER_KINDS = ("citizen_id", "old_id_number", "phone")


def require_digits(value: str) -> None:
    """Refuse a number without a digit: the form error every number box gives."""
    if not normalize.digits(value):
        raise forms.ValidationError(NO_DIGITS, code="no_digits")


class SearchForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Search by"),
        choices=[
            ("citizen_id", _("Citizen ID number")),
            ("old_id_number", _("Old identity card number (CMND)")),
            ("phone", _("Phone")),
            ("name", _("Full name")),
        ],
    )
    q = forms.CharField(label=_("Value"), max_length=200)
    birth_year = forms.IntegerField(
        label=_("Year of birth (optional)"), required=False, min_value=1900, max_value=2100
    )

    def typed(self) -> list[tuple[str, str]]:
        """Return what was searched as registration fields ("register with what I typed")."""
        kind = self.cleaned_data["kind"]
        typed = [("full_name" if kind == "name" else kind, self.cleaned_data["q"])]
        if self.cleaned_data.get("birth_year"):
            typed.append(("birth_year", str(self.cleaned_data["birth_year"])))
        return typed

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        query = data.get("q")
        if query is None:
            return data
        if data.get("kind") in NUMBER_KINDS and not normalize.digits(query):
            self.add_error("q", forms.ValidationError(NO_DIGITS, code="no_digits"))
        elif data.get("kind") == "name" and not normalize.fold_text(query):
            self.add_error("q", forms.ValidationError(_("Enter the full name."), code="empty"))
        return data


# static/js/commune-filter.js adds a type-to-filter box above such a list.
COMMUNE_FILTER_ATTRS = {
    "data-filter": "commune",
    "data-filter-label": _("Type part of the commune's name to filter the list"),
    "data-filter-placeholder": _("Type to filter…"),
}


class CommuneChoiceIterator(forms.models.ModelChoiceIterator):  # type: ignore[type-arg]
    """Group communes under their district (or province, in the two-tier map)."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        units = self.queryset.select_related("parent").order_by("parent__path", "name")
        for parent, members in groupby(units.iterator(), key=lambda unit: unit.parent):
            yield (str(parent), [self.choice(unit) for unit in members])


class CommuneChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    iterator = CommuneChoiceIterator


def _province_communes(user: access.AnyUser) -> Any:
    """Return the active communes of the province the user works in (all, without a profile)."""
    communes = AdministrativeUnit.objects.filter(level=UnitLevel.COMMUNE, is_active=True)
    profile = access.profile_of(user)
    if profile is not None:
        # The province: the first segment of the scope unit's path.
        province_path = "/" + profile.scope_unit.path.split("/")[1] + "/"
        communes = communes.filter(path__startswith=province_path)
    return communes


def _citizen_id_problem_field(code: str | None) -> str:
    """Return the field a citizen-ID problem belongs under: the sex or year it contradicts."""
    return {"sex": "sex", "birth_year": "birth_year"}.get(code or "", "citizen_id")


class PersonForm(VersionField, forms.ModelForm):  # type: ignore[type-arg]
    birth_date = DateField(
        label=_("Date of birth (if known)"), required=False, validators=[not_in_future]
    )

    class Meta:
        model = Person
        fields = [
            "full_name",
            "aliases",
            "citizen_id",
            "old_id_number",
            "sex",
            "birth_year",
            "birth_year_estimated",
            "birth_date",
            "ethnicity",
            "phone",
            "residence_commune",
            "address",
            "family_contact",
        ]
        field_classes = {"residence_commune": CommuneChoiceField}
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "aliases": forms.TextInput(attrs={"autocomplete": "off"}),
            "citizen_id": forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20}
            ),
            "old_id_number": forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20}
            ),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "residence_commune": forms.Select(attrs=COMMUNE_FILTER_ATTRS),
            "address": forms.Textarea(attrs={"rows": 2}),
            "family_contact": forms.Textarea(attrs={"rows": 2}),
        }
        # Not "year of birth …": a label must not contain another field's label.
        labels = {"birth_year_estimated": _("The year is only an estimate")}
        help_texts = {
            "citizen_id": _("12 digits, as printed on the citizen identity card."),
            "old_id_number": _("9 digits, from the old identity card, if the person has one."),
            "aliases": _("Other names the person is known by, separated by commas."),
            "birth_year_estimated": _("Tick when nobody knows the exact year."),
        }

    def __init__(self, *args: Any, user: access.AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("version", self.instance.version)
        if self.instance.pk and self.instance.birth_date:
            self.initial["birth_date"] = self._stored_date(self.instance.birth_date)
        communes = _province_communes(user)
        self.fields["residence_commune"].queryset = communes  # type: ignore[attr-defined]
        self.fields["birth_year"].widget.attrs.update({"inputmode": "numeric"})
        translate_blank_choices(self)

    @staticmethod
    def _stored_date(value: str) -> datetime.date | str:
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return value

    # What a search may carry into a new registration.
    PREFILLED = ("full_name", "citizen_id", "old_id_number", "phone", "birth_year")

    @classmethod
    def prefilled(cls, data: Any) -> dict[str, str]:
        """Return the initial values a search carried (only the searchable fields)."""
        return {name: str(data[name])[:200] for name in cls.PREFILLED if data.get(name)}

    def clean_birth_year(self) -> int:
        year: int = self.cleaned_data["birth_year"]
        if not 1900 <= year <= timezone.localdate().year:
            raise ValidationError(_("Enter a year between 1900 and this year."))
        return year

    def clean_phone(self) -> str:
        raw: str = self.cleaned_data.get("phone", "")
        if not raw:
            return ""
        number = normalize.phone(raw)
        if not (number.startswith("0") and 10 <= len(number) <= 11):
            raise ValidationError(_("Enter a Vietnamese phone number, e.g. 0912 345 678."))
        return number

    def clean_old_id_number(self) -> str:
        raw: str = self.cleaned_data.get("old_id_number", "")
        if not raw:
            return ""
        number = normalize.digits(raw)
        if len(number) != 9 or number != raw.replace(" ", "").strip():
            raise ValidationError(_("An old identity card number has exactly 9 digits."))
        return number

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sex, year = data.get("sex"), data.get("birth_year")
        raw_id = data.get("citizen_id") or ""
        if raw_id:
            try:
                number = validate_citizen_id(raw_id, sex=sex, birth_year=year)
            except ValidationError as error:
                self.add_error(_citizen_id_problem_field(error.code), error)
            else:
                data["citizen_id"] = number
        birth_date: datetime.date | None = data.get("birth_date")
        if birth_date and year and birth_date.year != year:
            self.add_error("birth_date", _("The date of birth does not match the year of birth."))
        data["birth_date"] = birth_date.isoformat() if birth_date else ""
        return data

    def to_data(self) -> PersonData:
        """Return the cleaned input as the action's typed argument (every field, or an error)."""
        values = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        return PersonData(**values)


def _full_name(user: Any) -> str:
    return str(user.display_name)


class CaseForm(VersionField, forms.ModelForm):  # type: ignore[type-arg]
    confirm_second_case = forms.BooleanField(
        label=_("Open another case of this category anyway"), required=False
    )

    class Meta:
        model = Case
        fields = [
            "category",
            "managed_record",
            "status",
            "opened_on",
            "closed_on",
            "organisation",
            "assigned_to",
            "notes",
        ]
        field_classes = {"opened_on": DateField, "closed_on": DateField}
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(
        self, *args: Any, user: access.AnyUser, person: Person | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.person, self.user = person, user
        # A new case has its UUID already: "adding" is what tells it apart.
        editing = not self.instance._state.adding
        allowed = Q(pk__in=access.case_organisations(user).values("pk"))
        if editing:
            # Keep the current holder selectable even when it is not the editor's organisation.
            allowed |= Q(pk=self.instance.organisation_id)
        organisations = Organisation.objects.filter(allowed)
        organisation = self.fields["organisation"]
        organisation.queryset = organisations  # type: ignore[attr-defined]
        staff = self.fields["assigned_to"]
        staff.queryset = access.assignable_staff(organisations)  # type: ignore[attr-defined]
        profile = access.profile_of(user)
        holder = self.instance.organisation_id
        if editing and (profile is None or profile.organisation_id != holder):
            # Only the holder assigns its cases (cases.actions._check_assignee): others see
            # who holds it and cannot change it.
            assigned = User.objects.filter(pk=self.instance.assigned_to_id or 0)
            staff.queryset = assigned  # type: ignore[attr-defined]
            staff.disabled = True
        staff.label_from_instance = _full_name  # type: ignore[attr-defined]
        for name in ("opened_on", "closed_on"):
            self.fields[name].validators.append(not_in_future)
        translate_blank_choices(self)
        if editing:
            self.initial.setdefault("version", self.instance.version)
            del self.fields["confirm_second_case"]
            return
        self.initial["opened_on"] = self.initial.get("opened_on") or timezone.localdate()
        choices = list(organisations[:2])
        if len(choices) == 1:
            # The only organisation the user may open cases for: nothing to choose.
            self.initial["organisation"] = self.initial.get("organisation") or choices[0].pk
            organisation.empty_label = None  # type: ignore[attr-defined]
        if not self._open_case_of_same_category():
            del self.fields["confirm_second_case"]

    def _open_case_of_same_category(self) -> bool:
        category = self.data.get("category") if self.is_bound else None
        if self.person is None or category not in ClientCategory.values:
            return False
        cases = selectors.person_cases(viewer=self.user, person=self.person)
        return cases.filter(category=str(category), status=CaseStatus.OPEN).exists()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "confirm_second_case" in self.fields and not data.get("confirm_second_case"):
            self.add_error(
                "confirm_second_case",
                _(
                    "This person already has an open case of this category. Open it instead, "
                    "or tick the box to open a second one."
                ),
            )
        return data

    def to_data(self) -> CaseData:
        """Return the cleaned input as the action's typed argument (every field, or an error)."""
        # The confirmation of a second open case is the form's question, not case data.
        skip = {"version", "confirm_second_case"}
        values = {k: v for k, v in self.cleaned_data.items() if k not in skip}
        return CaseData(**values)


class EmergencyAccessForm(forms.Form):
    citizen_id = forms.CharField(
        label=_("Citizen ID number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        validators=[require_digits],
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why you need this record now. Your reason is recorded and reviewed."),
    )


class EmergencyReviewForm(forms.Form):
    """A review decision; "not justified" is final, so it needs a ticked confirmation.

    Each card on the review queue gives the form its own ``auto_id``, so ids never repeat.
    """

    justified = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Justified")), ("no", _("Not justified"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose justified or not justified.")},
    )
    confirm = forms.BooleanField(
        label=_("I confirm: this access was not justified. This decision is final."),
        required=False,
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("justified") is False and not data.get("confirm"):
            self.add_error(
                "confirm", _("Tick the confirmation to record “not justified”: it is final.")
            )
        return data


class CaseFilterForm(forms.Form):
    """The case list's filters and sort, read from the query string."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *CaseStatus.choices]
    )
    category = forms.ChoiceField(
        label=_("Client category"),
        required=False,
        choices=[("", _("All")), *ClientCategory.choices],
    )
    commune = CommuneChoiceField(
        label=_("Commune of residence"),
        required=False,
        queryset=AdministrativeUnit.objects.none(),
        empty_label=_("All"),
        widget=forms.Select(attrs=COMMUNE_FILTER_ATTRS),
    )
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("category", _("Client category")),
            ("status", _("Status")),
            ("due", _("Next step due")),
        ],
    )

    def __init__(self, *args: Any, user: access.AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["commune"].queryset = _province_communes(user)  # type: ignore[attr-defined]

    def filters(self) -> selectors.CaseFilters:
        """Return the filters given (none when the form was not submitted)."""
        if not self.is_bound or not self.is_valid():
            return selectors.CaseFilters()
        data = self.cleaned_data
        return selectors.CaseFilters(
            status=data["status"] or None,
            category=data["category"] or None,
            commune=data["commune"],
            assigned_to=self.user if data["mine"] else None,
            overdue=bool(data["overdue"]),
            sort=data["sort"] or "newest",
        )


# --- staff administration --------------------------------------------------------------------


def _units_of(user: access.AnyUser) -> Any:
    """Return the active units in the user's scope subtree (all, without a profile)."""
    units = AdministrativeUnit.objects.filter(is_active=True).order_by("path")
    profile = access.profile_of(user)
    return units if profile is None else units.filter(path__startswith=profile.scope_unit.path)


def _indented_unit(unit: AdministrativeUnit) -> str:
    # A path "/98/981/98101/" is three levels deep: communes show under their district.
    return "\u2003" * (unit.path.count("/") - 2) + unit.name


class StaffMemberForm(forms.ModelForm):  # type: ignore[type-arg]
    """A new staff member in one form: the account, the organisation, the role and the scope.

    The role rules (second role only with the flag, never the same twice) are the staff
    profile's own validation, run by the model form.
    """

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[User.username_validator],
        help_text=_("Used to sign in. Letters, digits and @ . + - _ only."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    full_name = forms.CharField(
        label=_("Full name"), max_length=300, help_text=_("As on the citizen identity card.")
    )
    email = forms.EmailField(label=_("Email (optional)"), required=False)
    wide_scope_confirmed = forms.BooleanField(
        label=_("I confirm: this commune officer works in an area wider than a commune"),
        required=False,
    )
    field_order = ["username", "full_name", "email"]

    class Meta:
        model = StaffProfile
        fields = [
            "organisation",
            "role",
            "allow_second_role",
            "second_role",
            "scope_unit",
            "may_prescribe",
        ]
        labels = {"scope_unit": _("Area of work")}
        help_texts = {
            "scope_unit": _(
                "Supervisors see the people and cases of this unit and below; commune officers "
                "the residents of this commune."
            ),
        }
        widgets = {"scope_unit": forms.Select(attrs=COMMUNE_FILTER_ATTRS)}

    def __init__(self, *args: Any, user: access.AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = _units_of(user)
        scope = self.fields["scope_unit"]
        scope.queryset = units  # type: ignore[attr-defined]
        scope.label_from_instance = _indented_unit  # type: ignore[attr-defined]
        organisations = Organisation.objects.filter(
            is_active=True, unit__in=units.values("pk")
        ).order_by("name")
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        translate_blank_choices(self)

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("This username is already taken."))
        return username

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise ValidationError(_("Enter the full name."))
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scope = data.get("scope_unit")
        officer = Role.COMMUNE_OFFICER in {data.get("role"), data.get("second_role")}
        confirmed = bool(data.get("wide_scope_confirmed"))
        if (
            isinstance(scope, AdministrativeUnit)
            and officer
            and not confirmed
            and (scope.level != UnitLevel.COMMUNE)
        ):
            self.add_error(
                "scope_unit",
                _(
                    "A commune officer usually works in one commune, but %(unit)s is wider. "
                    "Pick the commune, or tick the box below to confirm the wider area."
                )
                % {"unit": scope.name},
            )
        return data


class StaffUsernameForm(forms.Form):
    """The account a button on the staff list acts on (unlock, a new invitation)."""

    username = forms.CharField(max_length=150)


class WelcomeForm(SetPasswordForm):  # type: ignore[type-arg]
    """A newcomer's first password, with the activation code a second person handed over."""

    code = forms.CharField(
        label=_("Activation code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        help_text=_(
            "The code a second person (not the one who sent you the link) gave you in person."
        ),
    )
    field_order = ["code", "new_password1", "new_password2"]

    def validate_password_for_user(self, user: Any, *args: Any, **kwargs: Any) -> None:
        """Say what is wrong with the password under the password, not under its repeat."""
        super().validate_password_for_user(user, "new_password1")


class RoleDecisionForm(forms.Form):
    """Approve a role change after confirming it, or reject it with a reason."""

    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    confirm = forms.BooleanField(required=False)
    reason = forms.CharField(
        label=_("Reason for rejecting"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "approve" and not data.get("confirm"):
            self.add_error("confirm", _("Tick the box to confirm the approval."))
        if data.get("decision") == "reject" and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why the request is rejected."))
        return data
