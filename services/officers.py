"""Who may be put in charge of a person's follow-up (a choice list of staff, not case data)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from cases.choices import Role


def postrehab_officers(case: Any) -> QuerySet[User]:
    """Return who may be in charge of the case's post-rehab management: the active commune
    social officers whose scope is the commune where the person lives."""
    return (
        User.objects.filter(
            is_active=True,
            is_service_account=False,
            groups__name=Role.COMMUNE_OFFICER,
            staff__scope_unit_id=case.person.residence_commune_id,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
