"""Build the main menu and each user's start page from entries the apps declare.

An app adds its entries in its ``AppConfig.ready()``::

    navigation.add(_("Cases"), "cases:case_list", allowed=lambda u: can(u, CASE_VIEW),
                   order=20)

``start_page=True`` makes an entry the page a user lands on after signing in, when it is
the first such entry they may use (by ``order``). Core knows no app: each entry brings its
own check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise

from core.users import AnyAbstractUser


@dataclass(frozen=True)
class MenuEntry:
    label: str | Promise
    url_name: str
    allowed: Callable[[Any], bool]
    order: int = 100
    start_page: bool = False


@dataclass(frozen=True)
class MenuLink:
    label: str
    url: str
    url_name: str


_entries: dict[str, MenuEntry] = {}


def add(
    label: str | Promise,
    url_name: str,
    *,
    allowed: Callable[[Any], bool],
    order: int = 100,
    start_page: bool = False,
) -> None:
    """Declare a menu entry (once per URL name)."""
    _entries[url_name] = MenuEntry(label, url_name, allowed, order, start_page)


def _ordered() -> list[MenuEntry]:
    return sorted(_entries.values(), key=lambda e: (e.order, e.url_name))


def menu_for(user: AnyAbstractUser) -> list[MenuLink]:
    """Return the entries the user may use, in order."""
    return [
        MenuLink(str(e.label), reverse(e.url_name), e.url_name)
        for e in _ordered()
        if e.allowed(user)
    ]


def start_page_for(user: AnyAbstractUser) -> str | None:
    """Return the URL name of the user's start page, or None if no app offers them one."""
    for entry in _ordered():
        if entry.start_page and entry.allowed(user):
            return entry.url_name
    return None


# --- start-page sections ----------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """One count a start page shows ("3 waiting for our answer"), linking to its list."""

    label: str | Promise
    value: int
    url: str
    warning: bool = False


# Called with the user; returns the counts an app shows on start pages (empty: nothing).
Section = Callable[[Any], list[Tally]]
_sections: list[Section] = []


def add_section(section: Section) -> None:
    """Declare counts an app shows on the start pages (once per function)."""
    if section not in _sections:
        _sections.append(section)


def tallies_for(user: AnyAbstractUser | None) -> list[Tally]:
    """Return the counts every app shows this user on a start page."""
    return [tally for section in _sections for tally in section(user)]
