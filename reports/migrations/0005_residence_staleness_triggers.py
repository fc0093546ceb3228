"""The residence history (D50) is read by every figure: its writes mark figures stale."""

from django.db import migrations

from reports import rollup_triggers

# This migration's own copy of the table it adds (see 0004).
TABLES = {"cases_residence": rollup_triggers.BY_RESIDENCE}


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
        ("reports", "0004_figure_rollup"),
        ("cases", "0020_residence_history_and_moves"),
    ]

    operations = [migrations.RunPython(install, remove)]
