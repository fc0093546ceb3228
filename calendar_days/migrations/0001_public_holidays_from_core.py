"""Take the public holidays over from core: the table (core_publicholiday) and its rows stay
where they are; only Django's record of which app owns the model moves, with its content type
(so the permissions the role groups hold and the admin's log entries follow the model)."""

from typing import Any

from django.db import migrations, models

MODEL = "publicholiday"


def _move_content_type(apps: Any, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    if content_type.objects.filter(app_label=target, model=MODEL).exists():
        return
    content_type.objects.filter(app_label=source, model=MODEL).update(app_label=target)


def forwards(apps: Any, schema_editor: Any) -> None:
    _move_content_type(apps, "core", "calendar_days")


def backwards(apps: Any, schema_editor: Any) -> None:
    _move_content_type(apps, "calendar_days", "core")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0003_holiday_english_name_optional"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PublicHoliday",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("day", models.DateField(unique=True, verbose_name="day")),
                        ("name_vi", models.CharField(max_length=200, verbose_name="name (Vietnamese)")),
                        ("name_en", models.CharField(blank=True, max_length=200, verbose_name="name (English)")),
                        ("kind", models.CharField(choices=[("fixed", "Fixed date (solar calendar)"), ("lunar", "Lunar calendar date"), ("compensatory", "Compensatory day off (a holiday fell on a weekend)"), ("bridging", "Bridging day off (swapped with a weekend day worked)"), ("makeup", "Make-up working day (a weekend day worked instead)")], max_length=20, verbose_name="kind")),
                        ("provisional", models.BooleanField(default=False, verbose_name="not yet officially announced")),
                    ],
                    options={
                        "verbose_name": "public holiday",
                        "verbose_name_plural": "public holidays",
                        "db_table": "core_publicholiday",
                        "ordering": ["day"],
                        "constraints": [models.CheckConstraint(condition=models.Q(("kind__in", ["fixed", "lunar", "compensatory", "bridging", "makeup"])), name="publicholiday_kind_known")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
