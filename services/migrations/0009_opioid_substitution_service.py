"""Add opioid substitution treatment (methadone) to the catalogue, so a person can be referred
to a methadone clinic for it (issue 23, item 17)."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CODE = "opioid_substitution"


def load(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("services", "ServiceType").objects.update_or_create(
        code=CODE,
        defaults={
            "name_vi": "Điều trị nghiện các chất dạng thuốc phiện bằng thuốc thay thế (methadone)",
            "name_en": "Opioid substitution treatment (methadone)",
            "category": "health", "applies_to": ["addiction", "drug_user", "post_rehab"],
            "records_amount": False, "order": 55, "answer_within_days": 5,
        },
    )  # fmt: skip


def unload(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("services", "ServiceType").objects.filter(code=CODE).delete()


class Migration(migrations.Migration):
    dependencies = [("services", "0008_screening_injecting")]
    operations = [migrations.RunPython(load, unload)]
