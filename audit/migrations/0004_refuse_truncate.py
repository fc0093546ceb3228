"""Refuse TRUNCATE of the audit tables (PostgreSQL): the row-level triggers never see it.

A statement-level ``BEFORE TRUNCATE`` trigger raises, on ``audit_event`` and ``audit_seal``
here and on every change-history table after each ``migrate``
(``audit.append_only.install_history_triggers``, which installs it once this function
exists). ``manage.py flush`` empties tables with TRUNCATE, so it is refused as a whole. The
test harness alone empties them between tests, as a superuser with triggers switched off
for its own session (``tests/pgbackend``); the application's role holds no TRUNCATE at all
(``grant_app_role``, docs/audit.md).
"""

from django.db import migrations

TABLES = ("audit_event", "audit_seal")

CREATE = """
CREATE OR REPLACE FUNCTION hoa_nhap_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$body$;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION hoa_nhap_no_truncate()"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The history tables' TRUNCATE triggers go with the function.
    schema_editor.execute("DROP FUNCTION IF EXISTS hoa_nhap_no_truncate() CASCADE")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_append_only_rekey_path")]
    operations = [migrations.RunPython(install, remove)]
