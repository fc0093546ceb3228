"""The apps' layer order is checked by import-linter, and an arrow back up fails it.

`make lint` runs `lint-imports` with the contracts in `pyproject.toml` ([tool.importlinter]):
each app imports only the apps below it (core < audit < accounts | calendar_days <
notifications < cases < services' own modules < reports < referrals | services.methadone |
documents, the
apps sharing a floor independent of each other), and inside services, methadone stands on
services' own modules, every one of which the second contract names (exhaustive). The
contracts ignore no import. These tests run the same command on a copy of the tree with one
planted import and see a contract break, so a contract that stopped checking anything would
turn them red.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(shutil.which("lint-imports") or ROOT / ".venv" / "bin" / "lint-imports")


def _packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    packages: list[str] = config["tool"]["importlinter"]["root_packages"]
    return packages


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (a fixed command on a copy the test made)
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree, capture_output=True, text=True, check=False,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project's packages (Python files only) and its configuration."""
    copy = tmp_path_factory.mktemp("layers")
    for package in _packages():
        shutil.copytree(
            ROOT / package,
            copy / package,
            ignore=lambda _d, names: [
                n for n in names if not n.endswith(".py") and not (Path(_d) / n).is_dir()
            ],
        )
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_the_tree_keeps_the_layers(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_the_contract_ignores_no_import() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    for contract in config["tool"]["importlinter"]["contracts"]:
        assert contract.get("ignore_imports", []) == [], contract["name"]


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("core", "cases.models"),  # the floor imports a domain app
        ("core", "audit.actions"),  # the floor records events
        ("audit", "accounts.events"),  # the audit trail names an app's event codes
        ("audit", "calendar_days.workdays"),  # the audit trail imports the calendar
        ("calendar_days", "accounts.models"),  # two independent apps on one floor
        ("accounts", "cases.resets"),  # accounts imports the app that owns staff
        ("audit", "referrals.models"),  # the audit trail imports a feature
        ("cases", "services.models"),  # people and cases import what hangs off them
        ("services.methadone", "referrals.models"),  # two independent apps on one floor
        ("cases", "documents.models"),  # cases imports a record type built on it
        ("referrals", "documents.models"),  # two independent apps on one floor
        ("services.models", "services.methadone.models"),  # services' own module, methadone
        ("services.instruments", "services.methadone.rules"),  # ... in a subpackage too
        ("services.models", "reports.registry"),  # services' own modules stand below reports
        ("reports", "services.methadone.indicators"),  # the registry imports a plug-in
        ("cases", "services.methadone.models"),  # people and cases import what hangs off them
    ],
)
def test_a_planted_arrow_back_up_breaks_the_contract(tree: Path, lower: str, higher: str) -> None:
    planted = tree / lower.replace(".", "/") / "_planted.py"
    planted.write_text(f"import {higher}  # planted by tests/test_layers.py\n")
    try:
        result = _lint(tree)
    finally:
        planted.unlink()
    assert result.returncode != 0
    assert f"{lower}._planted -> {higher}" in result.stdout, result.stdout


def test_a_module_of_services_named_in_no_layer_breaks_the_contract(tree: Path) -> None:
    """A new module of services must take its floor: below methadone with services' own
    modules (both contracts list them), or in methadone."""
    planted = tree / "services" / "_planted.py"
    planted.write_text("# planted by tests/test_layers.py\n")
    try:
        result = _lint(tree)
    finally:
        planted.unlink()
    assert result.returncode != 0
    assert "services._planted" in result.stdout, result.stdout


def test_both_contracts_name_the_same_modules_of_services() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    apps, inside = config["tool"]["importlinter"]["contracts"]
    services = next(layer for layer in apps["layers"] if layer.startswith("services.actions"))
    own = {name.strip().removeprefix("services.") for name in services.split(":")}
    assert own == {name.strip() for name in inside["layers"][1].split(":")}
    children = {
        path.stem if path.suffix == ".py" else path.name
        for path in (ROOT / "services").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    }
    assert own == children - {"methadone"}
