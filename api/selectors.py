"""Read what the API answers, always through ``cases.access``: people, cases, a case's
records (sync's reads are in ``api.sync``).

Identifying fields of a person (``IDENTITY``) are given only where the pages show them: a
single read asks ``access.identity_shown``; a list (search, sync) also hides returned
trafficking victims from supervisors (``cases.selectors.masked_people``), as the pages' lists
do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.http import Http404

from accounts.capabilities import USERS_MANAGE
from cases import access, timeline
from cases import selectors as case_selectors
from cases.models import Case, Person

from .models import ApiClient

IDENTITY = case_selectors.IDENTITY


def person_payload(person: Person, *, identity: bool) -> dict[str, Any]:
    """Return a person as the API gives it; identifying fields only with ``identity``."""
    return {
        "id": person.pk,
        "version": person.version,
        "sex": person.sex,
        "birth_year": person.birth_year,
        "birth_year_estimated": person.birth_year_estimated,
        "ethnicity": person.ethnicity,
        "residence_commune": person.residence_commune.code,
        "updated_at": person.updated_at,
        "identity": {name: getattr(person, name) or "" for name in IDENTITY} if identity else None,
    }


def case_payload(case: Case, *, parts: access.Parts) -> dict[str, Any]:
    """Return a case as the API gives it; its notes only to whoever sees every part."""
    return {
        "id": case.pk,
        "version": case.version,
        "person_id": case.person_id,
        "category": case.category,
        "status": case.status,
        "managed_record": case.managed_record,
        "opened_on": case.opened_on,
        "closed_on": case.closed_on,
        "organisation_id": case.organisation_id,
        "assigned_to": case.assigned_to.username
        if case.assigned_to_id and case.assigned_to
        else None,
        "updated_at": case.updated_at,
        "notes": case.notes if isinstance(parts, access.AllParts) else None,
    }


def person_read(*, viewer: access.AnyUser, person_id: UUID) -> dict[str, Any]:
    """Return one person the viewer may see (read event), or 404 with a denial."""
    person = access.get_person_for_user(viewer, person_id, "view")
    return person_payload(person, identity=access.identity_shown(viewer, person))


def case_read(*, viewer: access.AnyUser, case_id: UUID) -> dict[str, Any]:
    """Return one case the viewer may see (read event), or 404 with a denial."""
    case = access.get_case_for_user(viewer, case_id, "view")
    return case_payload(case, parts=access.parts_visible(viewer, case))


def case_records(*, viewer: access.AnyUser, case_id: UUID) -> list[dict[str, Any]]:
    """Return the case's timeline (its records the viewer's parts show), newest first."""
    case = access.get_case_for_user(viewer, case_id, "view")
    return [
        {
            "on": entry.on,
            "kind": str(entry.kind),
            "title": str(entry.title),
            "status": str(entry.status),
            "overdue": entry.overdue,
            "planned": entry.planned,
            "url": entry.url,
        }
        for entry in timeline.for_case(viewer=viewer, case=case)
    ]


@dataclass(frozen=True)
class Found:
    people: list[dict[str, Any]]
    more: bool


def person_search(
    *, viewer: access.AnyUser, kind: case_selectors.SearchKind, query: str, birth_year: int | None
) -> Found:
    """Search as the person search page does (one ``search`` event naming the people)."""
    result = case_selectors.person_search_page(
        viewer=viewer, kind=kind, query=query, birth_year=birth_year
    )
    masked = case_selectors.masked_people(viewer=viewer, person_ids=[p.pk for p in result.people])
    return Found(
        people=[person_payload(p, identity=p.pk not in masked) for p in result.people],
        more=result.more,
    )


# --- clients -------------------------------------------------------------------------------


def clients_for(*, viewer: access.AnyUser) -> list[ApiClient]:
    """Return every API client, for an administrator (nobody else manages them)."""
    if not access.can(viewer, USERS_MANAGE):
        return []
    return list(
        ApiClient.objects.select_related(
            "account__staff__organisation", "account__staff__scope_unit"
        ).order_by("name")
    )


def client_for_admin(*, viewer: access.AnyUser, client_id: UUID) -> ApiClient:
    """Return one client for an administrator, else a denial and 404."""
    found = (
        ApiClient.objects.filter(pk=client_id).first() if access.can(viewer, USERS_MANAGE) else None
    )
    if found is None:
        access.deny(viewer, "manage_api_client", object_type="apiclient", object_id=client_id)
        raise Http404
    return found
