"""Forms of plans and targets: unit choices come from the writer's scope, indicators from
the registry."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import AnyUser
from core.forms import DateField, VersionField, translate_blank_choices

from . import registry, selectors
from .models import Plan, Target, TargetKind


def _formfield(db_field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    if isinstance(db_field, models.DateField):
        return db_field.formfield(form_class=DateField, **kwargs)
    return db_field.formfield(**kwargs)


def _unit_label(unit: Any) -> str:
    return f"{unit.name} ({unit.get_level_display()})"


class PlanForm(VersionField, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Plan
        fields = ["number", "issuer", "title", "unit", "issued_on", "first_year", "last_year"]
        formfield_callback = _formfield

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit: Any = self.fields["unit"]
        unit.queryset = selectors.plan_units(user)
        unit.label_from_instance = _unit_label
        for name in ("first_year", "last_year"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric"})
        if not self.instance._state.adding:
            self.initial.setdefault("version", self.instance.version)
        translate_blank_choices(self)


class ValueField(forms.DecimalField):
    """A target value, typed with a decimal comma (41,13) or point (41.13)."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {}  # a text box: no min/step

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().removesuffix("%").strip()
            if value.count(",") == 1 and "." not in value:
                value = value.replace(",", ".")
        return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        # 70.00 as stored reads "70" in the form; 41.13 stays as it is.
        if hasattr(value, "normalize") and value == value.to_integral_value():
            return str(value.quantize(1))
        return value


def key_choices() -> list[tuple[str, Any]]:
    """Return the breakdown keys a target may be set for, grouped by breakdown.

    A choice's value is "breakdown:key" ("sector:Xã hội"); the first, empty, is the total.
    """
    groups: list[tuple[str, Any]] = [("", _("The total (no breakdown)"))]
    for code, name in registry.breakdown_choices():
        # The breakdown named in each option too: a closed list shows only the option.
        keys = [
            (f"{code}:{key}", f"{name}: {label}")
            for key, label in registry.breakdown(code).columns()
        ]
        if keys:
            groups.append((str(name), keys))
    return groups


def indicator_choices() -> list[tuple[str, str]]:
    """Return the registered indicators as choices ("TX_COVERAGE — Treatment coverage")."""
    return [(i.code, f"{i.code} — {i.name}") for i in registry.indicators()]


class TargetForm(VersionField, forms.ModelForm):  # type: ignore[type-arg]
    indicator = forms.ChoiceField(label=capfirst(_("indicator")))
    key = forms.ChoiceField(
        label=_("For"),
        required=False,
        help_text=_(
            "A target of the whole indicator, or of one value of a breakdown the indicator "
            "offers, such as a provider sector."
        ),
    )
    value = ValueField(label=capfirst(_("value")), max_digits=12, decimal_places=2, min_value=0)

    class Meta:
        model = Target
        fields = [
            "indicator",
            "key",
            "unit",
            "year",
            "comparison",
            "value",
            "kind",
            "clause",
            "note",
        ]
        widgets = {"comparison": forms.RadioSelect, "kind": forms.RadioSelect}
        help_texts = {
            "kind": _(
                "A share is a percentage (0–100); a number counts people. The share of a "
                "breakdown value is of everyone the indicator counts, as in Lào Cai's plan "
                "for the social-affairs sector."
            ),
            "clause": _("For example 2.3 or II.2.a."),
        }

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.plan = plan
        choices = indicator_choices()
        current = self.instance.indicator
        if current and current not in dict(choices):
            # A target of an indicator no app registers any more stays editable.
            choices.append((current, current))
        indicator: Any = self.fields["indicator"]
        indicator.choices = [("", _("— Choose —")), *choices]
        keys = key_choices()
        if self.instance.key:
            current_key = f"{self.instance.breakdown}:{self.instance.key}"
            self.initial["key"] = current_key  # the instance gave the bare key
            offered = {value for _group, options in keys[1:] for value, _label in options}
            if current_key not in offered:
                # A key the data no longer has (a sector renamed) stays editable.
                keys.append((self.instance.breakdown, [(current_key, self.instance.key)]))
        key: Any = self.fields["key"]
        key.choices = keys
        unit: Any = self.fields["unit"]
        unit.queryset = selectors.target_units(plan)
        unit.label_from_instance = _unit_label
        self.initial.setdefault("unit", plan.unit_id)
        self.fields["year"] = forms.TypedChoiceField(
            label=capfirst(_("year")),
            coerce=int,
            choices=[(y, str(y)) for y in plan.years],
            initial=self.initial.get("year", plan.first_year),
        )
        kind: Any = self.fields["kind"]
        kind.choices = TargetKind.choices  # no blank: a target is one or the other
        if self.instance._state.adding:
            self.initial.setdefault("kind", "share")
        else:
            self.initial.setdefault("version", self.instance.version)
        translate_blank_choices(self)

    def clean_key(self) -> str:
        """Split "breakdown:key" (the instance takes the breakdown; the key stays here)."""
        chosen = self.cleaned_data.get("key") or ""
        breakdown, _sep, key = chosen.partition(":")
        self.instance.breakdown = breakdown if key else ""
        return key

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Said with the form's other errors (the action checks it again on save).
        code, breakdown = data.get("indicator"), self.instance.breakdown
        if code and breakdown and "key" not in self.errors:
            try:
                offered = registry.get(code).breakdowns
            except KeyError:
                offered = ()
            if breakdown not in offered:
                self.instance.breakdown = ""  # the key is not taken: nothing half-set
                self.add_error(
                    "key",
                    _("This indicator has no such breakdown: choose one it offers, or none."),
                )
        return data
