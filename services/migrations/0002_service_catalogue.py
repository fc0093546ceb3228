"""Load the first service catalogue: support for returned victims (the law's list) and the
counselling, prevention and health services the provincial plans count. Data, editable."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

VICTIM = ["trafficking_victim"]
DRUGS = ["addiction", "drug_user", "high_risk", "post_rehab"]

# code, Vietnamese, English, category, offered to, records an amount
CATALOGUE = [
    ("essential_needs", "Hỗ trợ nhu cầu thiết yếu", "Essential needs", "victim_support", VICTIM, True),
    ("travel", "Hỗ trợ chi phí đi lại", "Travel costs", "victim_support", VICTIM, True),
    ("medical", "Hỗ trợ y tế", "Medical care", "health", [], True),
    ("psychological", "Hỗ trợ tâm lý", "Psychological support", "counselling", [], False),
    ("legal_aid", "Trợ giúp pháp lý", "Legal aid", "victim_support", [], False),
    ("education_vocational", "Hỗ trợ học văn hóa, học nghề", "Education and vocational support",
     "vocational", [], True),
    ("hardship_allowance", "Trợ cấp khó khăn ban đầu", "Initial hardship allowance",
     "victim_support", VICTIM, True),
    ("loan", "Hỗ trợ vay vốn", "Loan", "victim_support", [], True),
    ("counselling", "Tư vấn", "Counselling", "counselling", [], False),
    ("prevention", "Tư vấn, truyền thông phòng ngừa", "Prevention counselling and information",
     "prevention", DRUGS, False),
    ("hiv_testing", "Xét nghiệm HIV", "HIV testing", "health", [], False),
    ("family_support", "Hỗ trợ gia đình", "Family support", "social", [], False),
]


def load(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    model = apps.get_model("services", "ServiceType")
    for order, (code, vi, en, category, applies_to, amount) in enumerate(CATALOGUE, start=1):
        model.objects.update_or_create(
            code=code,
            defaults={
                "name_vi": vi, "name_en": en, "category": category, "applies_to": applies_to,
                "records_amount": amount, "order": order * 10,
            },
        )  # fmt: skip


def unload(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("services", "ServiceType").objects.filter(
        code__in=[row[0] for row in CATALOGUE]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
