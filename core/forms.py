"""Form pieces every app shares: dd/mm/yyyy date fields and translated blank choices."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Typed by hand: 05/03/2026, 5-3-2026, 05.03.2026; ISO (2026-03-05) from older links and tests.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
DATE_DISPLAY_FORMAT = "%d/%m/%Y"
BLANK_DASHES = "---------"


class DateInput(forms.DateInput):
    """A text box showing dd/mm/yyyy: typed the same way on every phone and browser."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}
        super().__init__(attrs={**defaults, **(attrs or {})}, format=DATE_DISPLAY_FORMAT)


# Numbers in the shape of a date (30/02/1990, 1990-02-30): wrong only because no such day is.
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_YEAR_MONTH_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def _names_no_day(text: str) -> bool:
    """Return True for a date written correctly whose day does not exist (30/02/1990)."""
    if match := _DAY_MONTH_YEAR.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _YEAR_MONTH_DAY.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        return False
    try:
        datetime.date(year, month, day)
    except ValueError:
        return True
    return False


def max_years_ahead() -> int:
    """Return how many years ahead a typed date may lie (a plan, a due date)."""
    years: int = settings.HOA_NHAP_DATE_MAX_YEARS_AHEAD
    return years


class DateField(forms.DateField):
    """A date typed as dd/mm/yyyy (or ISO) within a sane window: not before 1900, and not
    more than ``HOA_NHAP_DATE_MAX_YEARS_AHEAD`` years ahead (9999-12-31 is a typo)."""

    widget = DateInput
    input_formats = DATE_INPUT_FORMATS
    default_error_messages = {"invalid": _("Enter a date as dd/mm/yyyy, e.g. 05/03/2026.")}

    def to_python(self, value: Any) -> datetime.date | None:
        try:
            date = super().to_python(value)
        except ValidationError as error:
            if isinstance(value, str) and _names_no_day(value.strip()):
                raise ValidationError(
                    _("This date does not exist: check the day and the month."),
                    code="nonexistent",
                ) from error
            raise
        if date is not None and date.year < 1900:
            raise ValidationError(_("Enter a date after 1900."), code="too_old")
        if date is not None:
            years = max_years_ahead()
            today = timezone.localdate()
            if date.year > today.year + years or (
                date.year == today.year + years
                and (date.month, date.day) > (today.month, today.day)
            ):
                raise ValidationError(
                    _("Enter a date at most %(years)d years from today.") % {"years": years},
                    code="too_far",
                )
        return date


def not_in_future(value: datetime.date | None) -> None:
    """Refuse a date after today (a start, a close, a birth)."""
    if value is not None and value > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future")


def _is_django_blank(label: object) -> bool:
    return str(label) in (BLANK_DASHES, str(BLANK_CHOICE_LABEL))


def translate_blank_choices(form: forms.BaseForm) -> None:
    """Replace Django's blank choice ("---------", "- Select an option -") with our prompt."""
    prompt = _("— Choose —")
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            if field.empty_label is not None and _is_django_blank(field.empty_label):
                field.empty_label = prompt
        elif isinstance(field, forms.ChoiceField):
            choices = list(field.choices)  # type: ignore[arg-type]
            if choices and choices[0][0] == "" and _is_django_blank(choices[0][1]):
                field.choices = [("", prompt), *choices[1:]]


class VersionField(forms.Form):
    """The version an edit form was opened at (core.editing refuses a lost update)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def opened_version(self, instance: Any) -> int:
        """Return the version the user opened (the instance's own for a fresh form)."""
        opened: int | None = self.cleaned_data.get("version")
        return opened if opened is not None else int(instance.version)
