"""Read the audit log for auditors."""

from __future__ import annotations

from django.db.models import QuerySet

from cases import access
from cases.choices import Role

from .models import Event


def events_for(*, viewer: access.AnyUser) -> QuerySet[Event]:
    """Return the events the viewer may read: all of them for an auditor, none otherwise."""
    if not access.has_role(viewer, Role.AUDITOR):
        return Event.objects.none()
    return Event.objects.select_related("actor", "organisation").order_by("-seq")
