"""Forms of service records: the case comes from the URL (through cases.access), never input."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django import forms
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import access
from cases.models import Case, Organisation
from core.forms import DateField, VersionField, not_in_future, translate_blank_choices

from .models import (
    EpisodeStage,
    FollowUp,
    PostRehabPeriod,
    Reception,
    ServiceRecord,
    ServiceType,
    ShelterStay,
    Stage,
    TreatmentEpisode,
    VocationalSupport,
)

# Dates of something that has happened (not a plan) cannot be in the future.
PAST_DATES = {
    "delivered_on", "done_on", "started_on", "ended_on", "received_on", "entered_on", "left_on",
}  # fmt: skip


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

    def staff_choices(self) -> Any:
        """Return the staff who may be made responsible: the case's organisation's staff."""
        return access.assignable_staff(Organisation.objects.filter(pk=self.case.organisation_id))

    def default_today(self, *names: str) -> None:
        if self.instance._state.adding:
            for name in names:
                self.initial.setdefault(name, timezone.localdate())


def _active_organisations() -> Any:
    return Organisation.objects.filter(is_active=True).select_related("type").order_by("name")


class ServiceRecordForm(RecordForm):
    class Meta:
        model = ServiceRecord
        fields = [
            "service_type", "status", "due_on", "delivered_on", "provider", "responsible",
            "amount", "note",
        ]  # fmt: skip
        formfield_callback = _formfield

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        services = ServiceType.objects.filter(is_active=True)
        current = self.instance.service_type_id if not self.instance._state.adding else None
        offered = [s.pk for s in services if s.offered_to(self.case.category) or s.pk == current]
        self.fields["service_type"].queryset = ServiceType.objects.filter(pk__in=offered)  # type: ignore[attr-defined]
        self.fields["provider"].queryset = _active_organisations()  # type: ignore[attr-defined]
        self.fields["responsible"].queryset = self.staff_choices()  # type: ignore[attr-defined]
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
        self.fields["officer"].queryset = self.staff_choices()  # type: ignore[attr-defined]
        if self.instance._state.adding:
            today = timezone.localdate()
            self.initial.setdefault("started_on", today)
            # Post-rehab management lasts one year (Law 73/2021/QH14).
            self.initial.setdefault("planned_end_on", _one_year_after(today))
            self.initial.setdefault("officer", self.user.pk)


def _one_year_after(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


class FollowUpForm(RecordForm):
    class Meta:
        model = FollowUp
        fields = ["kind", "due_on", "done_on", "responsible", "note"]
        formfield_callback = _formfield

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = self.staff_choices()  # type: ignore[attr-defined]
        if self.instance._state.adding:
            self.initial.setdefault("responsible", self.case.assigned_to_id or self.user.pk)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("due_on") and not data.get("done_on"):
            self.add_error("due_on", _("Give the date it is due, or the date it was done."))
        return data


class VocationalForm(RecordForm):
    class Meta:
        model = VocationalSupport
        fields = [
            "kind", "provider", "provider_other", "started_on", "ended_on", "outcome",
            "employer", "income_band",
        ]  # fmt: skip
        formfield_callback = _formfield

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = _active_organisations()  # type: ignore[attr-defined]
        self.default_today("started_on")


class ReceptionForm(RecordForm):
    class Meta:
        model = Reception
        fields = [
            "received_on", "place", "receiving_agency", "identification_status",
            "current_address", "contact",
        ]  # fmt: skip
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
