"""Load the organisation types named in DESIGN.md; sectors are data so they can move (Law 120/2025)."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

TYPES = [
    ("rehab-public", "Cơ sở cai nghiện ma túy công lập", "Cai nghiện"),
    ("rehab-private", "Cơ sở cai nghiện ma túy tư nhân", "Cai nghiện"),
    ("methadone-clinic", "Cơ sở điều trị methadone", "Y tế"),
    ("commune-committee", "UBND xã/phường", "Chính quyền"),
    ("social-affairs-office", "Phòng/Sở phụ trách xã hội", "Xã hội"),
    ("nha-nhan-ai", "Nhà Nhân ái", "Xã hội"),
    ("vocational-school", "Cơ sở giáo dục nghề nghiệp", "Giáo dục nghề nghiệp"),
    ("health-facility", "Cơ sở y tế", "Y tế"),
    ("legal-aid", "Trung tâm trợ giúp pháp lý", "Tư pháp"),
    ("police", "Công an xã/phường", "Công an"),
]


def load(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    model = apps.get_model("cases", "OrganisationType")
    for code, name, sector in TYPES:
        model.objects.update_or_create(code=code, defaults={"name": name, "sector": sector})


def unload(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("cases", "OrganisationType").objects.filter(
        code__in=[code for code, _, _ in TYPES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
