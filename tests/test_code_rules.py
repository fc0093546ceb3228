"""Rules over the code itself: people and cases are reached only through cases/access.py,
and the audit log is written only by access helpers and actions, never by views."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SENSITIVE = re.compile(
    r"\b(Person|Case|EmergencyAccess|CaseUserObjectPermission|PersonUserObjectPermission)"
    r"\.(objects|_default_manager|_base_manager|history)\b"
)
AUDIT_LOG = re.compile(r"\b(Event|Seal)\.(objects|_default_manager|_base_manager)\b")
# Only these files of audit/ read or write the log tables.
AUDIT_ALLOWED = {"models.py", "actions.py", "selectors.py", "chain.py"}
# Files allowed to touch the managers: the model layer, the entry point, reads and writes,
# the demo/rotation machinery, migrations and tests.
ALLOWED = {"models.py", "access.py", "actions.py", "selectors.py", "demo.py"}
SKIP_DIRS = {".venv", "migrations", "tests", "node_modules", ".git", "bench"}


def _app_sources() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.py")
        if not SKIP_DIRS.intersection(path.relative_to(ROOT).parts)
    ]


def test_no_direct_queries_of_people_or_cases_outside_the_entry_point() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _app_sources()
        if path.name not in ALLOWED
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if SENSITIVE.search(line)
    ]
    assert offenders == [], "query people/cases through cases/access.py:\n" + "\n".join(offenders)


def test_the_rule_does_catch_a_raw_query(tmp_path: Path) -> None:
    assert SENSITIVE.search("person = Person.objects.get(pk=person_id)")
    assert SENSITIVE.search("Case._default_manager.filter(x=1)")
    assert not SENSITIVE.search("access.visible_people(user)")


def test_every_view_module_goes_through_access() -> None:
    for views in ROOT.glob("*/views.py"):
        text = views.read_text()
        if "Person" in text or "Case" in text:
            assert "access." in text, f"{views} handles people/cases without cases.access"


def test_the_audit_log_is_reached_only_through_audit() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _app_sources()
        if not (path.parent.name == "audit" and path.name in AUDIT_ALLOWED)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if AUDIT_LOG.search(line)
    ]
    assert offenders == [], "\n".join(offenders)


def test_views_never_write_audit_events() -> None:
    """Events are recorded by access helpers and actions, inside their transaction."""
    for views in ROOT.glob("*/views.py"):
        text = views.read_text()
        assert ".record(" not in text and "audit.actions" not in text, views
