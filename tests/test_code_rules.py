"""Rules over the code itself, checked on its syntax tree (module ``ast``).

1. Sensitive rows (people, cases, anything with an encrypted field or a foreign-key path to
   a person or a case, the grant tables, emergency accesses, and their history) are reached
   only from the modules allowed below, by exact path: through ``Model.objects`` and the
   other managers, ``.history``, an alias, ``apps.get_model(...)`` or a reverse relation
   (``organisation.cases.all()``). The list of models comes from the app registry, so a new
   app's models are covered the day they are installed.
2. The audit log's tables are reached only by the audit modules that own them.
3. View modules (any module that defines a view: a function taking ``request``, a class
   based on a ``View``, or any ``*views*.py`` / ``views/`` package) never write audit events,
   and a view module that handles people or cases goes through ``cases.access``.
4. Every action that saves a record with a ``version`` column goes through the shared save
   step (``audit.editing.save_edit``: validation, optimistic lock, history, event).
5. Every registered admin class writes (save, delete, bulk delete, admin actions, inlines)
   only through an action, or refuses that write.

6. No template reads a field that says who a person is (the person's encrypted fields: name,
   other names, citizen ID, old ID, date of birth, phone, address, family contact) as an
   attribute: templates show them through ``{% person_name %}`` / ``{% person_field %}``
   (``cases/templatetags/people.py``), which apply the parts rule for the page's viewer.

7. No module of an app imports, even in a function, a module of the same app that imports it
   back (a circle): each app's modules stand in layers (``referrals``: models < journey <
   workflow < selectors < notify < actions < views).

Each rule has a test that plants an offender in a code string and sees it caught.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models
from django.template.base import Lexer, TokenType

from cases.models import (
    Case,
    CaseUserObjectPermission,
    EmergencyAccess,
    Person,
    PersonUserObjectPermission,
)
from core.fields import EncryptedTextField

ROOT = Path(__file__).resolve().parent.parent
# Not application code: the environment, migrations (frozen history), tests and mutants.
SKIP_DIRS = {".venv", "migrations", "tests", "node_modules", ".git", "mutants"}

# Modules that may reach sensitive rows directly, by exact path, each with its reason.
CONTENT_ALLOWED: dict[str, str] = {
    # The one entry point that decides who sees what (the cases/access/ package).
    "cases/access/rules.py": "the roles' rules: the people and cases a user reaches",
    "cases/access/parts.py": "which parts of a case grants open, the identity rule",
    "cases/access/records.py": "the rows of any scoped model, and whose record one is",
    "cases/access/fetch.py": "fetch one row or deny; the live emergency access for the banner",
    "cases/access/figures.py": "the people and cases aggregate figures may count",
    "cases/access/lists.py": "which of a list's people are returned trafficking victims",
    "cases/access/emergency.py": "the emergency accesses a reviewer may review",
    "cases/selectors.py": "reads, on rows already scoped by cases.access",
    "cases/actions.py": "writes, after cases.access has fetched the row",
    "cases/roles.py": "grant_give/grant_end/grant_revoke write the grant tables",
    "cases/demo.py": "seeds the fictitious demo data",
    "cases/reorganise.py": "the change of map (reorganise_units, the system, no user): "
    "re-addresses the people and cases of the old units, with history rows, and counts them",
    "services/demo.py": "seeds the fictitious demo services data",
    "services/selectors.py": "timeline rows of the cases cases.timeline found visible",
    "audit/rotation.py": "re-encrypts every encrypted column in batches (key rotation)",
    "audit/backups.py": "the restore drill decrypts a sample of every encrypted column of a "
    "restored database, and counts its rows (D52)",
    "accounts/actions.py": "enrols and resets second-factor devices",
    "bench/data.py": "generates the benchmark's synthetic rows (never imported by the app)",
    "bench/scale_data.py": "generates the national-scale benchmark's rows (never imported)",
    "bench/scale.py": "measures the national-scale benchmark (never imported by the app)",
    "bench/figures.py": "measures the coverage figures at scale (never imported by the app)",
    "bench/grants_explain.py": "compares the grant reads with guardian's API by query plan "
    "(never imported by the app)",
    "audit/editing.py": "the shared save step locks and re-reads the row being edited, which "
    "the calling action fetched through cases.access",
    "core/editing.py": "rebuilds a refused edit form from the record's history row at the "
    "version it was opened at (the view fetched the record through cases.access)",
    "audit/append_only.py": "counts history rows for the checkpoints (never their content)",
    "cases/dues.py": "keeps each case's next due date from the due records apps register",
    "cases/family.py": "a person's family links, read from both ends, for a person fetched "
    "through cases.access (the other ends then filtered by access.visible_people), and the "
    "link's write",
    "cases/access/closures.py": "the closing requests a supervisor may decide (D45)",
    "cases/closure.py": "closing and re-opening: the case's pending request and its status "
    "change, on a case fetched through cases.access (D45)",
    "cases/moves.py": "a person's move and its hand-over (D50): the person fetched through "
    "cases.access to record it; on acceptance by the new commune's officer, the person, the "
    "old commune's open cases and open items written through the shared save step",
    "cases/residence.py": "the residence history of a person being saved by a person action "
    "or a move, and its rows for a person fetched through cases.access",
    "cases/records.py": "the recipe's timeline source reads a registered record type's rows "
    "of the cases cases.timeline found visible (so the record's own app needs no entry)",
    "services/actions.py": "writes, after cases.access has fetched the case: a period's "
    "check-ins, and the rules that span rows (one open period, no overlapping shelter stays)",
    "services/models/episodes.py": "the treatment rules read the person's other facility "
    "episodes and the episode's stages (dates only), whoever recorded them",
    "referrals/actions.py": "the workflow locks a referral the user plays a part in (sender, "
    "supervisor, receiver) and writes its steps and the accesses it gives",
    "referrals/journey.py": "the workflow's facts: a referral's steps and open receiver "
    "accesses (ids only)",
    "referrals/sharing.py": "the parts a user's live referral accesses open, and the timeline "
    "rows of the cases cases.timeline found visible",
    "referrals/selectors.py": "reads, on rows scoped by cases.access, and the referrals "
    "sent to the reader's organisation (the receiver's queue)",
    "referrals/figures.py": "aggregate counts over the cases cases.access.figures_cases allows",
    "referrals/demo.py": "seeds the fictitious demo referrals",
    "services/methadone/selectors.py": "reads of prescriptions and doses of episodes already "
    "fetched through cases.access (the clinic's list is access.visible on the episodes)",
    "services/methadone/actions.py": "writes, after cases.access has fetched the episode or "
    "dose; the rules read the episode's earlier prescriptions",
    "services/methadone/demo.py": "seeds the fictitious demo methadone patients and doses",
    "bench/methadone.py": "generates and measures the methadone benchmark (never imported)",
    "bench/sync.py": "measures the API's sync over the change feed (never imported by the app)",
    "bench/load.py": "prepares the load test's work lists from its generated rows (never "
    "imported by the app)",
    "services/methadone/figures.py": "aggregates over the episodes cases.access scoped "
    "(get_for_user, visible) and their dose rows",
    "reports/indicators/engine.py": "the people behind an indicator's cell, as a queryset the "
    "caller narrows with cases.access (people of the communes the caller asked for)",
    "reports/oldmap.py": "the commune each person of the communes the caller asked for is "
    "counted in on the old map (ids only, for aggregate counts; D57)",
    "reports/indicators/definitions.py": "aggregate counts of people in the communes the "
    "caller asked for (the dashboard asks only for communes cases.access.figures_unit allows)",
    "services/methadone/indicators.py": "aggregate counts of methadone patients and their "
    "dose rows in the communes the caller asked for (the figures registry's contract)",
    "referrals/indicators.py": "aggregate counts of referrals in the communes the caller asked "
    "for (the figures registry's contract)",
    "facilities/occupancy.py": "counts of people staying at facilities (residential episodes "
    "and shelter stays by facility), never a person: occupancy figures (D49)",
    "facilities/demo.py": "seeds the fictitious demo facilities and a few shelter stays",
    "facilities/selectors.py": "the facility profile's own history rows (no person: the rule "
    "matches the `.history` name) and the occupancy counts of facilities.occupancy",
    "reports/files.py": "figures report files built in the background: each read narrowed to "
    "its requester (file_for denies any other user), written by the requester's actions and "
    "the worker's task",
    "registers/selectors.py": "the reader's own import rows (created_by is the reader)",
    "registers/actions.py": "an import's own row (its importer, status, progress and encrypted "
    "report); the records themselves are written through the apps' actions",
    "registers/bulk.py": "the import's batched writes: who already holds a citizen ID number, "
    "across scopes, only to refuse a duplicate (as cases.selectors.citizen_id_holder); the "
    "rows are reached through cases.access.visible",
    "registers/bulk_records.py": "the import's batched treatment records: the episodes it "
    "reaches are fetched through the methadone clinic's scope (selectors.clinic_episodes) "
    "first; then their orders and doses by those ids, and the day's doses inserted",
    "registers/export_jobs.py": "a queued export's own row (its data key is encrypted), "
    "narrowed to its requester (export_for_user denies anyone else)",
    "registers/tasks.py": "the data key of the import the worker runs",
    "registers/uploads.py": "the importer's own import row, locked to run it again",
    # Programme records (D48) hang off a unit, not a case: scoped by the reader's unit.
    "programme/selectors.py": "volunteers, attendances and activities of the reader's unit "
    "subtree (programme.view / programme.change), a denial for any other",
    "programme/actions.py": "an attendance removed after programme.selectors fetched it in "
    "the actor's area",
    "programme/indicators.py": "aggregate counts of courses, attendances, volunteers and "
    "activities in the units the caller asked for (no name is read)",
    "programme/demo.py": "seeds the fictitious demo courses, volunteers and activities",
    "documents/actions.py": "locks a document fetched through cases.access to withdraw or "
    "replace it, and the system's re-encryption of each document's file (D55)",
    "documents/selectors.py": "the ids of the documents the re-encryption command seals again "
    "(the system, no user; D55)",
    "exchange/actions.py": "the exchange import (D60): the received records of cases it "
    "opened or fetched through cases.access; a document's fields named like relations",
}
# Only these modules of audit/ read or write the log's tables.
AUDIT_ALLOWED: dict[str, str] = {
    "audit/selectors.py": "the auditor's reads",
    "audit/chain.py": "the hash chain's head and verification",
    "bench/audit.py": "times the chain on synthetic events (never imported by the app)",
    "bench/load.py": "counts the events a load test wrote and how long they waited for their "
    "link (never imported by the app)",
    "bench/audit_concurrency.py": "counts the events and links of its concurrent writers "
    "(never imported by the app)",
}
MANAGERS = {"objects", "_default_manager", "_base_manager", "history"}
GENERIC_MANAGERS = {"_default_manager", "_base_manager"}


@dataclass(frozen=True)
class Rule:
    """Models whose rows only the allowed modules may reach."""

    name: str
    models: frozenset[type[models.Model]]
    allowed: dict[str, str]
    # Also flag ``model._default_manager`` on a model held in a variable (generic code).
    generic: bool = False
    class_names: frozenset[str] = field(init=False)
    labels: frozenset[str] = field(init=False)
    reverse_names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "class_names", frozenset(m.__name__ for m in self.models))
        object.__setattr__(self, "labels", frozenset(m._meta.label_lower for m in self.models))
        object.__setattr__(self, "reverse_names", reverse_accessors(self.models))


# ---------------------------------------------------------------------------------------
# The sensitive models, from the app registry


def _relations(model: type[models.Model]) -> Iterator[models.Field]:  # type: ignore[type-arg]
    """Yield the model's own (forward) relation fields."""
    for f in model._meta.get_fields():
        if isinstance(f, models.Field) and f.is_relation and not f.auto_created:
            yield f


