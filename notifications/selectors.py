"""Read a user's notifications: their inbox, a page at a time, and the unread count."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import AnyUser
from core.paging import CappedPaginator

from .models import Notification

PAGE_SIZE = 50


def inbox_for(user: AnyUser) -> QuerySet[Notification]:
    """Return the user's notifications, newest first."""
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")


def unread_count(user: AnyUser) -> int:
    """Count the user's unread notifications (one COUNT on the inbox index)."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def inbox_page(user: AnyUser, *, page_number: str | None) -> Any:
    """Return one page (50) of the user's notifications, newest first."""
    return CappedPaginator(inbox_for(user), PAGE_SIZE).get_page(page_number)
