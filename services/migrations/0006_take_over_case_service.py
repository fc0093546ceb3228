"""Add the catalogue row whose referral hands the whole case over: "Take over this case"."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CODE = "take_over_case"


def load(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("services", "ServiceType").objects.update_or_create(
        code=CODE,
        defaults={
            "name_vi": "Tiếp nhận quản lý hồ sơ (chuyển giao)", "name_en": "Take over this case",
            "category": "other", "applies_to": [], "records_amount": False, "order": 900,
            "answer_within_days": 5, "transfers_case": True,
        },
    )  # fmt: skip


def unload(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("services", "ServiceType").objects.filter(code=CODE).delete()


class Migration(migrations.Migration):
    dependencies = [("services", "0005_referral_answer_days_and_transfer")]
    operations = [migrations.RunPython(load, unload)]
