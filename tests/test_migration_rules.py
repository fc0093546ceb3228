"""The upgrade rule: no migration takes a long lock on a large table (decision D47).

Every migration of every installed app is read through Django's migration loader, in the
order ``migrate`` would apply it, with the project state before each operation. An
operation on one of the LARGE tables (people, cases, methadone doses, audit events and
links, service records, screenings, treatment episodes, and the history tables of those
that have one) is refused when, on PostgreSQL, it would hold a lock for as long as the
table is big, or break the code still running during the upgrade:

- ``AddField`` of a NOT NULL column without a non-volatile database default, of an
  indexed or unique column, or of a foreign key (index built and constraint validated
  under lock);
- ``AlterField`` that changes anything the database stores (type, length down, NULL to
  NOT NULL, index, uniqueness, constraint); labels, choices, validators and Python-side
  defaults are free;
- ``AddIndex`` (use ``AddIndexConcurrently``), ``AddConstraint`` (a unique constraint
  builds an index under lock, a check scans the table under lock: use ``RunSQL`` with
  ``NOT VALID`` then ``VALIDATE CONSTRAINT``), ``AlterUniqueTogether``;
- ``RemoveField``, ``RenameField``, ``RenameModel``, ``DeleteModel``: the release still
  running during the upgrade reads the column. Remove a field from the state first
  (``SeparateDatabaseAndState``, release N), drop the column in release N + 1;
- ``RunSQL`` that builds an index without ``CONCURRENTLY``, adds a constraint without
  ``NOT VALID``, changes a column's type or sets NOT NULL on a large table;
- ``RunPython`` anywhere, unless its function is marked ``batched`` (a backfill that
  commits every batch: a non-atomic migration) — Python cannot be read for which tables
  it touches.

An operation on a table created in the same migration is on an empty table and passes.
What the existing migrations did before the rule is in ``ALLOWED`` below, each with its
reason; a new entry needs one too, and an entry no longer matched fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import connection, migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.state import ProjectState

# (app label, model name) of the tables that grow with the people served and the events
# recorded; at a province's size they hold millions of rows.
LARGE: frozenset[tuple[str, str]] = frozenset(
    {
        ("cases", "person"),
        ("cases", "historicalperson"),
        ("cases", "case"),
        ("cases", "historicalcase"),
        ("methadone", "dose"),
        ("audit", "event"),
        ("audit", "link"),
        ("services", "servicerecord"),
        ("services", "historicalservicerecord"),
        ("services", "screening"),
        ("services", "historicalscreening"),
        ("services", "treatmentepisode"),
        ("services", "historicaltreatmentepisode"),
    }
)

# Attributes of a field that live only in Python: changing them changes no column.
PYTHON_ONLY = {
    "verbose_name",
    "help_text",
    "choices",
    "validators",
    "blank",
    "default",
    "editable",
    "error_messages",
    "related_name",
    "related_query_name",
    "on_delete",
    "limit_choices_to",
    "auto_now",
    "auto_now_add",
}

# Every installation before issue 31 started from an empty database: there was no
# production entry point (only `make run` on SQLite), no upgrade path was offered and no
# province held data, so the migrations of our apps below ran on empty or demo-sized
# tables. Benchmark databases are generated after `migrate`. From D47 on, a new migration
# passes the rule, or is listed here with a reason that holds for the installations that
# exist when it ships (an entry no longer matched fails the test, so the list cannot rot).
_EMPTY = "ran before any installation held data (no production path before issue 31): "
_SMALL = "RunPython on a small table (no large table touched): "
ALLOWED: dict[tuple[str, str], str] = {
    # Django's and the libraries' own migrations: their tables stay small.
    ("contenttypes", "0002_remove_content_type_name"): _SMALL + "content types (one per model)",
    ("auth", "0011_update_proxy_permissions"): _SMALL + "permissions (a few per model)",
    ("axes", "0007_alter_accessattempt_unique_together"): _SMALL
    + "failed sign-in attempts, one row per account and address",
    ("django_tasks_database", "0008_separate_results_field"): _SMALL
    + "task rows, pruned by prune_db_task_results (docs/operations.md)",
    ("django_tasks_database", "0011_rename_complete_status"): _SMALL + "task rows, pruned",
    ("django_tasks_database", "0013_separate_exception_fields"): _SMALL + "task rows, pruned",
    (
        "django_tasks_database",
        "0016_remove_dbtaskresult_django_task_new_ordering_idx_and_more",
    ): _SMALL + "task rows, pruned",
    ("django_tasks_database", "0018_rename_succeeded_status"): _SMALL + "task rows, pruned",
    # Our apps: data loads of small reference tables, and PostgreSQL-only DDL that Python runs
    # (triggers and privileges, no table rewrite or scan).
    ("accounts", "0004_user_created_by_and_invitation"): _SMALL + "accounts (one per staff)",
    ("core", "0002_load_public_holidays_2025_2027"): _SMALL + "public holidays (tens of rows)",
    ("calendar_days", "0001_public_holidays_from_core"): _SMALL + "public holidays moved",
    ("cases", "0002_organisation_types"): _SMALL + "organisation types (a dozen rows)",
    ("cases", "0017_no_guardian_anonymous_user"): _SMALL + "deletes one account row",
    ("services", "0002_service_catalogue"): _SMALL + "service catalogue (tens of rows)",
    ("services", "0009_opioid_substitution_service"): _SMALL + "one catalogue row",
    ("programme", "0002_training_topics"): _SMALL + "training topics (eight rows)",
    ("audit", "0004_refuse_truncate"): "RunPython issues PostgreSQL trigger DDL only (no scan)",
    ("reports", "0005_residence_staleness_triggers"): "RunPython issues PostgreSQL trigger DDL "
    "only, on the new residence table (no scan)",
    ("reports", "0006_unit_succession_staleness_triggers"): "RunPython issues PostgreSQL "
    "trigger DDL only, on the new unit succession table (no scan)",
    ("audit", "0002_append_only"): _EMPTY
    + "append-only triggers, and an index on listed people built without CONCURRENTLY",
    ("audit", "0003_append_only_rekey_path"): "RunPython issues trigger DDL only (no scan)",
    ("facilities", "0002_decree_116_checklist"): _SMALL + "the checklist (one version, 14 items)",
    ("facilities", "0003_figures_rollup_triggers"): "RunPython issues trigger DDL only (no scan)",
    ("api", "0002_mark_service_accounts"): _SMALL + "the accounts of API clients (a few rows)",
    ("api", "0003_change_feed"): "RunPython creates the change feed's trigger function only "
    "(no table touched; the triggers are attached after migrate, D59)",
    # Our apps: changes to large tables that would lock them when full.
    ("audit", "0005_chain_links_sequenced_after_commit"): _EMPTY
    + "events and links reshaped for the sequencer (D33): indexed column, backfill, "
    "dropped columns",
    ("cases", "0006_blind_index_widths"): _EMPTY + "blind index columns re-typed",
    ("cases", "0007_case_recent_index"): _EMPTY + "index built without CONCURRENTLY",
    ("cases", "0008_case_residence_copy"): _EMPTY
    + "foreign key added, backfilled in one transaction, then made NOT NULL",
    ("cases", "0009_person_old_id_number"): _EMPTY + "indexed blind index column added",
    ("cases", "0010_case_next_due_on"): _EMPTY + "index built without CONCURRENTLY",
    ("cases", "0011_person_name_indexes_by_id"): _EMPTY + "name indexes rebuilt under lock",
    ("services", "0003_support_rules"): _EMPTY + "backfills of service records",
    ("services", "0004_episode_rules"): _EMPTY + "backfill of episodes",
    ("services", "0006_take_over_case_service"): _EMPTY + "service records backfilled",
    ("services", "0007_methadone_clinic_index"): _EMPTY + "index built without CONCURRENTLY",
    ("services", "0008_screening_injecting"): _EMPTY
    + "screenings backfilled in batches but in one transaction, then a check constraint "
    "validated under lock",
    ("reports", "0004_figure_rollup"): _EMPTY
    + "the roll-up is built once from the large tables, in one transaction",
}

_CREATE_INDEX = re.compile(r"\bcreate\s+(unique\s+)?index\b(?!\s+concurrently)", re.I)
_ADD_CONSTRAINT = re.compile(r"\badd\s+constraint\b(?![^;]*\bnot\s+valid\b)", re.I)
_ALTER_TYPE = re.compile(r"\balter\s+column\s+\S+\s+(set\s+data\s+)?type\b", re.I)
_SET_NOT_NULL = re.compile(r"\bset\s+not\s+null\b", re.I)


def batched(function: Any) -> Any:
    """Mark a RunPython function as a backfill that commits in batches (see the docstring)."""
    function.batched = True
    return function


@dataclass(frozen=True)
class Problem:
    app: str
    migration: str
    index: int
    operation: str
    why: str

    def __str__(self) -> str:
        return f"{self.app}.{self.migration}[{self.index}] {self.operation}: {self.why}"


def _table(state: ProjectState, app: str, model: str) -> str:
    options = state.models[(app, model)].options
    return str(options.get("db_table") or f"{app}_{model}")


def _large_tables(state: ProjectState) -> set[str]:
    return {_table(state, app, model) for app, model in LARGE if (app, model) in state.models}


def _field_problems(old: models.Field[Any, Any], new: models.Field[Any, Any]) -> list[str]:
    _, old_path, old_args, old_kwargs = old.deconstruct()
    _, new_path, new_args, new_kwargs = new.deconstruct()
    if old_path != new_path:
        return [f"column type changes ({old_path} -> {new_path})"]
    changed = {
        key
        for key in set(old_kwargs) | set(new_kwargs)
        if old_kwargs.get(key) != new_kwargs.get(key) and key not in PYTHON_ONLY
    }
    if changed == {"max_length"} and (new_kwargs.get("max_length") or 0) >= (
        old_kwargs.get("max_length") or 0
    ):
        return []  # widening a varchar is a catalogue change on PostgreSQL
    # A relation's column type is its target's, unresolved in a migration's state: the
    # path and the arguments (to, to_field) say whether it changes.
    if not old.is_relation and old.db_type(connection) != new.db_type(connection):
        return [f"column type changes ({old.db_type(connection)} -> {new.db_type(connection)})"]
    return [f"changes {', '.join(sorted(changed))}"] if changed else []


def _add_field_problems(field: models.Field[Any, Any]) -> list[str]:
    problems = []
    if field.is_relation and getattr(field, "db_constraint", True):
        problems.append("foreign key: index built and constraint validated under lock")
    elif getattr(field, "db_index", False) or field.unique:
        problems.append("indexed or unique column: index built under lock")
    db_default = getattr(field, "db_default", models.NOT_PROVIDED)
    if (
        not field.null
        and db_default is models.NOT_PROVIDED
        and field.default
        in (
            models.NOT_PROVIDED,
            None,
        )
    ):
        problems.append("NOT NULL without a default: fails or rewrites a full table")
    elif isinstance(db_default, models.Func):
        function = str(db_default.extra.get("function", db_default.function)).lower()
        if function in {"gen_random_uuid", "random", "clock_timestamp", "uuidv4", "uuidv7"}:
            problems.append("volatile database default: rewrites every row under lock")
    return problems


def operation_problems(
    operation: migrations.operations.base.Operation,
    *,
    app: str,
    state: ProjectState,
    created_here: set[tuple[str, str]],
) -> list[str]:
    """Return why an operation, applied to this project state, would lock a large table."""
    if isinstance(operation, migrations.SeparateDatabaseAndState):
        found = []
        scratch = state.clone()
        for inner in operation.database_operations:
            found += operation_problems(inner, app=app, state=scratch, created_here=created_here)
            inner.state_forwards(app, scratch)
        return found
    if isinstance(operation, migrations.RunPython):
        if getattr(operation.code, "batched", False):
            return []
        return ["RunPython: a backfill must commit in batches (mark it `batched`)"]
    if isinstance(operation, migrations.RunSQL):
        sql = " ".join(
            str(part if isinstance(part, str) else part[0])
            for part in (
                operation.sql if isinstance(operation.sql, list | tuple) else [operation.sql]
            )
        )
        tables = _large_tables(state) - {_table(state, a, m) for a, m in created_here}
        if not any(re.search(rf"\b{re.escape(table)}\b", sql) for table in tables):
            return []
        found = []
        for pattern, why in (
            (_CREATE_INDEX, "index built without CONCURRENTLY"),
            (_ADD_CONSTRAINT, "constraint added without NOT VALID"),
            (_ALTER_TYPE, "column type changed"),
            (_SET_NOT_NULL, "SET NOT NULL scans the table under lock"),
        ):
            if pattern.search(sql):
                found.append(f"RunSQL: {why}")
        return found
    model = getattr(operation, "model_name_lower", None) or getattr(operation, "name_lower", None)
    key = (app, str(model))
    if key not in LARGE or key in created_here:
        return []
    if isinstance(operation, AddIndexConcurrently):
        return []
    if isinstance(operation, migrations.AddField):
        return _add_field_problems(operation.field)
    if isinstance(operation, migrations.AlterField):
        old = state.models[key].fields[operation.name_lower]
        return _field_problems(old, operation.field)
    if isinstance(operation, migrations.AddIndex):
        return ["index built under lock: use AddIndexConcurrently"]
    if isinstance(operation, migrations.AddConstraint):
        return ["constraint built or validated under lock: RunSQL with NOT VALID"]
    if isinstance(operation, migrations.AlterUniqueTogether | migrations.AlterIndexTogether):
        return ["unique index built under lock"]
    if isinstance(
        operation,
        migrations.RemoveField | migrations.RenameField | migrations.RenameModel,
    ):
        return [
            "the running release still reads it: drop from the state first (N), "
            "then the column (N + 1)"
        ]
    if isinstance(operation, migrations.DeleteModel):
        return ["the running release still reads the table"]
    return []


def migration_problems(migration: Migration, state: ProjectState) -> Iterator[Problem]:
    """Yield the rule's findings for one migration, moving the state past it."""
    created_here: set[tuple[str, str]] = set()
    for index, operation in enumerate(migration.operations):
        for why in operation_problems(
            operation, app=migration.app_label, state=state, created_here=created_here
        ):
            yield Problem(migration.app_label, migration.name, index, type(operation).__name__, why)
        if isinstance(operation, migrations.CreateModel):
            created_here.add((migration.app_label, operation.name_lower))
        if not isinstance(operation, migrations.SeparateDatabaseAndState):
            operation.state_forwards(migration.app_label, state)
        else:
            for inner in operation.state_operations:
                inner.state_forwards(migration.app_label, state)


