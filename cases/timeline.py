"""One chronological timeline of what was done for a person, gathered from every app.

An app registers a source once (in ``ready()``): a function that returns the entries of its
records matching a filter on their case, read through ``cases.access`` for the viewer. The
person page asks for the person's entries, the case page for the case's.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.functional import Promise

from . import access
from .models import Case, Person


@dataclass(frozen=True)
class Entry:
    on: datetime.date
    kind: str | Promise
    title: str | Promise
    url: str
    status: str | Promise = ""
    overdue: bool = False
    # Something planned and not yet done (a check-in, a visit): shown in its own list of
    # what is coming, not among what happened.
    planned: bool = False


# Called with the viewer, the ids of the cases the viewer may see that the timeline covers
# (already decided by cases.access), and a limit.
Source = Callable[[access.AnyUser, list[Any], int], Iterable[Entry]]
_sources: list[Source] = []
# The part of a case (``referrals.models.Part`` codes) a source's entries belong to; a source
# without one shows only to viewers who see the whole case (``access.parts_visible``), one
# registered with ``access.ANY_PART`` to every viewer of the case (it limits its own rows).
_source_parts: dict[Source, str] = {}


def register(source: Source, *, part: str = "") -> None:
    """Add a source of timeline entries (called with viewer, visible case ids, a limit)."""
    if source not in _sources:
        _sources.append(source)
    if part:
        _source_parts[source] = part


def _shown(parts: access.Parts, part: str) -> bool:
    if isinstance(parts, access.AllParts) or part == access.ANY_PART:
        return True
    return bool(part) and part in parts


def _gather(viewer: access.AnyUser, cases: Q, limit: int) -> list[Entry]:
    # The visible cases are decided once, here; each source then reads its rows of those
    # cases by their case_id index (one small query per source, no scope rule to rebuild).
    case_ids = list(access.visible_cases(viewer).filter(cases).values_list("pk", flat=True))
    if not case_ids:
        return []
    # Minimum necessary: a source reads only the cases whose part it belongs to is shared
    # with the viewer, so what is not shared is neither read nor decrypted.
    parts = access.parts_by_case(viewer, case_ids)
    entries = []
    for source in _sources:
        part = _source_parts.get(source, "")
        ids = [case_id for case_id in case_ids if _shown(parts[case_id], part)]
        if ids:
            entries += list(source(viewer, ids, limit))
    return sorted(entries, key=lambda entry: entry.on, reverse=True)[:limit]


def for_person(*, viewer: access.AnyUser, person: Person, limit: int = 200) -> list[Entry]:
    """Return the newest entries about the person that the viewer may see, newest first."""
    return _gather(viewer, Q(person_id=person.pk), limit)


def for_case(*, viewer: access.AnyUser, case: Case, limit: int = 200) -> list[Entry]:
    """Return the newest entries of one case that the viewer may see, newest first."""
    return _gather(viewer, Q(pk=case.pk), limit)


def split(entries: list[Entry]) -> tuple[list[Entry], list[Entry]]:
    """Return what happened (newest first) and what is planned (soonest first, overdue first)."""
    happened = [entry for entry in entries if not entry.planned]
    planned = sorted((entry for entry in entries if entry.planned), key=lambda entry: entry.on)
    return happened, planned


@dataclass(frozen=True)
class AddLink:
    label: str | Promise
    url: str


AddLinks = Callable[[access.AnyUser, Case], Iterable[AddLink]]
_add_links: list[AddLinks] = []


def register_add_links(provider: AddLinks) -> None:
    """Add a provider of the case page's "Add…" entries (called with viewer and case)."""
    if provider not in _add_links:
        _add_links.append(provider)


def add_links(*, viewer: access.AnyUser, case: Case) -> list[AddLink]:
    """Return what the viewer may add to the case, from every app."""
    return [link for provider in _add_links for link in provider(viewer, case)]


@dataclass(frozen=True)
class PersonSection:
    """A section another app adds to the person page: a title, a template, its rows."""

    title: str | Promise
    template: str
    rows: list[Any]
    test_id: str = ""


PersonSections = Callable[[access.AnyUser, Person], PersonSection | None]
_person_sections: list[PersonSections] = []


def register_person_section(provider: PersonSections) -> None:
    """Add a provider of a person page section (called with viewer and person)."""
    if provider not in _person_sections:
        _person_sections.append(provider)


def person_sections(*, viewer: access.AnyUser, person: Person) -> list[PersonSection]:
    """Return the sections other apps show on the person page for this viewer."""
    found = (provider(viewer, person) for provider in _person_sections)
    return [section for section in found if section is not None]


# Sections other apps add to the start page ("My work"), after what is due: the same shape
# as a person page section (appointments of the next 30 days, D46).
StartSections = Callable[[access.AnyUser], PersonSection | None]
_start_sections: list[StartSections] = []


def register_start_section(provider: StartSections) -> None:
    """Add a provider of a start page section (called with the viewer)."""
    if provider not in _start_sections:
        _start_sections.append(provider)


def start_sections(*, viewer: access.AnyUser) -> list[PersonSection]:
    """Return the sections other apps show on the viewer's start page."""
    found = (provider(viewer) for provider in _start_sections)
    return [section for section in found if section is not None]


# Sections other apps add to a record's page (a screening's, a referral's): the documents
# attached to that record (D55). Called with the viewer and the record.
RecordSections = Callable[[access.AnyUser, Any], PersonSection | None]
_record_sections: list[RecordSections] = []


def register_record_section(provider: RecordSections) -> None:
    """Add a provider of a record page section (called with viewer and record)."""
    if provider not in _record_sections:
        _record_sections.append(provider)


def record_sections(*, viewer: access.AnyUser, record: Any) -> list[PersonSection]:
    """Return the sections other apps show on a record's page for this viewer."""
    found = (provider(viewer, record) for provider in _record_sections)
    return [section for section in found if section is not None]
