"""Forms of referrals: the case comes from the URL (through cases.access), never from input."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.models import Case, Organisation
from core.forms import DateField, VersionField, not_in_future, translate_blank_choices
from services.models import ServiceType

from .models import ConsentMethod, Part, Referral
from .selectors import PART_HELP, consents_in_force

NEW_CONSENT = "new"
NO_CONSENT = "none"
MAX_TEXT = 4000


def part_choices() -> list[tuple[str, str]]:
    """Return the parts as checkbox labels with what each one holds, in plain words."""
    return [(code, f"{label} ({PART_HELP[code]})") for code, label in Part.choices]


def _organisation_label(organisation: Organisation) -> str:
    return f"{organisation.name} ({organisation.type.name})"


class ReferralForm(forms.Form):
    """Refer the case's person to another organisation for a service."""

    to_organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("Receiving organisation")
    )
    service_type = forms.ModelChoiceField(queryset=ServiceType.objects.none(), label=_("Service"))
    parts = forms.MultipleChoiceField(
        label=_("What the receiver may see"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Share only what the receiver needs to provide the service."),
    )
    reason = forms.CharField(
        label=_("Reason for the referral"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    consent = forms.ChoiceField(label=_("Consent to share"), widget=forms.RadioSelect)
    consent_method = forms.ChoiceField(
        label=_("How consent was given"),
        required=False,
        choices=[("", "---------"), *ConsentMethod.choices],
    )
    consent_given_on = DateField(label=_("Consent given on"), required=False)
    consent_given_by = forms.CharField(
        label=_("Given by (if not the person)"), required=False, max_length=200
    )
    urgent = forms.BooleanField(label=_("Urgent: cannot wait for consent"), required=False)
    urgent_reason = forms.CharField(
        label=_("Why it cannot wait for consent"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        receivers = self.fields["to_organisation"]
        receivers.queryset = (  # type: ignore[attr-defined]
            Organisation.objects.filter(is_active=True)
            .exclude(pk=case.organisation_id)
            .select_related("type")
            .order_by("name")
        )
        # The kind of organisation beside its name: a commune's police is no clinic.
        receivers.label_from_instance = _organisation_label  # type: ignore[attr-defined]
        offered = [
            s.pk for s in ServiceType.objects.filter(is_active=True) if s.offered_to(case.category)
        ]
        self.fields["service_type"].queryset = ServiceType.objects.filter(pk__in=offered)  # type: ignore[attr-defined]
        self.fields["parts"].choices = part_choices()  # type: ignore[attr-defined]
        self.fields["consent"].choices = self._consent_choices()  # type: ignore[attr-defined]
        self.fields["consent_given_on"].validators.append(not_in_future)
        self.initial.setdefault("consent_given_on", timezone.localdate())
        translate_blank_choices(self)

    def _consent_choices(self) -> list[tuple[str, str]]:
        found = [
            (
                str(c.pk),
                str(
                    _("Consent given on %(day)s (%(how)s)")
                    % {
                        "day": date_format(c.given_on, "SHORT_DATE_FORMAT"),
                        "how": c.get_method_display(),
                    }
                ),
            )
            for c in consents_in_force(case=self.case)
        ]
        found.append((NEW_CONSENT, str(_("Record the consent given now"))))
        found.append((NO_CONSENT, str(_("No consent yet"))))
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choice = data.get("consent")
        if choice == NEW_CONSENT:
            if not data.get("consent_method"):
                self.add_error("consent_method", _("Say how the consent was given."))
            if not data.get("consent_given_on") and "consent_given_on" not in self.errors:
                self.add_error("consent_given_on", _("Give the day the consent was given."))
        if choice == NO_CONSENT and not data.get("urgent"):
            self.add_error(
                "consent", _("Record the person's consent, or mark the referral as urgent.")
            )
        if data.get("urgent") and not (data.get("urgent_reason") or "").strip():
            self.add_error("urgent_reason", _("Explain why the referral cannot wait for consent."))
        parts = set(data.get("parts") or ())
        if Part.METHADONE in parts and Part.TREATMENT not in parts:
            self.add_error(
                "parts",
                _("Methadone treatment is shared with the treatment history: tick both."),
            )
        return data

    def consent_id(self) -> str | None:
        """Return the chosen existing consent's id, or None (new or none)."""
        choice = self.cleaned_data["consent"]
        return None if choice in (NEW_CONSENT, NO_CONSENT) else str(choice)

    def new_consent(self) -> dict[str, Any] | None:
        """Return the consent to record with the referral, or None."""
        if self.cleaned_data["consent"] != NEW_CONSENT:
            return None
        return {
            "method": self.cleaned_data["consent_method"],
            "given_on": self.cleaned_data["consent_given_on"],
            "given_by": self.cleaned_data["consent_given_by"],
        }


class ReferralEditForm(VersionField, ReferralForm):
    """Change a draft or returned referral; opened with its current values and version."""

    def __init__(self, *args: Any, case: Case, referral: Referral, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        consent = str(referral.consent_id) if referral.consent_id else NO_CONSENT
        self.initial.update(
            {
                "to_organisation": referral.to_organisation_id,
                "service_type": referral.service_type_id,
                "parts": list(referral.parts),
                "reason": referral.reason,
                "consent": consent,
                "urgent": referral.urgent,
                "urgent_reason": referral.urgent_reason,
                "version": referral.version,
            }
        )
        if consent not in dict(self.fields["consent"].choices):  # type: ignore[attr-defined]
            self.initial["consent"] = NO_CONSENT  # withdrawn since: choose again


class ActionForm(forms.Form):
    """Take one step of a referral: the action, and a comment or outcome where needed."""

    action = forms.CharField(max_length=30, widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    outcome = forms.CharField(
        label=_("Outcome"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, transitions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.transitions = {t.action: t for t in transitions}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        transition = self.transitions.get(data.get("action", ""))
        if transition is None:
            raise ValidationError(_("This step is not open to you now."), code="not_allowed")
        if getattr(transition, "needs_comment", False) and not data.get("comment", "").strip():
            self.add_error("comment", _("Write a comment for this step."))
        if _needs_outcome(transition) and not data.get("outcome", "").strip():
            self.add_error("outcome", _("Write the outcome of the service."))
        return data


def _needs_outcome(transition: Any) -> bool:
    return bool(getattr(transition, "needs_outcome", False))


class PeriodForm(forms.Form):
    """A period of the figures: from one day to another, a year at most by default."""

    since = DateField(label=_("From"))
    until = DateField(label=_("To"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the period comes before its start."))
        return data

    @staticmethod
    def default_initial() -> dict[str, datetime.date]:
        today = timezone.localdate()
        return {"since": today.replace(month=1, day=1), "until": today}


class WithdrawForm(forms.Form):
    """Record the day the person withdrew a consent."""

    withdrawn_on = DateField(
        label=_("Withdrawn on"),
        help_text=_("The day the person (or their guardian) said they no longer agree."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["withdrawn_on"].validators.append(not_in_future)
        self.initial.setdefault("withdrawn_on", timezone.localdate())


class StaffAddForm(forms.Form):
    """Choose a colleague of the receiving organisation to see the referred case."""

    user = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label=_("Colleague"),
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose a colleague from the list.")},
    )

    def __init__(self, *args: Any, colleagues: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        field.queryset = colleagues  # type: ignore[attr-defined]
        field.label_from_instance = _colleague_label  # type: ignore[attr-defined]


def _colleague_label(user: Any) -> str:
    return str(user.display_name or user.username)
