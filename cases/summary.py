"""The printable case summary (issue 28 item 6, decision D46): one page per case.

Everything on it comes from what the viewer may already see: who the person is only when
``access.identity_shown`` (a parts-limited receiver without "identity" sees the record
number, never a name), and the case's records through ``cases.timeline``, which reads only
the parts a referral shared. So every record type added through the recipe (a plan, a
screening, a treatment, a note) appears on it with no change here. Opening it is one read
event naming the person (``case_summary_read``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from audit import registry

from . import access, timeline
from .models import Case

SUMMARY_READ = registry.register(
    "case_summary_read", _("Opened a case summary for printing"), kind=registry.READ
)
# Each kind of record lists at most this many, newest first (a page, not the whole file).
ROWS_PER_KIND = 5


@dataclass(frozen=True)
class Group:
    kind: Any
    entries: list[timeline.Entry]
    more: int
    # The summary line of the record type: how many recorded, from when to when, and how
    # many planned (overdue among them); the five newest are listed in ``entries``.
    total: int = 0
    first: Any = None
    latest: Any = None
    planned: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class Summary:
    case: Case
    parts: access.Parts
    planned: list[timeline.Entry]
    groups: list[Group]


def case_summary(*, viewer: access.AnyUser, case_id: Any) -> Summary:
    """Return the summary of a case the viewer may see (one read event naming the person),
    else record the denial and answer 404."""
    rows = access.visible_cases(viewer).select_related(
        "person", "person__residence_commune", "organisation", "assigned_to"
    )
    case = access.get_for_user(viewer, Case, case_id, queryset=rows, read_action=SUMMARY_READ)
    happened, planned = timeline.split(timeline.for_case(viewer=viewer, case=case, limit=500))
    return Summary(
        case,
        access.parts_visible(viewer, case),
        planned[: ROWS_PER_KIND * 2],
        _groups(happened, planned),
    )


def _groups(happened: list[timeline.Entry], planned: list[timeline.Entry]) -> list[Group]:
    """Return one group per record type (of what happened, then of what is only planned),
    with its summary line and its newest rows."""
    by_kind: dict[str, list[timeline.Entry]] = {}
    kinds: dict[str, Any] = {}
    for entry in happened:  # newest first: the first of a kind is its latest
        by_kind.setdefault(str(entry.kind), []).append(entry)
        kinds.setdefault(str(entry.kind), entry.kind)
    coming: dict[str, list[timeline.Entry]] = {}
    for entry in planned:
        coming.setdefault(str(entry.kind), []).append(entry)
        kinds.setdefault(str(entry.kind), entry.kind)
        by_kind.setdefault(str(entry.kind), [])
    groups = []
    for key, entries in by_kind.items():
        ahead = coming.get(key, [])
        groups.append(
            Group(
                kinds[key],
                entries[:ROWS_PER_KIND],
                max(0, len(entries) - ROWS_PER_KIND),
                total=len(entries),
                first=entries[-1].on if entries else None,
                latest=entries[0].on if entries else None,
                planned=len(ahead),
                overdue=sum(1 for entry in ahead if entry.overdue),
            )
        )
    return groups
