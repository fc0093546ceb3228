"""Replace the append-only trigger by one that also guards change-history tables and lets the
key-rotation path, and only it, re-encrypt the encrypted columns of an append-only row.

The trigger takes the table's encrypted columns as arguments. An UPDATE passes only when the
transaction has set ``hoa_nhap.rekey`` (``audit.append_only.rekeying``), no other column
changes, and each listed column stays empty or stays a ciphertext. DELETE never passes. The
history tables of every app get the same trigger after each ``migrate`` (a post_migrate hook
in ``audit.append_only``), so an app added later is covered without a migration here.
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION hoa_nhap_append_only() RETURNS trigger
LANGUAGE plpgsql AS $body$
DECLARE
    col text;
    old_row jsonb;
    new_row jsonb;
BEGIN
    IF TG_OP = 'UPDATE' AND TG_NARGS > 0
            AND coalesce(current_setting('hoa_nhap.rekey', true), '') = 'on' THEN
        old_row := to_jsonb(OLD);
        new_row := to_jsonb(NEW);
        FOREACH col IN ARRAY TG_ARGV LOOP
            IF (old_row ->> col IS NULL) <> (new_row ->> col IS NULL)
                    OR left(new_row ->> col, 3) <> 'v1$' THEN
                RAISE EXCEPTION 'table % is append-only: re-encryption may not empty or '
                    'write plain text into %', TG_TABLE_NAME, col
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            old_row := old_row - col;
            new_row := new_row - col;
        END LOOP;
        IF old_row = new_row THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$body$;
"""

# Table, encrypted columns the rotation may re-encrypt.
AUDIT_TABLES = (("audit_event", "'reason'"), ("audit_seal", ""))

OLD_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)
    for table, columns in AUDIT_TABLES:
        schema_editor.execute(
            f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION hoa_nhap_append_only({columns})"
        )
    schema_editor.execute("DROP FUNCTION IF EXISTS audit_refuse_change()")


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(OLD_FUNCTION, params=None)
    for table, _columns in AUDIT_TABLES:
        schema_editor.execute(
            f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        )
    # History tables lose their guard with the function.
    schema_editor.execute("DROP FUNCTION IF EXISTS hoa_nhap_append_only() CASCADE")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations = [migrations.RunPython(install, remove)]
