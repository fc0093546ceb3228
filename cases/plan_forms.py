"""The forms of the case plan and of closing a case (D45)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.forms import DateField, VersionField, not_in_future, translate_blank_choices

from . import access
from .models import Case, CaseClosure, Organisation, PlanGoal


def _full_name(user: Any) -> str:
    return str(user.display_name)


class GoalForm(VersionField, forms.ModelForm):  # type: ignore[type-arg]
    """A goal of the plan: need → goal → agreed actions, who and by when, next review."""

    class Meta:
        model = PlanGoal
        fields = ["need", "goal", "actions", "responsible", "due_on", "review_on"]
        field_classes = {"due_on": DateField, "review_on": DateField}
        widgets = {
            "need": forms.Textarea(attrs={"rows": 2}),
            "goal": forms.Textarea(attrs={"rows": 2}),
            "actions": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "need": _("What the screening or assessment found, in a few words."),
            "review_on": _("When the goal is looked at again with the person."),
        }

    def __init__(self, *args: Any, case: Case, user: access.AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        responsible = self.fields["responsible"]
        # The holder's staff, the writer, and whoever is responsible now.
        holder = access.assignable_staff(Organisation.objects.filter(pk=case.organisation_id))
        allowed = Q(pk__in=holder.values("pk")) | Q(pk=getattr(user, "pk", None) or 0)
        allowed |= Q(pk=self.instance.responsible_id or 0)
        responsible.queryset = User.objects.filter(allowed).order_by(  # type: ignore[attr-defined]
            "last_name", "first_name", "username"
        )
        responsible.label_from_instance = _full_name  # type: ignore[attr-defined]
        translate_blank_choices(self)
        if self.instance._state.adding and not self.initial.get("responsible"):
            self.initial["responsible"] = getattr(user, "pk", None)  # the writer, by default
        else:
            self.initial.setdefault("version", self.instance.version)


class GoalReviewForm(VersionField, forms.ModelForm):  # type: ignore[type-arg]
    """A review of a goal: what came of it, its status, and the next review date."""

    class Meta:
        model = PlanGoal
        fields = ["status", "review_note", "reviewed_on", "review_on", "due_on"]
        field_classes = {"reviewed_on": DateField, "review_on": DateField, "due_on": DateField}
        widgets = {"review_note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["review_note"].required = True
        self.fields["reviewed_on"].required = True
        self.fields["reviewed_on"].validators.append(not_in_future)
        self.initial["reviewed_on"] = timezone.localdate()
        self.initial.setdefault("version", self.instance.version)
        translate_blank_choices(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == "open" and not data.get("review_on"):
            self.add_error("review_on", _("An open goal needs its next review date."))
        return data


class ClosureForm(forms.ModelForm):  # type: ignore[type-arg]
    """Closing a case: the reason, the date and a summary of the work."""

    class Meta:
        model = CaseClosure
        fields = ["reason", "closed_on", "summary"]
        field_classes = {"closed_on": DateField}
        widgets = {"summary": forms.Textarea(attrs={"rows": 5})}
        help_texts = {"summary": _("What was done, what changed, what is left.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = True
        self.fields["closed_on"].required = True
        self.fields["closed_on"].validators.append(not_in_future)
        self.initial["closed_on"] = self.initial.get("closed_on") or timezone.localdate()
        translate_blank_choices(self)


class ReopenForm(forms.ModelForm):  # type: ignore[type-arg]
    """Re-opening a closed case: why."""

    class Meta:
        model = CaseClosure
        fields = ["summary"]
        labels = {"summary": _("Reason for re-opening")}
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("refuse", "refuse")])
    reason = forms.CharField(label=_("Reason for refusing"), required=False, max_length=4000)

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data.get("reason", "")
        if "\x00" in reason:
            raise ValidationError(_("Remove the invalid character."))
        return reason
