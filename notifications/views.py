"""The notifications page, "mark all read", and following one notification's link."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from . import actions, selectors


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The signed-in user's notifications, newest first, unread ones marked."""
    page = selectors.inbox_page(request.user, page_number=request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@require_POST
def notification_mark_all_read(request: HttpRequest) -> HttpResponse:
    """Mark every unread notification of the user read."""
    count = actions.mark_all_read(user=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d notification marked read.", "%(count)d notifications marked read.", count
        )
        % {"count": count},
    )
    return redirect("notifications:list")


@require_GET
def notification_open(request: HttpRequest, notification_id: UUID) -> HttpResponse:
    """Mark the notification read and go to its page (only ever a page of this site)."""
    target = actions.notification_open(user=request.user, notification_id=notification_id)
    return HttpResponseRedirect(target)