def _has_encrypted_field(model: type[models.Model]) -> bool:
    return any(isinstance(f, EncryptedTextField) for f in model._meta.concrete_fields)


def sensitive_models() -> frozenset[type[models.Model]]:
    """Return every model holding an encrypted field or a foreign-key path to a person or
    a case, the grant tables and emergency accesses, history models included."""
    found: set[type[models.Model]] = {
        Person,
        Case,
        CaseUserObjectPermission,
        PersonUserObjectPermission,
        EmergencyAccess,
    }
    found |= {m for m in apps.get_models() if _has_encrypted_field(m)}
    grown = True
    while grown:  # close over foreign-key paths: a dose -> an episode -> a case
        reaching = {
            m
            for m in apps.get_models()
            if m not in found and any(f.related_model in found for f in _relations(m))
        }
        found |= reaching
        grown = bool(reaching)
    return frozenset(found)


def reverse_accessors(targets: Iterable[type[models.Model]]) -> frozenset[str]:
    """Return the names by which other objects reach these models' rows (``related_name``
    or the default ``<model>_set``), and their history managers' names."""
    names: set[str] = set()
    for model in targets:
        history = getattr(model._meta, "simple_history_manager_attribute", None)
        if history:
            names.add(history)
        for f in _relations(model):
            remote = f.remote_field
            if remote is not None and not remote.hidden:
                accessor = remote.get_accessor_name()
                if accessor:
                    names.add(accessor)
    return frozenset(names)


def content_rule() -> Rule:
    audit_models = set(apps.get_app_config("audit").get_models())
    return Rule("case content", sensitive_models() - audit_models, CONTENT_ALLOWED, generic=True)


def audit_rule() -> Rule:
    return Rule("audit log", frozenset(apps.get_app_config("audit").get_models()), AUDIT_ALLOWED)


# ---------------------------------------------------------------------------------------
# The scanner


def _constant_strings(call: ast.Call) -> list[str]:
    values = [*call.args, *(k.value for k in call.keywords)]
    return [v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)]


