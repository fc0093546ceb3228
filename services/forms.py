"""Forms of service records: the case comes from the URL (through cases.access), never input."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases import access
from cases.choices import ClientCategory
from cases.models import Case, Organisation
from core.forms import DateField, VersionField, not_in_future, translate_blank_choices

from .models import (
    EpisodeStage,
    FollowUp,
    FollowUpKind,
    PostRehabPeriod,
    Reception,
    ServiceRecord,
    ServiceType,
    ShelterStay,
    Stage,
    TreatmentEpisode,
    VocationalSupport,
)
from .models.followup import years_after
from .officers import postrehab_officers

# Dates of something that has happened (not a plan) cannot be in the future.
PAST_DATES = {
    "delivered_on",
    "done_on",
    "started_on",
    "ended_on",
    "received_on",
    "entered_on",
    "left_on",
}


def _formfield(db_field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    if isinstance(db_field, models.DateField):
        return db_field.formfield(form_class=DateField, **kwargs)
    if isinstance(db_field, models.TextField):
        return db_field.formfield(widget=forms.Textarea(attrs={"rows": 3}), **kwargs)
    return db_field.formfield(**kwargs)


def _full_name(user: Any) -> str:
    return str(user.display_name or user.get_full_name() or user.username)


class RecordForm(VersionField, forms.ModelForm):  # type: ignore[type-arg]
    """Base of every service record form: dd/mm/yyyy dates, translated blanks, the version."""

    def __init__(self, *args: Any, case: Case, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case, self.user = case, user
        self.instance.case = case
        for name, field in self.fields.items():
            if name in PAST_DATES:
                field.validators.append(not_in_future)
            model = getattr(field, "queryset", None) is not None and field.queryset.model  # type: ignore[attr-defined]
            if isinstance(field, forms.ModelChoiceField) and hasattr(model, "display_name"):
                field.label_from_instance = _full_name  # type: ignore[assignment,method-assign]
        if not self.instance._state.adding:
            self.initial.setdefault("version", self.instance.version)
        translate_blank_choices(self)

    def ready_to_save(self) -> bool:
        """Return whether a valid form is complete (not an earlier step of a form in steps)."""
        return True

    def staff_choices(self) -> Any:
        """Return the staff who may be made responsible: the case's organisation's staff."""
        return access.assignable_staff(Organisation.objects.filter(pk=self.case.organisation_id))

    def default_today(self, *names: str) -> None:
        if self.instance._state.adding:
            for name in names:
                self.initial.setdefault(name, timezone.localdate())


class VndField(forms.DecimalField):
    """An amount in đồng: whole numbers, typed with or without grouping (1.500.000 ₫)."""

    # A text box, so grouping dots can be typed; phones still show the digit keypad.
    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {}  # no min/step: those belong to a number box

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().removesuffix("₫").removesuffix("đ").strip()
            if re.fullmatch(r"\d{1,3}([., ]\d{3})+", value):
                value = re.sub(r"[., ]", "", value)
        return super().to_python(value)


def _active_organisations() -> Any:
    return Organisation.objects.filter(is_active=True).select_related("type").order_by("name")


class ServiceRecordForm(RecordForm):
    class Meta:
        model = ServiceRecord
        fields = [
            "service_type",
            "status",
            "due_on",
            "delivered_on",
            "provider",
            "responsible",
            "amount",
            "note",
        ]
        formfield_callback = _formfield

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.service_type_id if not self.instance._state.adding else None
        # A record keeps its service even after the catalogue entry is deactivated.
        services = ServiceType.objects.filter(Q(is_active=True) | Q(pk=current))
        offered = [s.pk for s in services if s.offered_to(self.case.category) or s.pk == current]
        self.fields["service_type"].queryset = ServiceType.objects.filter(pk__in=offered)  # type: ignore[attr-defined]
        self.fields["provider"].queryset = _active_organisations()  # type: ignore[attr-defined]
        self.fields["responsible"].queryset = self.staff_choices()  # type: ignore[attr-defined]
        amount = self.fields["amount"]
        self.fields["amount"] = VndField(
            label=amount.label,
            required=False,
            min_value=0,
            max_digits=14,
            decimal_places=0,
            help_text=_("In VND, for services that pay money (e.g. 1.500.000)."),
        )
        if self.instance._state.adding:
            self.initial.setdefault("responsible", self.case.assigned_to_id or self.user.pk)
            self.initial.setdefault("provider", self.case.organisation_id)


class EpisodeForm(RecordForm):
    class Meta:
        model = TreatmentEpisode
        fields = ["modality", "provider", "started_on", "planned_end_on", "ended_on", "outcome"]
        formfield_callback = _formfield

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = _active_organisations()  # type: ignore[attr-defined]
        self.default_today("started_on")
        if self.instance._state.adding:
            self.initial.setdefault("provider", self.case.organisation_id)


class StageForm(VersionField, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = EpisodeStage
        fields = ["stage", "started_on", "ended_on"]
        formfield_callback = _formfield

    def __init__(
        self, *args: Any, episode: TreatmentEpisode, recorded: Sequence[int] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instance.episode = episode
        for name in ("started_on", "ended_on"):
            self.fields[name].validators.append(not_in_future)
        if self.instance._state.adding:
            self.initial.setdefault("started_on", timezone.localdate())
            self.initial.setdefault("stage", _next_stage(recorded))
        else:
            self.initial.setdefault("version", self.instance.version)
        translate_blank_choices(self)


def _next_stage(recorded: Sequence[int]) -> int | None:
    """Return the stage after the highest one recorded (the usual next entry), if any."""
    following = max(recorded, default=0) + 1
    return following if following <= len(Stage) else None


class PostRehabForm(RecordForm):
    class Meta:
        model = PostRehabPeriod
        fields = ["officer", "started_on", "planned_end_on", "ended_on", "outcome"]
        formfield_callback = _formfield

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        officers = postrehab_officers(self.case)
        if not self.instance._state.adding:  # a period already held keeps its officer
            held = Q(pk__in=officers.values("pk")) | Q(pk=self.instance.officer_id)
            officers = User.objects.filter(held).order_by("last_name", "first_name", "username")
        self.fields["officer"].queryset = officers  # type: ignore[attr-defined]
        self.fields["officer"].help_text = _(
            "A commune social officer of the commune where the person lives."
        )
        self.fields["planned_end_on"].help_text = _(
            "One year after the start; two years after compulsory treatment at a facility."
        )
        if self.instance._state.adding:
            today = timezone.localdate()
            self.initial.setdefault("started_on", today)
            # Post-rehab management lasts one year (Law 73/2021/QH14, art. 40).
            self.initial.setdefault("planned_end_on", years_after(today, 1))
            mine = officers.filter(pk=self.user.pk).exists()
            first = officers.first()
            self.initial.setdefault("officer", self.user.pk if mine else first and first.pk)


class FollowUpForm(RecordForm):
    class Meta:
        model = FollowUp
        fields = ["kind", "due_on", "done_on", "responsible", "note"]
        formfield_callback = _formfield

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The case's staff, and the commune officers who follow the person where they live.
        staff = self.staff_choices() | postrehab_officers(self.case)
        self.fields["responsible"].queryset = staff.distinct()  # type: ignore[attr-defined]
        self.fields["kind"].choices = self._kinds()  # type: ignore[attr-defined]
        if self.instance._state.adding:
            self.initial.setdefault("responsible", self.case.assigned_to_id or self.user.pk)

        if self.instance.period_id is not None:
            # A check-in's kind, due date and officer are its period's plan (re-planned when
            # the period changes): only what happened is edited here.
            for name in ("kind", "due_on", "responsible"):
                del self.fields[name]

    def _kinds(self) -> list[tuple[str, Any]]:
        """Offer the kinds that fit the case; check-ins are planned by their period only."""
        victim = self.case.category == ClientCategory.TRAFFICKING_VICTIM
        current = self.instance.kind if not self.instance._state.adding else None
        return [
            (value, label)
            for value, label in FollowUpKind.choices
            if value == current
            or value == FollowUpKind.OTHER
            or (value == FollowUpKind.REINTEGRATION_VISIT and victim)
        ]


class FollowUpVisitForm(RecordForm):
    """Record a planned follow-up as done: the date it happened and how it went, nothing else."""

    class Meta:
        model = FollowUp
        fields = ["done_on", "note"]
        formfield_callback = _formfield
        labels = {"done_on": _("Date of the visit"), "note": _("How it went")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["done_on"].required = True
        self.fields["note"].required = True
        if self.instance.done_on is None:
            self.initial["done_on"] = timezone.localdate()


class VocationalForm(RecordForm):
    class Meta:
        model = VocationalSupport
        fields = [
            "kind",
            "provider",
            "provider_other",
            "started_on",
            "ended_on",
            "outcome",
            "no_end_reason",
            "employer",
            "income_band",
        ]
        formfield_callback = _formfield

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = _active_organisations()  # type: ignore[attr-defined]
        self.default_today("started_on")


class ReceptionForm(RecordForm):
    class Meta:
        model = Reception
        fields = [
            "received_on",
            "place",
            "receiving_agency",
            "identification_status",
            "current_address",
            "contact",
        ]
        formfield_callback = _formfield

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["receiving_agency"].queryset = _active_organisations()  # type: ignore[attr-defined]
        self.default_today("received_on")


class ShelterStayForm(RecordForm):
    class Meta:
        model = ShelterStay
        fields = ["shelter", "entered_on", "left_on"]
        formfield_callback = _formfield

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shelters = _active_organisations().filter(Q(type__code="nha-nhan-ai"))
        self.fields["shelter"].queryset = shelters  # type: ignore[attr-defined]
        self.default_today("entered_on")
