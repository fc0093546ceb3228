"""`make audit-deps` never reports a clean result for packages it could not check."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_deps", ROOT / "scripts/audit_deps.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _package(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "version": "1.0", "vulns": [], **fields}


def _skipped(name: str) -> dict[str, Any]:
    return {"name": name, "skip_reason": f"Dependency not found on PyPI: {name} (1.0)"}


def test_nothing_checked_is_not_a_clean_result() -> None:
    """ASVS 15.2.1: offline, pip-audit says "No known vulnerabilities found" having checked
    nothing; the target says it could not check and fails."""
    status, message = _script().summarise({"dependencies": [_skipped("django")], "fixes": []})
    assert status == 2
    assert "COULD NOT CHECK 1 of 1" in message
    assert "no known vulnerabilities" not in message.lower()


def test_partly_checked_is_not_a_clean_result() -> None:
    report = {"dependencies": [_package("django"), _skipped("segno")]}
    status, message = _script().summarise(report)
    assert status == 2
    assert "COULD NOT CHECK 1 of 2" in message
    assert "segno" in message


def test_an_empty_report_is_not_a_clean_result() -> None:
    status, message = _script().summarise({"dependencies": []})
    assert status == 2
    assert "COULD NOT CHECK" in message


def test_known_vulnerabilities_fail_with_their_ids() -> None:
    vuln = {"id": "PYSEC-2099-1", "fix_versions": ["1.1"]}
    report = {"dependencies": [_package("django", vulns=[vuln]), _skipped("segno")]}
    status, message = _script().summarise(report)
    assert status == 1
    assert "django 1.0: PYSEC-2099-1 (fix: 1.1)" in message
    assert "COULD NOT CHECK 1 of 2" in message


def test_everything_checked_and_clean_passes() -> None:
    status, message = _script().summarise({"dependencies": [_package("django")]})
    assert status == 0
    assert message == "Checked 1 locked packages: no known vulnerabilities."