def _names_model(call: ast.Call, rule: Rule) -> bool:
    """Return whether the call is ``apps.get_model(...)`` naming one of the rule's models."""
    func = call.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if called != "get_model":
        return False
    parts = _constant_strings(call)
    label = ".".join(parts[:2]) if len(parts) >= 2 else (parts[0] if parts else "")
    return label.lower() in rule.labels


class _Scan(ast.NodeVisitor):
    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.aliases: set[str] = set()  # names bound to a model class
        self.collections: set[str] = set()  # names bound to a dict/tuple/list of models
        self.hits: list[tuple[int, str]] = []

    def is_model(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.rule.class_names or node.id in self.aliases
        if isinstance(node, ast.Attribute):  # cases.models.Person
            return node.attr in self.rule.class_names
        if isinstance(node, ast.Subscript):  # TABLES[type(obj)]
            return self.is_collection(node.value)
        return isinstance(node, ast.Call) and _names_model(node, self.rule)

    def is_collection(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.collections
        if isinstance(node, ast.Dict):
            return any(self.is_model(v) for v in [*node.keys, *node.values] if v is not None)
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return any(self.is_model(e) for e in node.elts)
        return False

    def _bind(self, target: ast.AST, value: ast.AST) -> None:
        if not isinstance(target, ast.Name):
            return
        if self.is_model(value):
            self.aliases.add(target.id)
        elif self.is_collection(value):
            self.collections.add(target.id)

    def collect_aliases(self, tree: ast.AST) -> None:
        """Find every name bound to a model or to a collection of models: ``import ... as
        P``, ``P = Person``, ``TABLES = {Person: ...}``, ``for model in (Person, Case)``."""
        grown = True
        while grown:
            before = len(self.aliases) + len(self.collections)
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom):
                    self.aliases |= {
                        a.asname for a in node.names if a.asname and a.name in self.rule.class_names
                    }
                elif isinstance(node, ast.Assign):
                    for target in node.targets:
                        self._bind(target, node.value)
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    self._bind(node.target, node.value)
                elif isinstance(node, ast.For | ast.comprehension) and self.is_collection(
                    node.iter
                ):
                    self._bind(node.target, ast.Subscript(value=node.iter, slice=ast.Constant(0)))
            grown = len(self.aliases) + len(self.collections) > before

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in MANAGERS and self.is_model(node.value):
            self.hits.append((node.lineno, f".{node.attr} of a sensitive model"))
        elif (
            self.rule.generic
            and node.attr in GENERIC_MANAGERS
            and not (isinstance(node.value, ast.Name) and node.value.id[:1].isupper())
        ):
            # model._default_manager: generic code that may reach any model, sensitive too.
            self.hits.append((node.lineno, f".{node.attr} of a model held in a variable"))
        elif node.attr in self.rule.reverse_names:
            self.hits.append((node.lineno, f"reverse relation .{node.attr}"))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if _names_model(node, self.rule):
            self.hits.append((node.lineno, "apps.get_model of a sensitive model"))
        elif (
            isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and self.is_model(node.args[0])
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in MANAGERS
        ):
            self.hits.append((node.lineno, "getattr of a sensitive model's manager"))
        self.generic_visit(node)


def scan(source: str, path: str, rule: Rule) -> list[str]:
    """Return the places where the module at ``path`` reaches the rule's models, unless the
    path is allowed."""
    if path in rule.allowed:
        return []
    tree = ast.parse(source, filename=path)
    scanner = _Scan(rule)
    scanner.collect_aliases(tree)
    scanner.visit(tree)
    lines = source.splitlines()
    return [f"{path}:{n}: {what}: {lines[n - 1].strip()}" for n, what in sorted(scanner.hits)]


def app_sources() -> dict[str, str]:
    """Return every application module's source by its path from the repository root."""
    return {
        path.relative_to(ROOT).as_posix(): path.read_text()
        for path in sorted(ROOT.rglob("*.py"))
        if not SKIP_DIRS.intersection(path.relative_to(ROOT).parts)
    }


def _is_view_class(node: ast.ClassDef) -> bool:
    bases = {b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases}
    return any(name == "View" or name.endswith("View") for name in bases)


VIEW_DECORATORS = ("require_", "login_required", "permission_required", "csrf_", "never_cache")


def _is_view_function(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function taking ``request`` first that answers a response, or is decorated as a
    view (``require_POST``, ``login_required``, ...): not a helper that merely reads the
    request (a context processor, ``client_ip``) or a role change request's text."""
    arguments = [*node.args.posonlyargs, *node.args.args]
    if not arguments or arguments[0].arg != "request":
        return False
    returns = ast.unparse(node.returns) if node.returns is not None else ""
    decorators = [ast.unparse(d) for d in node.decorator_list]
    return "Response" in returns or any(
        word in decorator for decorator in decorators for word in VIEW_DECORATORS
    )


def is_view_module(path: str, source: str = "") -> bool:
    """Return whether the module defines views: its name says so (``views.py``,
    ``figure_views.py``, a ``views/`` package), or a top-level function takes ``request``
    first and answers a response (or is decorated as a view), or a class is based on a
    ``View``."""
    parts = path.split("/")
    if "views" in parts[-1].removesuffix(".py").split("_") or "views" in parts[:-1]:
        return True
    if not source:
        return False
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _is_view_function(node):
            return True
        if isinstance(node, ast.ClassDef) and _is_view_class(node):
            return True
    return False


# ---------------------------------------------------------------------------------------
# The rules on the real tree


def test_the_registry_finds_the_sensitive_models() -> None:
    """The list is built, not typed: it holds what an encrypted field or a path implies."""
    rule = content_rule()
    labels = rule.labels
    for label in (
        "cases.person",
        "cases.case",
        "cases.historicalperson",
        "cases.historicalcase",
        "cases.emergencyaccess",
        "cases.caseuserobjectpermission",
        "cases.personuserobjectpermission",
        "accounts.totpdevice",
        "exampleapp.casenote",
        "exampleapp.historicalcasenote",
    ):
        assert label in labels, label
    assert "cases.organisation" not in labels and "accounts.user" not in labels
    assert {"cases", "assigned_cases", "residents", "example_notes"} <= rule.reverse_names


def test_sensitive_rows_are_reached_only_through_the_allowed_modules() -> None:
    rule = content_rule()
    offenders = [hit for path, text in app_sources().items() for hit in scan(text, path, rule)]
    assert offenders == [], "reach people/cases through cases.access:\n" + "\n".join(offenders)


def test_the_audit_log_is_reached_only_through_audit() -> None:
    rule = audit_rule()
    offenders = [hit for path, text in app_sources().items() for hit in scan(text, path, rule)]
    assert offenders == [], "\n".join(offenders)


@pytest.mark.parametrize("rule", [content_rule, audit_rule], ids=["content", "audit"])
def test_every_allowed_module_needs_its_entry(rule: Callable[[], Rule]) -> None:
    """An entry for a file that is gone, or no longer reaches the rows, would silently allow
    whatever is written there next."""
    chosen = rule()
    sources = app_sources()
    unneeded = [
        path
        for path in chosen.allowed
        if path not in sources or not scan(sources[path], "(unlisted)", chosen)
    ]
    assert unneeded == [], "drop these entries from the allow-list"


def _imports_audit_actions(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (
            node.module == "audit.actions"
            or (node.module == "audit" and any(a.name == "actions" for a in node.names))
        ):
            return True
        if isinstance(node, ast.Import) and any(a.name == "audit.actions" for a in node.names):
            return True
    return False


def view_writes_audit(source: str) -> bool:
    """Return whether a view module imports the audit writer or calls ``record``."""
    tree = ast.parse(source)
    calls = (n.func for n in ast.walk(tree) if isinstance(n, ast.Call))
    records = any(
        (isinstance(f, ast.Attribute) and f.attr == "record")
        or (isinstance(f, ast.Name) and f.id == "record")
        for f in calls
    )
    return records or _imports_audit_actions(tree)


def test_views_never_write_audit_events() -> None:
    """Events are recorded by access helpers and actions, inside their transaction."""
    offenders = [
        path
        for path, text in app_sources().items()
        if is_view_module(path, text) and view_writes_audit(text)
    ]
    assert offenders == []


# Selectors read and actions write (issue 24): the one audit write a selectors module may make
# is ``audit.reads.record_read``, which records a read, a list, a lookup or a denial and
# refuses any other kind of event.
AUDIT_WRITERS = {"audit.actions", "audit.append_only", "audit.chain", "audit.editing"}


def is_selectors_module(path: str) -> bool:
    parts = path.split("/")
    return parts[-1] == "selectors.py" or "selectors" in parts[:-1]


def selector_writes_audit(source: str) -> list[str]:
    """Return the audit writes of a selectors module other than the named read logger."""
    offenders = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "record":
                offenders.append(f"{name}:{node.lineno}")
        elif isinstance(node, ast.ImportFrom):
            modules = {node.module or ""} | {f"{node.module}.{a.name}" for a in node.names}
            if modules & AUDIT_WRITERS:
                offenders.append(f"import {node.module}:{node.lineno}")
        elif isinstance(node, ast.Import) and {a.name for a in node.names} & AUDIT_WRITERS:
            offenders.append(f"import:{node.lineno}")
    return offenders


def test_selectors_record_only_reads() -> None:
    """A selector's only audit write is ``record_read`` (a read, list, lookup or denial)."""
    selectors = {p: t for p, t in app_sources().items() if is_selectors_module(p)}
    assert {"cases/selectors.py", "audit/selectors.py"} <= set(selectors)
    offenders = [
        f"{path}: {hit}" for path, text in selectors.items() for hit in selector_writes_audit(text)
    ]
    assert offenders == [], "record a write from an action; a read through record_read"


@pytest.mark.parametrize(
    "source",
    [
        "from audit import actions as audit\ndef f(*, viewer):\n    audit.record(actor=viewer)",
        "from audit.actions import record\ndef f(*, viewer):\n    record(actor=viewer)",
        "def f(*, viewer):\n    from audit import actions\n    actions.record(actor=viewer)",
        "import audit.chain",
        "from audit.editing import save_edit",
        "from audit import append_only\nappend_only.history_checkpoint(by='x')",
        "def f(*, viewer):\n    events.record(actor=viewer, action='person_read')",
    ],
)
def test_the_selector_audit_rule_catches_a_planted_offender(source: str) -> None:
    assert selector_writes_audit(source) != []


def test_the_selector_audit_rule_lets_record_read_pass() -> None:
    source = (
        "from audit.reads import record_read\n"
        "def case_list_for(*, viewer):\n    record_read(actor=viewer, action='case_list')\n"
        "def f(*, viewer):\n    from audit import reads\n    reads.record_read(actor=viewer)"
    )
    assert selector_writes_audit(source) == []
    assert is_selectors_module("services/selectors/records.py")
    assert not is_selectors_module("cases/actions.py")


def view_skips_access(source: str) -> bool:
    """Return whether a view module names Person or Case without importing cases.access."""
    tree = ast.parse(source)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported |= {f"{node.module or ''}.{a.name}".lstrip(".") for a in node.names}
        elif isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
    uses_access = any(i in {"cases.access", "access"} or i.endswith(".access") for i in imported)
    return bool(names & {"Person", "Case"}) and not uses_access


def test_every_view_module_goes_through_access() -> None:
    offenders = [
        path
        for path, text in app_sources().items()
        if is_view_module(path, text) and view_skips_access(text)
    ]
    assert offenders == [], "these views handle people/cases without cases.access"


# ---------------------------------------------------------------------------------------
# Each rule catches a planted offender


@pytest.mark.parametrize(
    "source",
    [
        "person = Person.objects.get(pk=person_id)",
        "Case._default_manager.filter(x=1)",
        "Case._base_manager.all()",
        "Person.history.all()",
        "HistoricalPerson.objects.all()",
        "CaseUserObjectPermission.objects.create(user=u)",
        "EmergencyAccess.objects.all()",
        "from tests.exampleapp.models import CaseNote\nCaseNote.objects.all()",
        "import cases.models\ncases.models.Person.objects.all()",
        "P = Person\nP.objects.all()",
        "P = Person\nQ = P\nQ._default_manager.all()",
        "from cases.models import Person as Client\nClient.objects.all()",
        'apps.get_model("cases", "Person").objects.all()',
        'model = apps.get_model("cases.Case")',
        'getattr(Person, "objects").all()',
        "organisation.cases.all()",
        "TABLES = {Person: PersonUserObjectPermission}\ntable = TABLES[type(o)]\ntable.objects",
        "for model in (Person, Case):\n    model.objects.all()",
        "model._default_manager.filter(pk=pk)",
        "type(obj)._base_manager.all()",
        "person.cases.first()",
        "user.assigned_cases.all()",
        "unit.residents.count()",
        "case.example_notes.all()",
        "person.history.all()",
    ],
)
def test_the_content_rule_catches_a_planted_offender(source: str) -> None:
    assert scan(source, "cases/views/people.py", content_rule()) != []


@pytest.mark.parametrize(
    "source",
    [
        "people = access.visible_people(user)",
        "note = access.get_for_user(user, CaseNote, pk)",
        "Organisation.objects.filter(is_active=True)",
        "AdministrativeUnit.objects.all()",
        'apps.get_model("cases", "Organisation").objects.all()',
    ],
)
def test_the_content_rule_lets_scoped_and_directory_reads_pass(source: str) -> None:
    assert scan(source, "cases/views/people.py", content_rule()) == []


def test_the_allow_list_is_by_exact_path() -> None:
    rule = content_rule()
    source = "Person.objects.all()"
    assert scan(source, "cases/access/rules.py", rule) == []
    # The same file name elsewhere, a module of the package not listed, or a views package,
    # is not allowed.
    assert scan(source, "reports/access/rules.py", rule) != []
    assert scan(source, "cases/access/new.py", rule) != []
    assert scan(source, "cases/access.py", rule) != []
    assert scan(source, "cases/views/access.py", rule) != []


@pytest.mark.parametrize(
    "source",
    ["Event.objects.filter(actor=u)", "Seal._default_manager.all()", "e = Event\ne.objects"],
)
def test_the_audit_rule_catches_a_planted_offender(source: str) -> None:
    rule = audit_rule()
    assert scan(source, "cases/views.py", rule) != []
    assert scan(source, "audit/views.py", rule) != []
    assert scan(source, "audit/selectors.py", rule) == []


@pytest.mark.parametrize(
    "source",
    [
        "from audit import actions as audit\naudit.record(actor=u, action='x')",
        "from audit.actions import record\nrecord(actor=u, action='x')",
        "import audit.actions",
    ],
)
def test_the_view_audit_rule_catches_a_planted_offender(source: str) -> None:
    assert view_writes_audit(source)
    assert not view_writes_audit("from cases import access\naccess.get_person_for_user(u, pk)")
    assert is_view_module("cases/views/people.py") and is_view_module("cases/views.py")
    assert not is_view_module("cases/selectors.py")


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("services/methadone/figure_views.py", ""),
        ("reports/dashboard_views.py", ""),
        ("reports/pages.py", "def dashboard(request, unit) -> HttpResponse:\n    return x"),
        ("reports/pages.py", "@require_GET\ndef dashboard(request, unit_id):\n    return x"),
        ("reports/pages.py", "async def feed(request: HttpRequest) -> StreamingHttpResponse: ..."),
        ("reports/pages.py", "class Export(View):\n    pass"),
        ("reports/pages.py", "class Export(generic.TemplateView):\n    pass"),
    ],
)
def test_a_views_module_of_a_new_name_is_a_view_module(path: str, source: str) -> None:
    """The audit and access rules for views reach every module that defines a view."""
    offender = source + "\nfrom audit import actions as audit\naudit.record(actor=u, action='x')"
    assert is_view_module(path, source)
    offenders = [p for p, text in {path: offender}.items() if is_view_module(p, text)]
    assert offenders == [path] and view_writes_audit(offender)


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("reports/indicators.py", "def count(*, viewer, request_id):\n    return 1"),
        ("reports/actions.py", "class Plan(models.Model):\n    pass"),
        ("reports/reviews.py", "def review(self, request):\n    pass"),
        ("reports/context.py", "def menu(request: HttpRequest) -> dict[str, object]: ..."),
        ("reports/plans.py", "def _text(request: PlanChangeRequest) -> str: ..."),
    ],
)
def test_a_module_without_views_is_not_a_view_module(path: str, source: str) -> None:
    assert not is_view_module(path, source)


