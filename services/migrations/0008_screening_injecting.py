"""Keep ASSIST Q8 (injecting) coded in clear on each screening, filled from the stored answers.

The answers are decrypted here through the field classes of the migration's model state (the
same EncryptedTextField, bound to the row and the field), in batches; only the option code of
Q8 is copied. The history rows are left as they were.
"""

import json
from typing import Any

from django.conf import settings
from django.db import migrations, models

BATCH = 500
CODES = ("no_never", "yes_recent", "yes_earlier")


def fill_injecting(apps: Any, schema_editor: Any) -> None:
    """Copy Q8's option code from each ASSIST screening's encrypted answers."""
    screening = apps.get_model("services", "Screening")
    rows = screening.objects.filter(instrument="assist", injecting="").order_by("pk")
    changed: list[Any] = []
    for row in rows.only("id", "answers", "injecting").iterator(chunk_size=BATCH):
        value = json.loads(str(row.answers or "{}")).get("q8", "")
        if value in CODES:
            row.injecting = value
            changed.append(row)
        if len(changed) >= BATCH:
            screening.objects.bulk_update(changed, ["injecting"])
            changed = []
    if changed:
        screening.objects.bulk_update(changed, ["injecting"])


class Migration(migrations.Migration):

    dependencies = [
        ('services', '0007_methadone_clinic_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalscreening',
            name='injecting',
            field=models.CharField(blank=True, choices=[('no_never', 'No, never'), ('yes_recent', 'Yes, in the past 3 months'), ('yes_earlier', 'Yes, but not in the past 3 months')], default='', max_length=12, verbose_name='injecting drug use'),
        ),
        migrations.AddField(
            model_name='screening',
            name='injecting',
            field=models.CharField(blank=True, choices=[('no_never', 'No, never'), ('yes_recent', 'Yes, in the past 3 months'), ('yes_earlier', 'Yes, but not in the past 3 months')], default='', max_length=12, verbose_name='injecting drug use'),
        ),
        migrations.RunPython(fill_injecting, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name='screening',
            constraint=models.CheckConstraint(condition=models.Q(('injecting', ''), models.Q(('injecting__in', ['no_never', 'yes_recent', 'yes_earlier']), ('instrument', 'assist')), _connector='OR'), name='screening_injecting_is_assist_q8'),
        ),
    ]
