"""Chain events after they commit (issue 26, decision D33): the links move to ``audit_link``.

An event is now inserted with the action it records and no link; the sequencer chains it
right after the commit (``audit.chain.sequence``). Existing events keep their place and hash:
each becomes the link at its old sequence number. ``Event.seq`` becomes the event's number
from a database sequence (gaps where a transaction rolled back), and ``Event.xid`` the id of
the transaction that wrote it, set by a trigger the application cannot bypass. The link
table is append-only like the others (UPDATE, DELETE and TRUNCATE refused).

Back: every event must be chained first (``manage.py sequence_audit_chain``); the links
become the events' sequence numbers and hashes again.
"""

import django.db.models.deletion
from django.db import migrations, models

import audit.models

SEQUENCE = "audit_event_seq_seq"

XID_TRIGGER = """
CREATE OR REPLACE FUNCTION hoa_nhap_event_xid() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    NEW.xid := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END
$body$;
CREATE TRIGGER audit_event_xid BEFORE INSERT ON audit_event
    FOR EACH ROW EXECUTE FUNCTION hoa_nhap_event_xid();
CREATE TRIGGER audit_link_append_only BEFORE UPDATE OR DELETE ON audit_link
    FOR EACH ROW EXECUTE FUNCTION hoa_nhap_append_only();
CREATE TRIGGER audit_link_no_truncate BEFORE TRUNCATE ON audit_link
    FOR EACH STATEMENT EXECUTE FUNCTION hoa_nhap_no_truncate();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS audit_link_no_truncate ON audit_link;
DROP TRIGGER IF EXISTS audit_link_append_only ON audit_link;
DROP TRIGGER IF EXISTS audit_event_xid ON audit_event;
DROP FUNCTION IF EXISTS hoa_nhap_event_xid();
"""


def _postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def create_sequence(apps, schema_editor):
    if _postgres(schema_editor):
        schema_editor.execute(f"CREATE SEQUENCE {SEQUENCE} OWNED BY audit_event.seq")
        schema_editor.execute(
            f"SELECT setval('{SEQUENCE}', coalesce((SELECT max(seq) FROM audit_event), 0) + 1, "
            "false)"
        )


def drop_sequence(apps, schema_editor):
    if _postgres(schema_editor):
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


def links_from_events(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO audit_link (position, event_id, prev_hash, hash, at, horizon) "
        "SELECT seq, id, prev_hash, hash, at, NULL FROM audit_event"
    )


def events_from_links(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM audit_event e "
            "WHERE NOT EXISTS (SELECT 1 FROM audit_link l WHERE l.event_id = e.id)"
        )
        (pending,) = cursor.fetchone()
    if pending:
        raise RuntimeError(
            f"{pending} audit events are not chained yet: run `manage.py sequence_audit_chain` "
            "first, then migrate back"
        )
    postgres = _postgres(schema_editor)
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    # Negative first: the new numbers may collide with old ones on the unique index.
    schema_editor.execute(
        "UPDATE audit_event SET seq = -(SELECT position FROM audit_link l "
        "WHERE l.event_id = audit_event.id), "
        "prev_hash = (SELECT prev_hash FROM audit_link l WHERE l.event_id = audit_event.id), "
        "hash = (SELECT hash FROM audit_link l WHERE l.event_id = audit_event.id)"
    )
    schema_editor.execute("UPDATE audit_event SET seq = -seq")
    if postgres:
        # ALTER TABLE refuses while the updates' deferred key checks are pending: run them.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")


def install_triggers(apps, schema_editor):
    if _postgres(schema_editor):
        schema_editor.execute(XID_TRIGGER, params=None)


def drop_triggers(apps, schema_editor):
    if _postgres(schema_editor):
        schema_editor.execute(DROP_TRIGGERS, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_refuse_truncate")]

    operations = [
        migrations.CreateModel(
            name="Link",
            fields=[
                (
                    "position",
                    models.BigIntegerField(
                        primary_key=True, serialize=False, verbose_name="position"
                    ),
                ),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64)),
                ("at", models.DateTimeField(verbose_name="chained at")),
                ("horizon", models.BigIntegerField(blank=True, null=True)),
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="link",
                        to="audit.event",
                        verbose_name="access event",
                    ),
                ),
            ],
            options={
                "verbose_name": "chain link",
                "verbose_name_plural": "chain links",
            },
        ),
        migrations.AddField(
            model_name="event",
            name="xid",
            field=models.BigIntegerField(blank=True, db_index=True, editable=False, null=True),
        ),
        migrations.RunPython(create_sequence, drop_sequence),
        migrations.AlterField(
            model_name="event",
            name="seq",
            field=models.BigIntegerField(
                db_default=audit.models.NextEventNumber(),
                editable=False,
                unique=True,
                verbose_name="number",
            ),
        ),
        migrations.RunPython(links_from_events, events_from_links),
        # A default first, so that migrating back can add the columns to a filled table.
        migrations.AlterField(
            model_name="event",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="event",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64),
        ),
        migrations.RemoveField(model_name="event", name="prev_hash"),
        migrations.RemoveField(model_name="event", name="hash"),
        migrations.RunPython(install_triggers, drop_triggers),
    ]