def test_the_named_view_modules_are_found() -> None:
    """Every module the names mark as views is found, and figure_views.py among them."""
    found = {path for path, text in app_sources().items() if is_view_module(path, text)}
    assert "services/methadone/figure_views.py" in found
    assert {"cases/views.py", "referrals/views.py", "core/views.py"} <= found
    assert "cases/selectors.py" not in found and "cases/access/fetch.py" not in found


def test_the_view_access_rule_catches_a_planted_offender() -> None:
    assert view_skips_access("from cases.models import Person\ndef v(r): return Person()")
    assert not view_skips_access(
        "from cases import access\nfrom cases.models import Person\nx = Person"
    )


# ---------------------------------------------------------------------------------------
# The shared save step


def _annotation_names(node: ast.AST | None) -> set[str]:
    """Return the class names an annotation mentions (``Person | None``, ``"Case"``)."""
    if node is None:
        return set()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _annotation_names(ast.parse(node.value, mode="eval").body)
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }


# Fetch helpers whose result is a row of a known model.
FETCHERS = {"get_person_for_user": "Person", "get_case_for_user": "Case"}


def _built_model(value: ast.AST, versioned: set[str]) -> bool:
    """Return whether an assigned value is an instance of a versioned model."""
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if called in versioned or FETCHERS.get(called) in versioned:
        return True
    if called == "get_for_user" and len(value.args) >= 2:  # get_for_user(user, Model, pk)
        return bool(_annotation_names(value.args[1]) & versioned)
    return False


