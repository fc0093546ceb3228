"""Own the privileges of the database role the application runs as (PostgreSQL).

The migrations run as the owner of the tables; the application itself should run as another
role that owns nothing (an owner can drop or disable a trigger) and may not rewrite the
append-only tables: on the access log, its seals and every change-history table it may only
read and add rows. No table grants it ``TRUNCATE``. ``grant_app_role`` applies these grants;
run it after every ``migrate`` (a new table has no grant until then). See docs/audit.md.
"""

from __future__ import annotations

from django.db import connection

from .append_only import history_models
from .models import Event, Link, Seal


def append_only_tables() -> list[str]:
    """Return the tables whose rows are never changed or removed."""
    return [
        Event._meta.db_table,
        Link._meta.db_table,
        Seal._meta.db_table,
        *(m._meta.db_table for m in history_models()),
    ]


def app_role_grants(role: str) -> list[str]:
    """Return the statements that give ``role`` what the application needs, and no more."""
    quote = connection.ops.quote_name
    who = quote(role)
    guarded = set(append_only_tables())
    tables = sorted(connection.introspection.table_names())
    statements = [
        f"GRANT USAGE ON SCHEMA {quote(_schema())} TO {who}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {quote(_schema())} FROM {who}",
    ]
    for table in tables:
        rights = "SELECT, INSERT" if table in guarded else "SELECT, INSERT, UPDATE, DELETE"
        statements.append(f"GRANT {rights} ON {quote(table)} TO {who}")
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quote(_schema())} TO {who}")
    return statements


def _schema() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        row = cursor.fetchone()
    return str(row[0]) if row else "public"
