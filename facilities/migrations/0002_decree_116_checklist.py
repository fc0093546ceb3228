"""The first checklist: the conditions of Decree 116/2021/NĐ-CP for a drug rehabilitation
facility (location, building, equipment, staff), as data. The wording is a summary of the
decree's conditions; a province that needs other wording adds a new version (docs/facilities.md)."""

import datetime

from django.db import migrations

CODE = "nd-116-2021"
TITLE = "Điều kiện cơ sở cai nghiện ma túy – Nghị định 116/2021/NĐ-CP"
SOURCE = "Nghị định 116/2021/NĐ-CP ngày 21/12/2021 của Chính phủ"
# (area, number, condition)
ITEMS = [
    ("location", "1.1", "Đặt tại địa điểm thuận tiện tiếp cận giao thông và cơ sở y tế; có điện, nước sạch phục vụ sinh hoạt; có tường bao và biển tên cơ sở"),
    ("building", "2.1", "Diện tích đất tự nhiên bình quân: 80 m²/người ở thành thị, 100 m²/người ở nông thôn, 120 m²/người ở miền núi"),
    ("building", "2.2", "Diện tích phòng ở bình quân 6 m²/người; 8 m²/người đối với người cần chăm sóc 24/24 giờ"),
    ("building", "2.3", "Có khu hành chính, khu y tế (cắt cơn, cấp cứu, điều trị) và khu lưu trú"),
    ("building", "2.4", "Có khu tư vấn, giáo dục, phục hồi hành vi, nhân cách"),
    ("building", "2.5", "Có khu học nghề, lao động trị liệu và khu sinh hoạt văn hóa, thể dục thể thao"),
    ("building", "2.6", "Bố trí khu lưu trú riêng cho nam, nữ và người chưa thành niên"),
    ("equipment", "3.1", "Trang thiết bị y tế và thuốc thiết yếu phục vụ cắt cơn, cấp cứu, điều trị bệnh thông thường"),
    ("equipment", "3.2", "Trang thiết bị phục vụ tư vấn, giáo dục, phục hồi hành vi và học nghề, lao động trị liệu"),
    ("equipment", "3.3", "Trang thiết bị sinh hoạt (giường, chăn, màn, tủ đồ cá nhân) và phòng cháy, chữa cháy"),
    ("staff", "4.1", "Người đứng đầu có trình độ đại học trở lên và kinh nghiệm trong lĩnh vực cai nghiện, y tế hoặc xã hội"),
    ("staff", "4.2", "Có nhân viên y tế (bác sĩ hoặc y sĩ) đủ điều kiện hành nghề khám bệnh, chữa bệnh"),
    ("staff", "4.3", "Có nhân viên tư vấn tâm lý, công tác xã hội"),
    ("staff", "4.4", "Có nhân viên hướng dẫn học nghề, lao động trị liệu và nhân viên bảo vệ"),
]


def load(apps, schema_editor):
    version_model = apps.get_model("facilities", "ChecklistVersion")
    item_model = apps.get_model("facilities", "ChecklistItem")
    version, _created = version_model.objects.update_or_create(
        code=CODE,
        defaults={
            "title": TITLE,
            "source": SOURCE,
            "valid_from": datetime.date(2022, 2, 8),
            "is_active": True,
        },
    )
    for order, (area, number, text) in enumerate(ITEMS, start=1):
        item_model.objects.update_or_create(
            version=version,
            number=number,
            defaults={"area": area, "text": text, "order": order * 10},
        )


def unload(apps, schema_editor):
    version_model = apps.get_model("facilities", "ChecklistVersion")
    item_model = apps.get_model("facilities", "ChecklistItem")
    item_model.objects.filter(version__code=CODE).delete()
    version_model.objects.filter(code=CODE).delete()


class Migration(migrations.Migration):
    dependencies = [("facilities", "0001_facility_registry")]

    operations = [migrations.RunPython(load, unload)]