def direct_edit_saves(source: str, versioned: set[str]) -> list[str]:
    """Return the functions that call ``.save()`` on an instance of a versioned model
    instead of handing it to ``save_edit``."""
    offenders = []
    for func in ast.walk(ast.parse(source)):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        types = set(versioned)
        for param in func.type_params:  # def f[T: (Person, Case)](instance: T)
            if isinstance(param, ast.TypeVar) and _annotation_names(param.bound) & versioned:
                types.add(param.name)
        args = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
        instances = {a.arg for a in args if _annotation_names(a.annotation) & types}
        for node in ast.walk(func):
            if isinstance(node, ast.Assign) and _built_model(node.value, versioned):
                instances |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(func):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "save"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in instances
            ):
                offenders.append(f"{func.name}:{node.lineno}")
    return offenders


def _versioned_models() -> set[str]:
    return {
        m.__name__
        for m in apps.get_models()
        if any(f.name == "version" for f in m._meta.concrete_fields)
        and not m.__name__.startswith("Historical")
    }


def test_every_edit_action_goes_through_the_shared_save_step() -> None:
    editing = ROOT / "audit" / "editing.py"
    assert editing.is_file() and "def save_edit" in editing.read_text()
    versioned = _versioned_models()
    assert {"Person", "Case"} <= versioned
    offenders = [
        f"{path}:{hit}"
        for path, text in app_sources().items()
        if path.endswith("/actions.py") or path.split("/")[-2:-1] == ["actions"]
        for hit in direct_edit_saves(text, versioned)
    ]
    assert offenders == [], "save versioned records through audit.editing.save_edit"


@pytest.mark.parametrize(
    "source",
    [
        "def person_change(*, actor, person: Person, data):\n"
        "    person.phone = data.phone\n    person.save()",
        "def case_change(*, actor, case: 'Case | None'):\n    case.save(update_fields=['x'])",
        "def person_register(*, actor):\n    p = Person(full_name='x')\n    p.save()",
        "def f(*, actor, pk):\n    c = access.get_case_for_user(actor, pk, 'change')\n    c.save()",
        "def f(*, actor, i):\n    c = access.get_for_user(actor, Case, i, 'change')\n    c.save()",
        "def _save[T: (Person, Case)](actor, instance: T):\n    instance.save()",
    ],
)
def test_the_save_step_rule_catches_a_planted_offender(source: str) -> None:
    assert direct_edit_saves(source, {"Person", "Case"}) != []


def test_the_save_step_rule_lets_save_edit_pass() -> None:
    source = (
        "def person_change(*, actor, person: Person, data, version: int):\n"
        "    person.phone = data.phone\n"
        "    save_edit(actor=actor, instance=person, version=version, action='x')\n"
        "def unit_rename(*, actor, unit: AdministrativeUnit):\n    unit.save()"
    )
    assert direct_edit_saves(source, {"Person", "Case"}) == []


