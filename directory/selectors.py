"""Reads of the public directory: units and published facilities only, never a person.

Every read here is public information (docs/directory.md), so none is recorded as an event.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils.functional import Promise

from cases.choices import ClientCategory, UnitLevel
from cases.models import AdministrativeUnit
from facilities.models import FacilityProfile
from facilities.selectors import PublicFacility, public_facilities

from .labels import TYPE_NAMES


def _published_in(unit_path: OuterRef) -> Exists:
    return Exists(
        FacilityProfile.objects.filter(
            published=True, organisation__is_active=True, commune__path__startswith=unit_path
        )
    )


def provinces_with_facilities() -> list[AdministrativeUnit]:
    """Return the provinces in use that have at least one published facility (one query)."""
    return list(
        AdministrativeUnit.objects.filter(level=UnitLevel.PROVINCE, is_active=True)
        .filter(_published_in(OuterRef("path")))
        .order_by("name", "code")
    )


def province(code: str) -> AdministrativeUnit | None:
    """Return the province in use with this code, or None."""
    return AdministrativeUnit.objects.filter(
        code=code, level=UnitLevel.PROVINCE, is_active=True
    ).first()


@dataclass(frozen=True)
class Listing:
    """One facility as the directory shows it. The address and phone are the facility's,
    named apart from a person's fields so templates never read ``.address``/``.phone``."""

    facility: PublicFacility
    full_address: str
    contact_phone: str
    tel: str  # the phone for a ``tel:`` link: digits and a leading +
    # Who may use them, from the services' client categories (labels translated when the
    # page renders); ``for_everyone`` when a service is offered to every category.
    categories: list[ClientCategory]
    for_everyone: bool


@dataclass(frozen=True)
class Group:
    """The facilities of one organisation type: its typed (Vietnamese) name, and its English
    name when the code is one the directory names (``labels.TYPE_NAMES``)."""

    facility_type: str
    name_en: Promise | None
    listings: list[Listing]


def _listing(found: PublicFacility) -> Listing:
    parts = [part for part in (found.address, found.commune) if part]
    offered = [set(service.applies_to) for service in found.services]
    named = set().union(*offered)
    return Listing(
        facility=found,
        full_address=", ".join(parts),
        contact_phone=found.phone,
        tel="".join(c for c in found.phone if c.isdigit() or c == "+"),
        categories=[c for c in ClientCategory if c.value in named],
        for_everyone=any(not codes for codes in offered),
    )


def facilities_by_type(unit: AdministrativeUnit) -> list[Group]:
    """Return the unit's published facilities grouped by organisation type, by type name."""
    groups: dict[tuple[str, str], list[Listing]] = {}
    for found in public_facilities(unit):
        key = (found.facility_type, found.facility_type_code)
        groups.setdefault(key, []).append(_listing(found))
    return [
        Group(name, TYPE_NAMES.get(code), groups[(name, code)]) for name, code in sorted(groups)
    ]