def all_problems() -> list[Problem]:
    """Run the rule over every migration on disk, in the order `migrate` applies them."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    state = ProjectState(real_apps=loader.unmigrated_apps)
    found: list[Problem] = []
    plan: dict[tuple[str, str], None] = {}
    for leaf in sorted(loader.graph.leaf_nodes()):
        plan.update(dict.fromkeys(loader.graph.forwards_plan(leaf)))
    for key in plan:
        found += migration_problems(loader.graph.nodes[key], state)
    return found


def test_every_migration_passes_the_rule_or_is_allowed_with_a_reason() -> None:
    """Every migration's operations keep large tables unlocked, or are allowed (D47)."""
    problems = all_problems()
    refused = [str(p) for p in problems if (p.app, p.migration) not in ALLOWED]
    assert refused == [], "unsafe on a large table (tests/test_migration_rules.py):\n" + "\n".join(
        refused
    )
    stale = set(ALLOWED) - {(p.app, p.migration) for p in problems}
    assert stale == set(), f"allowed but no longer needed: {sorted(stale)}"
    assert all(reason.strip() for reason in ALLOWED.values())


def _planted(*operations: Any, name: str = "0999_planted") -> list[str]:
    """Run the rule over a migration of `cases` built here, after every real one."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaves = [leaf for leaf in loader.graph.leaf_nodes() if leaf[0] == "cases"]
    state = loader.project_state(leaves)
    migration = type("Migration", (migrations.Migration,), {"operations": list(operations)})(
        name, "cases"
    )
    return [p.why for p in migration_problems(migration, state)]


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        (
            migrations.AddField("person", "planted", models.CharField(max_length=10, default=None)),
            "NOT NULL without a default",
        ),
        (
            migrations.AddField(
                "case",
                "planted",
                models.UUIDField(null=False, db_default=models.Func(function="gen_random_uuid")),
            ),
            "volatile database default",
        ),
        (
            migrations.AddField("case", "planted", models.IntegerField(null=True, db_index=True)),
            "index built under lock",
        ),
        (
            migrations.AlterField("case", "status", models.TextField()),
            "column type changes",
        ),
        (
            migrations.AddIndex("person", models.Index(fields=["created_at"], name="planted_idx")),
            "use AddIndexConcurrently",
        ),
        (migrations.RemoveField("case", "next_due_on"), "running release still reads it"),
        (
            migrations.RunPython(lambda apps, schema_editor: None, migrations.RunPython.noop),
            "commit in batches",
        ),
        (
            migrations.RunSQL(
                "CREATE INDEX planted ON cases_person (created_at)", "DROP INDEX planted"
            ),
            "index built without CONCURRENTLY",
        ),
    ],
)
def test_a_planted_unsafe_migration_is_caught(operation: Any, expected: str) -> None:
    """A migration that would lock a large table is refused, whatever its kind."""
    found = _planted(operation)
    assert any(expected in why for why in found), found


@pytest.mark.parametrize(
    "operation",
    [
        migrations.AddField("person", "planted", models.TextField(null=True, blank=True)),
        migrations.AddField("case", "planted", models.IntegerField(default=0)),
        AddIndexConcurrently("person", models.Index(fields=["created_at"], name="planted_idx")),
        migrations.AlterField(
            "case", "status", models.CharField(max_length=20, help_text="changed label")
        ),
        migrations.RunPython(batched(lambda apps, schema_editor: None), migrations.RunPython.noop),
        migrations.RunSQL(
            "CREATE INDEX CONCURRENTLY planted ON cases_person (created_at)", "DROP INDEX planted"
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveField("case", "next_due_on")]
        ),
    ],
)
def test_the_safe_forms_pass(operation: Any) -> None:
    """The forms the runbook recommends pass the rule (else the rule only says no)."""
    assert _planted(operation) == []


def test_a_table_created_in_the_same_migration_is_empty() -> None:
    """Operations on a table the same migration creates are on an empty table."""
    found = _planted(
        migrations.CreateModel("planted", [("id", models.BigAutoField(primary_key=True))]),
        migrations.AddIndex("planted", models.Index(fields=["id"], name="planted_idx")),
    )
    assert found == []