# ---------------------------------------------------------------------------------------
# The admin writes only through actions (issue 22): a registered ModelAdmin either refuses
# a kind of write (its ``has_*_permission`` returns False) or hands it to an action, which
# checks permission, writes history and records the event. Django's defaults would save
# and delete with only the admin's own log entry.

# Modules whose functions are actions, by the last part of their dotted name.
ACTION_MODULES: dict[str, str] = {
    "actions": "each app's writes (the house style)",
    "roles": "cases.roles: staff profiles, role changes and grants",
    "directory": "cases.directory: units, organisations and organisation types",
    "holidays": "calendar_days.holidays: public holidays",
    "resets": "cases.resets: another person's password or second factor, by a second person",
}


def _action_names(tree: ast.AST) -> tuple[set[str], set[str]]:
    """Return the names bound to action modules, and to functions imported from them."""
    modules: set[str] = set()
    functions: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            last = (node.module or "").split(".")[-1]
            for alias in node.names:
                if alias.name in ACTION_MODULES:
                    modules.add(alias.asname or alias.name)
                elif last in ACTION_MODULES:
                    functions.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[-1] in ACTION_MODULES:
                    modules.add(alias.asname or alias.name)
    return modules, functions


Method = ast.FunctionDef | ast.AsyncFunctionDef
# Writes an admin method makes itself: a row's or a queryset's, or Django's default one.
DIRECT_WRITES = {
    "save",
    "delete",
    "update",
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
}
SUPER_WRITES = {"save_model", "delete_model", "delete_queryset", "save_formset", "save_related"}


@dataclass(frozen=True)
class _AdminScan:
    modules: set[str]
    functions: set[str]
    methods: dict[str, Method]

    def calls_action(self, func: Method, seen: frozenset[str] = frozenset()) -> bool:
        """Return whether the function calls an action, itself or through ``self.<method>``."""
        for node in ast.walk(func):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Name) and f.id in self.functions:
                return True
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                if f.value.id in self.modules:
                    return True
                name = f.attr
                own = f.value.id == "self" and name in self.methods and name not in seen
                if own and self.calls_action(self.methods[name], seen | {name}):
                    return True
        return False

    def writes_directly(self, func: Method) -> bool:
        """Return whether the function saves or deletes rows itself (or through Django's
        default ``super().save_model``), whatever action it also calls."""
        for node in ast.walk(func):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            owner, name = node.func.value, node.func.attr
            is_super = isinstance(owner, ast.Call) and getattr(owner.func, "id", "") == "super"
            if is_super and name in SUPER_WRITES:
                return True
            if name in DIRECT_WRITES and not (
                isinstance(owner, ast.Name) and owner.id in self.modules
            ):
                return True
        return False

    def through_action(self, func: Method, name: str) -> bool:
        return self.calls_action(func, frozenset({name})) and not self.writes_directly(func)

    def refuses(self, name: str) -> bool:
        """Return whether the method exists and only ever returns False."""
        func = self.methods.get(name)
        if func is None:
            return False
        returns = [n for n in ast.walk(func) if isinstance(n, ast.Return)]
        return bool(returns) and all(
            isinstance(r.value, ast.Constant) and r.value.value is False for r in returns
        )

    def writes_through_action(self, name: str) -> bool:
        func = self.methods.get(name)
        return func is not None and self.through_action(func, name)


def _base_names(cls: ast.ClassDef) -> list[str]:
    return [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in cls.bases]


def _is_admin_action(func: Method) -> bool:
    return any(
        (isinstance(d, ast.Call) and getattr(d.func, "attr", getattr(d.func, "id", "")) == "action")
        or getattr(d, "attr", None) == "action"
        for d in func.decorator_list
    )


def _assigns_nonempty(cls: ast.ClassDef, name: str) -> bool:
    for node in cls.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        value = getattr(node, "value", None)
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return not (
                value is None
                or (isinstance(value, ast.Constant) and not value.value)
                or (isinstance(value, ast.List | ast.Tuple) and not value.elts)
            )
    return False


def admin_writes_without_action(source: str) -> list[str]:
    """Return the registered admin classes (and bare registrations) that write without an
    action: a save, delete, bulk action or inline they neither refuse nor hand to one."""
    tree = ast.parse(source)
    modules, functions = _action_names(tree)
    classes = {c.name: c for c in ast.walk(tree) if isinstance(c, ast.ClassDef)}
    registered: set[str] = set()
    offenders: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(
            isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "register"
            for d in node.decorator_list
        ):
            registered.add(node.name)
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", "") == "register"
            and isinstance(node.func, ast.Attribute)
            and getattr(node.func.value, "attr", "") == "site"
        ):
            if len(node.args) < 2:
                offenders.append(f"line {node.lineno}: registered with Django's default admin")
            elif isinstance(node.args[1], ast.Name):
                registered.add(node.args[1].id)

    def methods_of(cls: ast.ClassDef) -> dict[str, Method]:
        found: dict[str, Method] = {}
        for base in _base_names(cls):  # a base class of the same module, e.g. DirectoryAdmin
            if base in classes and base != cls.name:
                found |= methods_of(classes[base])
        found |= {f.name: f for f in cls.body if isinstance(f, Method)}
        return found

    for name in sorted(registered & set(classes)):
        cls = classes[name]
        scan = _AdminScan(modules, functions, methods_of(cls))
        if not (
            scan.refuses("has_add_permission") and scan.refuses("has_change_permission")
        ) and not scan.writes_through_action("save_model"):
            offenders.append(f"{name}: save_model does not call an action")
        if not scan.refuses("has_delete_permission"):
            offenders += [
                f"{name}: {method} does not call an action"
                for method in ("delete_model", "delete_queryset")
                if not scan.writes_through_action(method)
            ]
        offenders += [
            f"{name}: admin action {method} does not call an action"
            for method, func in scan.methods.items()
            if _is_admin_action(func) and not scan.through_action(func, method)
        ]
        if _assigns_nonempty(cls, "inlines") and not scan.writes_through_action("save_formset"):
            offenders.append(f"{name}: inlines save without an action (save_formset)")
    for func in tree.body:  # admin actions written as module functions
        scan = _AdminScan(modules, functions, {})
        if (
            isinstance(func, Method)
            and _is_admin_action(func)
            and not scan.through_action(func, func.name)
        ):
            offenders.append(f"admin action {func.name} does not call an action")
    return offenders


def test_every_admin_class_writes_through_an_action() -> None:
    """ASVS 16.3.2 / 8.3.1: an admin change to who-sees-what rows is an event with history."""
    admin_modules = {
        path: text for path, text in app_sources().items() if "admin" in path.split("/")[-1]
    }
    assert {"cases/admin.py", "cases/admin_users.py"} <= set(admin_modules)
    offenders = [
        f"{path}: {hit}"
        for path, text in admin_modules.items()
        for hit in admin_writes_without_action(text)
    ]
    assert offenders == [], "\n".join(offenders)


