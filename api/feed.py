"""The change feed sync reads (decision D59): what a synced table is, and its triggers.

Every insert, update and delete of a synced table writes ``api_change`` rows in the writing
transaction: one PostgreSQL trigger function, ``api_feed_write``, told by its arguments
(``TG_ARGV``, as the roll-up's triggers are told their communes: ``reports.rollup_triggers``)
the kind, how a row finds its case and what its version is. Statement-level triggers with
transition tables, so a batch of doses is one insert into the feed. Each row carries the
writing transaction's id, so sync can hand out only rows no running transaction can precede.

The synced tables are people, cases, the record tables of the programme (screenings,
treatment episodes, services delivered, methadone doses, referrals) and every record type
registered through the recipe (``cases.records.register``): a new recipe type is synced with
no API code. The function is installed by the migration; the triggers by ``install`` after
every ``migrate`` (``api.apps``), for each synced table that lacks them. Nothing on SQLite,
where the demo's sync walks what the client sees instead (``api.sync``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection, models

from cases import records
from cases.models import Case, Person
from referrals.models import Referral
from services.methadone.models import Dose
from services.models import Screening, ServiceRecord, TreatmentEpisode


@dataclass(frozen=True)
class Kind:
    """One synced table: its kind's name (also the record's API path), its model, and the
    SQL over a row ``t`` giving its case and its version (1 for a table without versions)."""

    name: str
    model: type[models.Model]
    case_sql: str = 't."case_id"'
    case_field: str = "case_id"  # the same, as an ORM path ("": none, or the row itself)
    versioned: bool = True

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def version_sql(self) -> str:
        return 't."version"' if self.versioned else "1"

    def pk(self, text: str) -> Any:
        """Return a feed row's object id as the model's primary key."""
        return self.model._meta.pk.to_python(text)


_EPISODE_CASE = (
    '(SELECT e."case_id" FROM "services_treatmentepisode" e WHERE e."id" = t."episode_id")'
)

CORE = (
    Kind("person", Person, case_sql="NULL::uuid", case_field=""),
    Kind("case", Case, case_sql='t."id"', case_field=""),
    Kind("screening", Screening),
    Kind("episode", TreatmentEpisode),
    Kind("service", ServiceRecord),
    Kind("referral", Referral),
    Kind("dose", Dose, case_sql=_EPISODE_CASE, case_field="episode__case_id", versioned=False),
)


def kinds() -> dict[str, Kind]:
    """Return every synced kind by name: the core ones, then the recipe's record types."""
    found = {kind.name: kind for kind in CORE}
    taken = {kind.model for kind in CORE}
    for spec in records.registered():
        if spec.model in taken or spec.name in found:
            continue
        versioned = any(f.name == "version" for f in spec.model._meta.concrete_fields)
        found[spec.name] = Kind(spec.name, spec.model, versioned=versioned)
    return found


FUNCTION = "api_feed_write"

# The one trigger function. TG_ARGV: the kind, the SQL of the row's case, of its version;
# they come from ``Kind`` (code, never input).
CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION "api_feed_write"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  op text := CASE TG_OP WHEN 'INSERT' THEN 'I' WHEN 'UPDATE' THEN 'U' ELSE 'D' END;
BEGIN
  EXECUTE format(
    'INSERT INTO "api_change" ("xid", "kind", "object_id", "case_id", "version", "op", "at")'
    ' SELECT pg_current_xact_id()::text::bigint, %L, t."id"::text, %s, %s, %L, now()'
    ' FROM %I t ORDER BY t."id"',
    TG_ARGV[0], TG_ARGV[1], CASE WHEN op = 'D' THEN '0' ELSE TG_ARGV[2] END, op,
    CASE WHEN op = 'D' THEN 'api_feed_old' ELSE 'api_feed_new' END);
  RETURN NULL;
END $$;
"""
DROP_FUNCTION = f'DROP FUNCTION IF EXISTS "{FUNCTION}"() CASCADE;'


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def trigger_sql(kind: Kind) -> str:
    """Return the SQL that attaches the feed's three triggers to a kind's table."""
    args = ", ".join(_quote(a) for a in (kind.name, kind.case_sql, kind.version_sql))
    stem, table = f"api_feed_{kind.table}", kind.table
    return "\n".join(
        [
            f'CREATE TRIGGER "{stem}_ins" AFTER INSERT ON "{table}"'
            ' REFERENCING NEW TABLE AS "api_feed_new"'
            f' FOR EACH STATEMENT EXECUTE FUNCTION "{FUNCTION}"({args});',
            f'CREATE TRIGGER "{stem}_upd" AFTER UPDATE ON "{table}"'
            ' REFERENCING NEW TABLE AS "api_feed_new"'
            f' FOR EACH STATEMENT EXECUTE FUNCTION "{FUNCTION}"({args});',
            f'CREATE TRIGGER "{stem}_del" AFTER DELETE ON "{table}"'
            ' REFERENCING OLD TABLE AS "api_feed_old"'
            f' FOR EACH STATEMENT EXECUTE FUNCTION "{FUNCTION}"({args});',
        ]
    )


def installed(table: str) -> bool:
    """Return whether ``table`` has the feed's triggers (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND tgname LIKE %s",
            [table, f"api_feed_{table}%"],
        )
        return bool(cursor.fetchone()[0])


def install(**_kwargs: Any) -> list[str]:
    """Attach the triggers to every synced table that lacks them; return those tables.

    Run after every ``migrate`` (a post_migrate receiver): a table added since (a new
    recipe type) gets its triggers with no migration of the API's own.
    """
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regproc(%s) IS NOT NULL", [FUNCTION])
        if not cursor.fetchone()[0]:
            return []  # the API's migration is not applied (yet, or any more)
        done = []
        for kind in kinds().values():
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [kind.table])
            if cursor.fetchone()[0] and not installed(kind.table):
                cursor.execute(trigger_sql(kind))
                done.append(kind.table)
    return done
