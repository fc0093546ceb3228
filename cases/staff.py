"""Read the staff directory for administrators: who works where, who is locked out, who
waits for a role change (invitations: ``cases.invitations``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import capabilities
from accounts.models import AnyUser, User
from audit.registry import ACCESS_CHANGE, register
from core.paging import CappedPaginator

from . import access
from .models import RoleChangeRequest

STAFF_PER_PAGE = 50


class StaffAction:
    INVITATION_ISSUED = register(
        "invitation_issued", _("Issued an invitation link"), kind=ACCESS_CHANGE
    )


def users_manage_require(*, actor: AnyUser, what: str, user_id: Any = "") -> None:
    """Refuse staff administration to anyone but an administrator, and record the denial."""
    if capabilities.can(actor, capabilities.USERS_MANAGE):
        return
    access.deny(actor, what, object_type="user", object_id=user_id)
    raise PermissionDenied


def staff_users() -> QuerySet[User]:
    """Return every person's staff account, by given name (API clients' service accounts
    are listed on their own page, ``/api-clients/``)."""
    pending = RoleChangeRequest.objects.filter(
        user=OuterRef("pk"), status=RoleChangeRequest.Status.PENDING
    )
    return (
        User.objects.filter(is_service_account=False)
        .select_related("staff__organisation", "staff__scope_unit")
        .annotate(has_pending=Exists(pending))
        .order_by("last_name", "first_name", "username")
    )


def locked_usernames(*, usernames: list[str]) -> set[str]:
    """Return which of these accounts are locked out now (django-axes' rule, one query)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(username__in=usernames, attempt_time__gte=since)
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {row["username"] for row in rows}


@dataclass(frozen=True)
class StaffPage:
    page: Page[User]
    locked: set[str]


def staff_page(*, page_number: str | None) -> StaffPage:
    """Return one page of the staff list with the accounts on it that are locked out."""
    page = CappedPaginator(staff_users(), STAFF_PER_PAGE).get_page(page_number)
    names = [user.username for user in page.object_list]
    return StaffPage(page=page, locked=locked_usernames(usernames=names))