_ADMIN_HEAD = (
    "from django.contrib import admin\nfrom . import directory\n"
    "from .models import AdministrativeUnit\n"
)
_GOOD_ADMIN = (
    "    def save_model(self, request, obj, form, change):\n"
    "        directory.unit_save(actor=request.user, unit=obj)\n"
    "    def delete_model(self, request, obj):\n"
    "        directory.unit_delete(actor=request.user, unit=obj)\n"
    "    def delete_queryset(self, request, queryset):\n"
    "        for obj in queryset:\n"
    "            self.delete_model(request, obj)\n"
)


@pytest.mark.parametrize(
    "body",
    [
        # Django's defaults: save and delete with only the admin's log entry.
        "    list_display = ['code']\n",
        # A save that is not an action.
        "    def save_model(self, request, obj, form, change):\n"
        "        super().save_model(request, obj, form, change)\n",
        "    def save_model(self, request, obj, form, change):\n        obj.save()\n",
        # Django's own save, with an action called only to record it afterwards.
        _GOOD_ADMIN.replace(
            "        directory.unit_save(actor=request.user, unit=obj)\n",
            "        super().save_model(request, obj, form, change)\n"
            "        directory.unit_recorded(actor=request.user, unit=obj)\n",
        ),
        # Saves through the action, but deletes (one, or the list's bulk delete) without.
        "    def save_model(self, request, obj, form, change):\n"
        "        directory.unit_save(actor=request.user, unit=obj)\n",
        _GOOD_ADMIN.replace("self.delete_model(request, obj)", "obj.delete()"),
        # A bulk admin action that writes without an action.
        _GOOD_ADMIN + "    @admin.action(description='x')\n"
        "    def deactivate(self, request, queryset):\n        queryset.update(is_active=False)\n",
        # Inlines save their rows without save_model.
        _GOOD_ADMIN + "    inlines = [ChildInline]\n",
        # Refusing change but not add still lets a row be added without an action.
        "    def has_change_permission(self, request, obj=None):\n        return False\n"
        "    def has_delete_permission(self, request, obj=None):\n        return False\n",
    ],
)
def test_the_admin_rule_catches_a_planted_offender(body: str) -> None:
    source = (
        _ADMIN_HEAD + "@admin.register(AdministrativeUnit)\n"
        "class UnitAdmin(admin.ModelAdmin):\n" + body
    )
    assert admin_writes_without_action(source) != []


def test_the_admin_rule_catches_a_default_registration_and_an_inherited_gap() -> None:
    assert admin_writes_without_action(_ADMIN_HEAD + "admin.site.register(AdministrativeUnit)")
    inherited = (
        _ADMIN_HEAD + "class Base(admin.ModelAdmin):\n    pass\n"
        "class UnitAdmin(Base):\n    list_display = ['code']\n"
        "admin.site.register(AdministrativeUnit, UnitAdmin)\n"
    )
    assert admin_writes_without_action(inherited) != []


def test_the_admin_rule_lets_actions_and_read_only_admins_pass() -> None:
    good = _ADMIN_HEAD + "@admin.register(AdministrativeUnit)\nclass UnitAdmin(admin.ModelAdmin):\n"
    assert admin_writes_without_action(good + _GOOD_ADMIN) == []
    inherited = (
        _ADMIN_HEAD
        + "class Base(admin.ModelAdmin):\n"
        + _GOOD_ADMIN.split("    def delete_model")[0]
        + "@admin.register(AdministrativeUnit)\nclass UnitAdmin(Base):\n"
        "    def has_delete_permission(self, request, obj=None):\n        return False\n"
    )
    assert admin_writes_without_action(inherited) == []
    read_only = good + "".join(
        f"    def has_{verb}_permission(self, request, obj=None):\n        return False\n"
        for verb in ("add", "change", "delete")
    )
    assert admin_writes_without_action(read_only) == []


# Templates show who a person is only through the people tags


def identifying_fields() -> frozenset[str]:
    """Return the person's fields that say who they are: its encrypted fields."""
    return frozenset(
        f.name for f in Person._meta.concrete_fields if isinstance(f, EncryptedTextField)
    )


_STRING = re.compile(r"\"[^\"]*\"|'[^']*'")


def template_identity_reads(source: str, path: str = "<template>") -> list[str]:
    """Return where a template reads an identifying field as an attribute (``x.phone``),
    in a variable (``{{ }}``) or a tag (``{% %}``); string arguments do not count."""
    names = "|".join(sorted(identifying_fields()))
    attribute = re.compile(rf"\.\s*({names})\b")
    hits = []
    for token in Lexer(source).tokenize():
        if token.token_type not in (TokenType.VAR, TokenType.BLOCK):
            continue
        for match in attribute.finditer(_STRING.sub("''", token.contents)):
            hits.append(f"{path}:{token.lineno}: .{match.group(1)} in {token.contents!r}")
    return hits


def app_templates() -> dict[str, str]:
    return {
        path.relative_to(ROOT).as_posix(): path.read_text()
        for path in sorted(ROOT.rglob("*.html"))
        if not SKIP_DIRS.intersection(path.relative_to(ROOT).parts)
    }


def test_the_people_tags_know_every_identifying_field() -> None:
    """A new encrypted field of Person is identifying until the tags say how to show it."""
    from cases.templatetags.people import IDENTIFYING_FIELDS

    assert frozenset(IDENTIFYING_FIELDS) == identifying_fields()


def test_templates_show_who_a_person_is_only_through_the_people_tags() -> None:
    """ASVS 8.2.3: one place decides whether the viewer sees the name (the parts rule)."""
    templates = app_templates()
    assert len(templates) > 40
    offenders = [
        hit for path, text in templates.items() for hit in template_identity_reads(text, path)
    ]
    assert offenders == [], "use {% person_name %} / {% person_field %}:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    "source",
    [
        "<h1>{{ person.full_name }}</h1>",
        "{{ case.person.full_name|upper }}",
        "<dd>{{ person.citizen_id|default:'—' }}</dd>",
        "{% if person.old_id_number %}x{% endif %}",
        "{% with p=episode.person %}{{ p.phone }}{% endwith %}",
        "{{ person.address|linebreaksbr }}",
        "{% blocktranslate with n=person.full_name %}Hello {{ n }}{% endblocktranslate %}",
        "{{ p . aliases }}",
        "{{ person.birth_date|iso_date }}",
        "{{ person.family_contact }}",
    ],
)
def test_the_template_identity_rule_catches_a_planted_offender(source: str) -> None:
    assert template_identity_reads(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "{% person_name person %}",
        '{% person_field person "phone" as phone %}{{ phone|default:"—" }}',
        "{{ person.short_id }} {{ person.birth_year }} {{ reception.current_address }}",
        "<p>Địa chỉ: phone . address</p>",  # text, not a variable
        "{% translate 'IP address' %}",
    ],
)
def test_the_template_identity_rule_lets_the_tags_pass(source: str) -> None:
    assert template_identity_reads(source) == []


# ---------------------------------------------------------------------------------------
# No import circle inside an app


def _module_name(path: str) -> str:
    name = path.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


