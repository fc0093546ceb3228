"""Sign-in pages: the password step, enrolling an authenticator (first login), the code."""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import user_has_device

from accounts.models import User

from . import actions
from .forms import EnrolmentForm, TokenForm


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return str(settings.LOGIN_REDIRECT_URL)


def _signed_in(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # LoginRequiredMiddleware guarantees it
        raise PermissionDenied
    return user


def _wait_message(seconds: int) -> str:
    # After a wrong code every code is refused for a moment (django-otp's back-off): the
    # code was not checked, so it is not called wrong.
    return ngettext(
        "Wait %(seconds)d second after a wrong code, then type the code your app shows.",
        "Wait %(seconds)d seconds after a wrong code, then type the code your app shows.",
        seconds,
    ) % {"seconds": seconds}


def _locked(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/locked_out.html", status=429)


class LoginView(auth_views.LoginView):
    """Django's login page; a right password is recorded as the first of two steps."""

    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        if isinstance(user, User):  # always: it is AUTH_USER_MODEL
            actions.password_step_record(user=user)
        return response


@never_cache
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    user = _signed_in(request)
    if not user_has_device(user):
        return redirect("accounts:otp_enrol")
    form = TokenForm(request.POST or None)
    token = form.attempt() if request.method == "POST" else None
    if token is not None:
        outcome = actions.second_factor_verify(request=request, user=user, token=token)
        if outcome.ok:
            return redirect(_next_url(request))
        if outcome.locked:
            return _locked(request)
        if outcome.wait:
            form.add_error("token", _wait_message(outcome.wait))
        elif form.is_valid():
            form.add_error(
                "token", _("That code is not right. Check your app's clock and try again.")
            )
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)})


@never_cache
@require_http_methods(["GET", "POST"])
def otp_enrol(request: HttpRequest) -> HttpResponse:
    user = _signed_in(request)
    if user_has_device(user):
        return redirect("accounts:otp_verify")
    device = actions.totp_enrolment_device(request=request, user=user)
    form = EnrolmentForm(request.POST or None)
    token = form.attempt() if request.method == "POST" else None
    if token is not None:
        outcome = actions.totp_enrolment_confirm(
            request=request, user=user, device=device, token=token
        )
        if outcome.ok:
            done = {"codes": outcome.backup_codes, "next": _next_url(request)}
            return render(request, "accounts/backup_codes.html", done)
        if outcome.locked:
            return _locked(request)
        if outcome.wait:
            form.add_error("token", _wait_message(outcome.wait))
        elif form.is_valid():
            form.add_error("token", _("That code is not right. Scan the QR code again and retry."))
    uri = device.config_url()
    context: dict[str, object] = {
        "form": form,
        "qr_svg": segno.make(uri, error="m").svg_inline(scale=5, title=_("QR code to scan")),
        "secret": " ".join(device.secret[i : i + 4] for i in range(0, len(device.secret), 4)),
        "next": _next_url(request),
    }
    return render(request, "accounts/otp_enrol.html", context)
