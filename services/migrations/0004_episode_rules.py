"""Give treatment stages a version (edits refuse a lost update), explain a repeated stage, and
let PostgreSQL refuse two overlapping facility episodes of one person.

The exclusion constraint needs the btree_gist extension (equality on the person's uuid in a
GiST index). SQLite (the local demo) has neither, so there the rule is the model's check only.
"""

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# Half-open ranges: an episode may end on the day the next one starts (a transfer).
ADD_EXCLUSION = """
ALTER TABLE services_treatmentepisode
    ADD CONSTRAINT episode_residential_no_overlap
    EXCLUDE USING gist (
        person_id WITH =,
        daterange(started_on, coalesce(ended_on, 'infinity'::date), '[)') WITH &&
    )
    WHERE (modality IN ('facility_voluntary', 'facility_compulsory'))
"""


def add_exclusion(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(ADD_EXCLUSION)


def drop_exclusion(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # The extension stays: other tables may use it, and it holds no data.
    schema_editor.execute(
        "ALTER TABLE services_treatmentepisode "
        "DROP CONSTRAINT IF EXISTS episode_residential_no_overlap"
    )


class Migration(migrations.Migration):
    dependencies = [("services", "0003_support_rules")]

    operations = [
        migrations.AddField(
            model_name="episodestage",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="version"),
        ),
        migrations.AddField(
            model_name="historicalepisodestage",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="version"),
        ),
        migrations.AlterConstraint(
            model_name="episodestage",
            name="stage_once_per_episode",
            constraint=models.UniqueConstraint(
                fields=("episode", "stage"),
                name="stage_once_per_episode",
                violation_error_code="stage_repeated",
                violation_error_message=(
                    "This stage is already recorded for this episode: edit it instead."
                ),
            ),
        ),
        migrations.RunPython(add_exclusion, drop_exclusion),
    ]