def module_imports(path: str, source: str, known: set[str]) -> set[str]:
    """Return the project modules a module imports, at the top or inside a function (a
    deferred import hides a circle; it does not break it). A package's ``__init__``
    importing its own modules (to re-export them) is not an arrow back."""
    name = _module_name(path)
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}".rstrip(".") if base else anchor
            candidates = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found |= {c for c in candidates if c in known and c != name}
    if path.endswith("__init__.py"):
        found = {m for m in found if not m.startswith(name + ".")}
    return found


def import_circles(sources: dict[str, str]) -> list[list[str]]:
    """Return the circles of imports between modules of one app (strongly connected sets)."""
    names = {_module_name(path): path for path in sources}
    known = set(names)
    graph = {
        name: {
            m
            for m in module_imports(path, sources[path], known)
            if m.split(".")[0] == name.split(".")[0]
        }
        for name, path in names.items()
    }
    circles: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return circles


def test_no_app_imports_itself_in_a_circle() -> None:
    """Issue 24: referrals' actions → notify → selectors → actions (for EDITABLE_STATES) and
    workflow ↔ selectors were circles hidden by imports inside functions."""
    assert import_circles(app_sources()) == []


def test_the_circle_rule_catches_a_planted_circle() -> None:
    sources = {
        "referrals/actions.py": "from . import notify",
        "referrals/notify.py": "from .selectors import staff_of",
        "referrals/selectors.py": "def f():\n    from .actions import EDITABLE_STATES",
        "referrals/workflow.py": "EDITABLE_STATES = ()",
        "cases/access/__init__.py": "from .rules import visible",
        "cases/access/rules.py": "from .reach import x",
        "cases/access/reach.py": "",
    }
    assert import_circles(sources) == [
        ["referrals.actions", "referrals.notify", "referrals.selectors"]
    ]
    # A package re-exporting its modules is no circle; a module importing its package is.
    sources["cases/access/reach.py"] = "from cases import access"
    assert ["cases.access", "cases.access.reach"] not in import_circles(sources)
    sources["cases/access/reach.py"] = "def f():\n    from .rules import visible"
    assert ["cases.access.reach", "cases.access.rules"] in import_circles(sources)


# ---------------------------------------------------------------------------------------
# Denials are recorded by access.deny

# Modules that may write the "denied" event themselves, each with its reason.
DENIAL_ALLOWED: dict[str, str] = {
    "cases/access/fetch.py": "access.deny itself",
    "accounts/actions.py": "accounts stands below cases in the layer order (it cannot import "
    "cases.access); its refusals of account administration",
    "notifications/actions.py": "notifications stands below cases in the layer order; a "
    "notification of someone else",
}


def denial_writes(source: str) -> list[int]:
    """Return the lines where a module writes a denial event by hand: ``record(...)`` with
    an action named ``DENIED`` or the code ``"denied"``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        name = name or (node.func.id if isinstance(node.func, ast.Name) else "")
        if name != "record":
            continue
        for keyword in node.keywords:
            value = keyword.value
            named = isinstance(value, ast.Attribute) and value.attr == "DENIED"
            named = named or (isinstance(value, ast.Name) and value.id == "DENIED")
            if keyword.arg == "action" and (named or getattr(value, "value", None) == "denied"):
                lines.append(node.lineno)
    return lines


def test_denials_are_recorded_through_access_deny() -> None:
    """One way to record a refusal (issue 24): ids only, a log line, the same event shape."""
    offenders = [
        f"{path}:{line}"
        for path, text in app_sources().items()
        if path not in DENIAL_ALLOWED
        for line in denial_writes(text)
    ]
    assert offenders == [], "record refusals with cases.access.deny"
    sources = app_sources()
    assert all(denial_writes(sources[path]) for path in DENIAL_ALLOWED), "unneeded entry"


@pytest.mark.parametrize(
    "source",
    [
        "audit.record(actor=u, action=CaseAction.DENIED, obj=case, detail={})",
        "record(actor=u, action=DENIED, object_type='user')",
        "audit.record(actor=u, action='denied')",
    ],
)
def test_the_denial_rule_catches_a_planted_offender(source: str) -> None:
    assert denial_writes(source) == [1]
    assert denial_writes("access.deny(u, 'change', obj=case)") == []
    assert denial_writes("audit.record(actor=u, action=CaseAction.CASE_READ)") == []


# ---------------------------------------------------------------------------------------
# The edit pages' conflict flow is written once


def handles_conflict_itself(source: str) -> bool:
    """Return whether a module catches ``EditConflict`` or rebuilds the form after one."""
    for node in ast.walk(ast.parse(source)):
        handler = isinstance(node, ast.ExceptHandler) and node.type is not None
        if handler and "EditConflict" in ast.unparse(node.type):  # type: ignore[attr-defined]
            return True
        if isinstance(node, ast.Name | ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name == "form_after_conflict":
                return True
    return False


def test_edit_views_use_the_one_submit_step() -> None:
    """Issue 24: the version-conflict flow was pasted into five edit views; they call
    ``core.edit_page.edit_submit`` now, and a new edit view must too."""
    offenders = [
        path
        for path, text in app_sources().items()
        if is_view_module(path, text) and handles_conflict_itself(text)
    ]
    assert offenders == [], "use core.edit_page.edit_submit"
    assert handles_conflict_itself((ROOT / "core" / "edit_page.py").read_text())


@pytest.mark.parametrize(
    "source",
    [
        "try:\n    save()\nexcept EditConflict as error:\n    pass",
        "try:\n    save()\nexcept (editing.EditConflict, ValidationError):\n    pass",
        "form, conflict = form_after_conflict(form, error, rebuild)",
    ],
)
def test_the_conflict_rule_catches_a_planted_offender(source: str) -> None:
    assert handles_conflict_itself(source)
    assert not handles_conflict_itself("outcome = edit_submit(request, form, save=s)")


def test_a_record_type_built_with_the_recipe_needs_no_entry_and_breaks_no_rule() -> None:
    """Issue 24: tests/exampleapp (skipped as test code) is scanned here as if it were an
    app: built only with ``cases.records``, it reaches no row the allow-list would have to
    allow, writes no audit event from a view, catches no conflict itself and saves its
    versioned record only through the shared step."""
    folder = ROOT / "tests" / "exampleapp"
    sources = {
        path.relative_to(ROOT).as_posix(): path.read_text() for path in sorted(folder.glob("*.py"))
    }
    assert "tests/exampleapp/views.py" in sources and "tests/exampleapp/records.py" in sources
    rule = content_rule()
    assert [hit for path, text in sources.items() for hit in scan(text, path, rule)] == []
    views = [path for path, text in sources.items() if is_view_module(path, text)]
    assert views == ["tests/exampleapp/views.py"]
    for path in views:
        text = sources[path]
        assert not view_writes_audit(text)
        assert not view_skips_access(text)
        assert not handles_conflict_itself(text)
    assert "CaseNote" in _versioned_models()
    assert direct_edit_saves(sources["tests/exampleapp/actions.py"], _versioned_models()) == []
