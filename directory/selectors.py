"""Reads of the public directory: units and published facilities only, never a person.

Every read here is public information (docs/directory.md), so none is recorded as an event.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from cases.choices import UnitLevel
from cases.models import AdministrativeUnit
from facilities.models import FacilityProfile
from facilities.selectors import PublicFacility, public_facilities


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


@dataclass(frozen=True)
class Group:
    """The facilities of one organisation type."""

    facility_type: str
    listings: list[Listing]


def _listing(found: PublicFacility) -> Listing:
    parts = [part for part in (found.address, found.commune) if part]
    return Listing(
        facility=found,
        full_address=", ".join(parts),
        contact_phone=found.phone,
        tel="".join(c for c in found.phone if c.isdigit() or c == "+"),
    )


def facilities_by_type(unit: AdministrativeUnit) -> list[Group]:
    """Return the unit's published facilities grouped by organisation type, by type name."""
    groups: dict[str, list[Listing]] = {}
    for found in public_facilities(unit):
        groups.setdefault(found.facility_type, []).append(_listing(found))
    return [Group(name, groups[name]) for name in sorted(groups)]
