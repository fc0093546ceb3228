"""Register the actions an access event can record: each app declares its own.

An app lists its actions in a class of its own (``cases/events.py``, ``accounts/events.py``)::

    class CaseAction:
        PERSON_READ = register("person_read", _("Viewed a person"), kind=READ)

so adding an app adds no migration and no edit inside ``audit/`` (the event table stores the
code as plain text). ``record()`` refuses a code nobody registered. Apps also tell the
audit trail which person an object concerns (``register_person_resolver``), so every event
names its person whatever the record type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

READ = "read"  # reads of one record: counted for "who saw this person" and activity flags
LIST = "list"  # pages that showed several people (search results, lists)
DENIAL = "denial"  # a refused request for something out of scope
ACCESS_CHANGE = "access_change"  # who holds which role or grant changed (always flagged)
LOOKUP = "lookup"  # an answer that reveals a record exists (bursts are flagged)
# A password set or a second factor reset: one person doing both to another account can
# sign in as its owner (flagged).
CREDENTIAL_RESET = "credential_reset"
ACCOUNT_CREATION = "account_creation"  # a new account (flagged when it gets a case role)
OTHER = ""


@dataclass(frozen=True)
class ActionType:
    code: str
    label: str | Promise
    kind: str


_actions: dict[str, ActionType] = {}
_person_resolvers: list[Callable[[Any], Any]] = []
_citizen_id_finders: list[Callable[[str], list[Any]]] = []
_organisation_namers: list[Callable[[set[Any]], dict[Any, str]]] = []
_organisation_lists: list[Callable[[], list[tuple[Any, str]]]] = []


class UnknownAction(ValueError):
    """An event was recorded with an action code no app registered."""


def register(code: str, label: str | Promise, *, kind: str = OTHER) -> str:
    """Declare an action code with its translated label; return the code."""
    if len(code) > 40:
        raise ValueError(f"action code {code!r} is longer than 40 characters")
    known = _actions.get(code)
    if known is not None and (known.label, known.kind) != (label, kind):
        raise ValueError(f"action code {code!r} is registered twice, differently")
    _actions[code] = ActionType(code, label, kind)
    return code


def get(code: str) -> ActionType:
    try:
        return _actions[code]
    except KeyError:
        raise UnknownAction(f"no app registered the audit action {code!r}") from None


def label(code: str) -> str:
    """Return the translated label of an action code (the code itself if unknown)."""
    found = _actions.get(code)
    return str(found.label) if found else code


def codes(*, kind: str | None = None) -> list[str]:
    """Return the registered codes, optionally only those of one kind."""
    return sorted(c for c, a in _actions.items() if kind is None or a.kind == kind)


def choices() -> list[tuple[str, str]]:
    """Return (code, label) pairs for a filter, ordered by label."""
    return sorted(((c, str(a.label)) for c, a in _actions.items()), key=lambda p: p[1])


def register_person_resolver(resolver: Callable[[Any], Any]) -> None:
    """Add a function that returns the person id an object concerns (or None)."""
    if resolver not in _person_resolvers:
        _person_resolvers.append(resolver)


def person_id_of(obj: Any) -> Any:
    """Return the id of the person the object concerns, asking each registered resolver."""
    for resolver in _person_resolvers:
        found = resolver(obj)
        if found is not None:
            return found
    return None


def register_citizen_id_finder(finder: Callable[[str], list[Any]]) -> None:
    """Add a function that returns the ids of the people holding a citizen ID number.

    The auditor's pages start from a citizen ID through it, without audit knowing people.
    """
    if finder not in _citizen_id_finders:
        _citizen_id_finders.append(finder)


def people_with_citizen_id(number: str) -> list[Any]:
    """Return the ids of the people holding this citizen ID, from every registered finder."""
    return [person_id for finder in _citizen_id_finders for person_id in finder(number)]


def register_organisation_namer(namer: Callable[[set[Any]], dict[Any, str]]) -> None:
    """Add a function that returns organisation names by id (for the auditor's exports)."""
    if namer not in _organisation_namers:
        _organisation_namers.append(namer)


def organisation_names(ids: set[Any]) -> dict[Any, str]:
    """Return the names of the organisations with these ids, as registered apps know them."""
    names: dict[Any, str] = {}
    for namer in _organisation_namers:
        names |= namer(ids - names.keys())
    return names


def register_organisation_list(lister: Callable[[], list[tuple[Any, str]]]) -> None:
    """Add a function that returns every organisation as (id, name), for the event filter."""
    if lister not in _organisation_lists:
        _organisation_lists.append(lister)


def organisation_choices() -> list[tuple[Any, str]]:
    """Return the organisations the auditor may filter events by, as registered apps list them."""
    return [choice for lister in _organisation_lists for choice in lister()]
