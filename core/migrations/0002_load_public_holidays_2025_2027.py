"""Load the official days off of 2025 and 2026, and 2027's as computed (provisional).

Sources per year are listed in docs/workdays.md. Rows: (day, name_vi, name_en, kind,
provisional). Later years, or a changed decision, come through ``manage.py load_holidays``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import migrations

NEW_YEAR = ("Tết Dương lịch", "New Year's Day")
HUNG = ("Giỗ Tổ Hùng Vương (10/3 âm lịch)", "Hùng Kings' Commemoration (10th of the 3rd lunar month)")
APR30 = ("Ngày Chiến thắng (30/4)", "Reunification Day (30 April)")
MAY1 = ("Ngày Quốc tế Lao động (1/5)", "International Workers' Day (1 May)")
SEP2 = ("Quốc khánh (2/9)", "National Day (2 September)")
SEP_NEXT = ("Quốc khánh (ngày liền kề)", "National Day (adjacent day)")


def tet(lunar_vi: str, lunar_en: str) -> tuple[str, str]:
    return (f"Tết Nguyên Đán ({lunar_vi})", f"Lunar New Year, Tết ({lunar_en})")


LAST = ("29 tháng Chạp, ngày cuối năm", "last day of the lunar year")
D28 = ("28 tháng Chạp", "28th of the 12th lunar month")
M1, M2 = ("mùng 1 tháng Giêng", "1st lunar day"), ("mùng 2 tháng Giêng", "2nd lunar day")
M3, M4 = ("mùng 3 tháng Giêng", "3rd lunar day"), ("mùng 4 tháng Giêng", "4th lunar day")


def bridging(for_vi: str, for_en: str) -> tuple[str, str]:
    return (f"Nghỉ hoán đổi ({for_vi})", f"Bridging day off ({for_en})")


def makeup(for_vi: str, for_en: str) -> tuple[str, str]:
    return (f"Làm bù cho ngày nghỉ {for_vi}", f"Make-up working day for {for_en}")


def compensatory(for_vi: str, for_en: str) -> tuple[str, str]:
    return (f"Nghỉ bù {for_vi}", f"Compensatory day off for {for_en}")


D = datetime.date
ROWS: list[tuple[datetime.date, tuple[str, str], str, bool]] = [
    # 2025 (Official Dispatch 8726/VPCP-KGVX of 26/11/2024 and the labour ministry's notices)
    (D(2025, 1, 1), NEW_YEAR, "fixed", False),
    (D(2025, 1, 27), tet(*D28), "lunar", False),
    (D(2025, 1, 28), tet(*LAST), "lunar", False),
    (D(2025, 1, 29), tet(*M1), "lunar", False),
    (D(2025, 1, 30), tet(*M2), "lunar", False),
    (D(2025, 1, 31), tet(*M3), "lunar", False),
    (D(2025, 4, 7), HUNG, "lunar", False),
    (D(2025, 4, 26), makeup("2/5", "2 May"), "makeup", False),
    (D(2025, 4, 30), APR30, "fixed", False),
    (D(2025, 5, 1), MAY1, "fixed", False),
    (D(2025, 5, 2), bridging("làm bù thứ Bảy 26/4", "worked on Saturday 26 April"), "bridging", False),
    (D(2025, 9, 1), SEP_NEXT, "fixed", False),
    (D(2025, 9, 2), SEP2, "fixed", False),
    # 2026 (Official Dispatch 12729/VPCP-KGVX of 25/12/2025; Notice 9441/TB-BNV of 16/10/2025)
    (D(2026, 1, 1), NEW_YEAR, "fixed", False),
    (D(2026, 1, 2), bridging("làm bù thứ Bảy 10/1", "worked on Saturday 10 January"), "bridging", False),
    (D(2026, 1, 10), makeup("2/1", "2 January"), "makeup", False),
    (D(2026, 2, 16), tet(*LAST), "lunar", False),
    (D(2026, 2, 17), tet(*M1), "lunar", False),
    (D(2026, 2, 18), tet(*M2), "lunar", False),
    (D(2026, 2, 19), tet(*M3), "lunar", False),
    (D(2026, 2, 20), tet(*M4), "lunar", False),
    (D(2026, 4, 26), HUNG, "lunar", False),
    (D(2026, 4, 27), compensatory("Giỗ Tổ Hùng Vương", "the Hùng Kings' Commemoration"), "compensatory", False),
    (D(2026, 4, 30), APR30, "fixed", False),
    (D(2026, 5, 1), MAY1, "fixed", False),
    (D(2026, 8, 22), makeup("31/8", "31 August"), "makeup", False),
    (D(2026, 8, 31), bridging("làm bù thứ Bảy 22/8", "worked on Saturday 22 August"), "bridging", False),
    (D(2026, 9, 1), SEP_NEXT, "fixed", False),
    (D(2026, 9, 2), SEP2, "fixed", False),
    # 2027: the statutory days are certain; Tết's split and the day next to 2/9 are chosen
    # by the government each year, so they are computed here and marked provisional.
    (D(2027, 1, 1), NEW_YEAR, "fixed", False),
    (D(2027, 2, 5), tet(*LAST), "lunar", True),
    (D(2027, 2, 6), tet(*M1), "lunar", True),
    (D(2027, 2, 7), tet(*M2), "lunar", True),
    (D(2027, 2, 8), tet(*M3), "lunar", True),
    (D(2027, 2, 9), tet(*M4), "lunar", True),
    (D(2027, 2, 10), compensatory("mùng 1 Tết (thứ Bảy)", "the 1st lunar day (a Saturday)"), "compensatory", True),
    (D(2027, 2, 11), compensatory("mùng 2 Tết (Chủ nhật)", "the 2nd lunar day (a Sunday)"), "compensatory", True),
    (D(2027, 4, 16), HUNG, "lunar", True),
    (D(2027, 4, 30), APR30, "fixed", False),
    (D(2027, 5, 1), MAY1, "fixed", False),
    (D(2027, 5, 3), compensatory("1/5 (thứ Bảy)", "1 May (a Saturday)"), "compensatory", False),
    (D(2027, 9, 2), SEP2, "fixed", False),
    (D(2027, 9, 3), SEP_NEXT, "fixed", True),
]  # fmt: skip


def load(apps: Any, schema_editor: Any) -> None:
    holiday = apps.get_model("core", "PublicHoliday")
    for day, (name_vi, name_en), kind, provisional in ROWS:
        holiday.objects.update_or_create(
            day=day,
            defaults={"name_vi": name_vi, "name_en": name_en, "kind": kind,
                      "provisional": provisional},
        )  # fmt: skip


def unload(apps: Any, schema_editor: Any) -> None:
    apps.get_model("core", "PublicHoliday").objects.filter(day__in=[r[0] for r in ROWS]).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_public_holidays")]
    operations = [migrations.RunPython(load, unload)]
