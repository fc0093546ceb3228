"""A reorganisation's mapping rows re-base movers' old units (D57): their writes mark
figures stale."""

from django.db import migrations

from reports import rollup_triggers

# This migration's own copy of the table it adds (see 0004).
TABLES = {"cases_unitsuccession": rollup_triggers.BY_SUCCESSION}


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(rollup_triggers.forward(TABLES), params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(rollup_triggers.reverse(TABLES), params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_residence_staleness_triggers"),
        ("cases", "0021_unit_reorganisation_record"),
    ]

    operations = [migrations.RunPython(install, remove)]
