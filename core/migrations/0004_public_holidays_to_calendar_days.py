"""Hand the public holidays to the calendar_days app: state only, the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_holiday_english_name_optional"),
        ("calendar_days", "0001_public_holidays_from_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="PublicHoliday")],
            database_operations=[],
        ),
    ]
