"""The training topics, as data: those that count as training for treatment / post-rehab
work (the training share, docs/indicators.md) first."""

from django.db import migrations

TOPICS = [
    # code, name, counts for the training share
    ("treatment", "Điều trị nghiện ma túy", True),
    ("post_rehab", "Quản lý sau cai nghiện", True),
    ("counselling", "Tư vấn, hỗ trợ người nghiện ma túy", True),
    ("methadone", "Điều trị thay thế bằng methadone", True),
    ("victims", "Tiếp nhận, hỗ trợ nạn nhân bị mua bán", False),
    ("family_care", "Chăm sóc, hỗ trợ người nghiện tại gia đình", False),
    ("prevention", "Truyền thông phòng, chống ma túy", False),
    ("other", "Chủ đề khác", False),
]


def add(apps, schema_editor):
    Topic = apps.get_model("programme", "Topic")
    for code, name, counts in TOPICS:
        Topic.objects.update_or_create(code=code, defaults={"name": name, "counts": counts})


def remove(apps, schema_editor):
    apps.get_model("programme", "Topic").objects.filter(
        code__in=[code for code, _name, _counts in TOPICS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("programme", "0001_courses_volunteers_activities")]

    operations = [migrations.RunPython(add, remove)]
