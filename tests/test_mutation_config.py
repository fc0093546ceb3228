"""The mutation run's copy of the tree holds every project app, so `make mutation` cannot rot.

mutmut runs the tests in a copy of the tree (`mutants/`) holding the mutated sources plus the
paths listed in `[tool.mutmut] also_copy`. When an app was added without being listed, the
copy failed to import it and the run stopped before its first mutant (issue 24). The list is
derived here from the installed apps and compared with the configuration.
"""

import fnmatch
import tomllib
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent


def _mutmut_config() -> dict[str, list[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    config: dict[str, list[str]] = data["tool"]["mutmut"]
    return config


def _project_packages() -> set[str]:
    """Top-level folders of the installed apps that live in this repository (tests excluded)."""
    packages = set()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if ROOT not in path.parents or "site-packages" in path.parts:
            continue  # a library, even one installed in the project's .venv
        top = path.relative_to(ROOT).parts[0]
        if top != "tests":
            packages.add(top)
    return packages


def test_every_project_app_is_copied_for_the_mutation_run() -> None:
    config = _mutmut_config()
    copied = {entry.rstrip("/") for entry in config["also_copy"]}
    copied |= {path.rstrip("/") for path in config["source_paths"]}
    missing = _project_packages() - copied
    assert not missing, f"add {sorted(missing)} to [tool.mutmut] also_copy in pyproject.toml"
    for needed in ("config", "templates", "static", "locale", "manage.py"):
        assert needed in copied, needed


def test_the_derivation_sees_the_apps() -> None:
    """The derived set is not trivially empty: it names the apps the project is built from."""
    assert {"cases", "audit", "accounts", "core", "services", "referrals"} <= _project_packages()


def test_the_smoke_run_mutates_a_function_that_exists() -> None:
    """The smoke run's default mutant name (``<module>.x_<function>__``) names a function of a
    module the run mutates, so moving the rule (cases/access/ split into a package, issue 24)
    cannot leave CI mutating nothing."""
    script = (ROOT / "scripts" / "mutation-smoke").read_text("utf-8")
    default = script.split('rule="${1:-', 1)[1].split("}", 1)[0]
    module, _, function = default.rstrip("_").rpartition(".x_")
    path = ROOT / (module.replace(".", "/") + ".py")
    assert path.is_file(), path
    relative = path.relative_to(ROOT).as_posix()
    patterns = _mutmut_config()["only_mutate"]
    assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative
    assert f"def {function}(" in path.read_text("utf-8"), function


def test_every_module_of_the_access_package_is_mutated() -> None:
    patterns = _mutmut_config()["only_mutate"]
    for path in sorted((ROOT / "cases" / "access").glob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative
