"""Second-step forms: a code typed by the user, checked for shape before any device sees it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import code_kind

FORMAT = "format"


def _compact(value: object) -> str:
    return "".join(str(value or "").split())


class TokenForm(forms.Form):
    """A TOTP code or a backup code (second step of a later login)."""

    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=_("The 6-digit code from your authenticator app, or a backup code."),
    )
    kinds: frozenset[str] = frozenset({"totp", "backup"})
    format_message = _("Enter the 6 digits (0–9) your app shows, or a backup code.")

    def clean_token(self) -> str:
        token = _compact(self.cleaned_data["token"])
        if code_kind(token) not in self.kinds:
            raise ValidationError(self.format_message, code=FORMAT)
        return token

    def attempt(self) -> str | None:
        """Return the code to check, or None when nothing was typed.

        Something that cannot be a code (wrong shape, other scripts' digits) is still an
        attempt: the check refuses it and counts it like a wrong code.
        """
        if self.is_valid():
            return str(self.cleaned_data["token"])
        if self.has_error("token", FORMAT):
            return _compact(self.data.get("token"))
        return None


class EnrolmentForm(TokenForm):
    """The first code of a new authenticator app: six ASCII digits."""

    kinds = frozenset({"totp"})
    format_message = _("Enter the 6 digits (0–9) your app shows.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["token"].help_text = _("The 6-digit code from your authenticator app.")
