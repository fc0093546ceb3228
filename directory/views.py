"""The public directory's pages (issue 32, D56): no sign-in, nothing about any client.

Each page is the same for every visitor: it is rendered without the request (no CSRF token,
no user menu, no cookie set), answers ``Cache-Control: public`` with an ETag (a repeated
request with ``If-None-Match`` gets a 304), and needs no script. The language is ``?lang=vi``
or ``?lang=en`` when given, else the visitor's (Vietnamese first). Public reads record no
audit event: there is nothing personal in them (docs/directory.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import conditional_page, require_safe

from . import selectors

# How long a browser or a shared cache may keep a page without asking again (seconds).
MAX_AGE = 600
LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def _language(request: HttpRequest) -> tuple[str, str]:
    """Return the page's language and the query string that keeps it on the page's links."""
    asked = request.GET.get("lang", "")
    if asked in LANGUAGE_CODES:
        return asked, f"?lang={asked}"
    return translation.get_language() or settings.LANGUAGE_CODE, ""


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    language, keep = _language(request)
    with translation.override(language):
        content = render_to_string(
            template,
            {
                **context,
                "keep_lang": keep,
                # Codes are named in English; what administrators typed stays Vietnamese.
                "english": language == "en",
                "languages": settings.LANGUAGES,
                "here": request.path,
            },
        )
    response = HttpResponse(content)
    response["Content-Language"] = language
    return response


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Open to everyone, GET/HEAD only, cacheable by anyone, with an ETag."""
    return login_not_required(
        require_safe(cache_control(public=True, max_age=MAX_AGE)(conditional_page(view)))
    )


@public_page
def index(request: HttpRequest) -> HttpResponse:
    """The provinces that have published facilities, and the information pages."""
    return _page(
        request, "directory/index.html", {"provinces": selectors.provinces_with_facilities()}
    )


@public_page
def province(request: HttpRequest, province_code: str) -> HttpResponse:
    """A province's published facilities, grouped by organisation type."""
    unit = selectors.province(province_code)
    if unit is None:
        raise Http404
    return _page(
        request,
        "directory/province.html",
        {"province": unit, "groups": selectors.facilities_by_type(unit)},
    )


@public_page
def treatment(request: HttpRequest) -> HttpResponse:
    """The forms of treatment, in plain language."""
    return _page(request, "directory/treatment.html", {})


@public_page
def rights(request: HttpRequest) -> HttpResponse:
    """The rights of a person in treatment or post-rehab management, in plain language."""
    return _page(request, "directory/rights.html", {})
