"""The two provincial plans of the brief, with their targets, for the demo province.

Lào Cai's plan 30/KH-UBND (2022) and Lâm Đồng's plan 4960/KH-UBND (2023–2025) set the
targets the figures are judged against (docs/plans.md). The demo has one fictitious
province, so it carries both plans' targets, for the years its records cover (2024–2026),
with each plan's number, issuer and section as written. Only what the plans say: the staff
training and communication targets are programme's (``programme/demo.py``, D48), and
"curb the growth of new people with addiction" (Lào Cai 2.3) sets no figure. Only called
by ``seed_demo``.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from cases.demo import PROVINCE
from cases.models import AdministrativeUnit

from .models import Comparison, Plan, Target, TargetKind

YEARS = (2024, 2026)
# The sector of the social-affairs organisation types (cases migration 0002: data, not code).
SOCIAL_AFFAIRS = "Xã hội"

# A target: (indicator, kind, comparison, value, section, note) and, for a breakdown value's
# target, (breakdown, key) last. A plan: number, issuer, title, issued on, its targets.
TargetRow = (
    tuple[str, str, str, str, str, str] | tuple[str, str, str, str, str, str, tuple[str, str]]
)
PLANS: list[tuple[str, str, str, datetime.date, list[TargetRow]]] = [
    (
        "30/KH-UBND",
        "UBND tỉnh Lào Cai",
        "Kế hoạch công tác cai nghiện ma túy, phòng, chống mại dâm và tiếp nhận nạn nhân "
        "bị mua bán trở về",
        datetime.date(2022, 2, 15),
        [
            (
                "TX_COVERAGE",
                TargetKind.SHARE,
                Comparison.AT_LEAST,
                "70",
                "2.3",
                "Người nghiện có hồ sơ quản lý được điều trị, cai nghiện bằng các hình thức",
            ),
            (
                # The social-affairs sector's share, not the total's (which is TX_COVERAGE).
                "TX_SECTOR",
                TargetKind.SHARE,
                Comparison.AT_LEAST,
                "41.13",
                "2.3",
                "Ngành Lao động – Thương binh và Xã hội điều trị 1.650 người (41,13%)",
                ("sector", SOCIAL_AFFAIRS),
            ),
            (
                "VICTIM_SUPPORT",
                TargetKind.SHARE,
                Comparison.AT_LEAST,
                "100",
                "2.5",
                "Nạn nhân bị mua bán trở về được hưởng các chế độ hỗ trợ theo quy định",
            ),
        ],
    ),
    (
        "4960/KH-UBND",
        "UBND tỉnh Lâm Đồng",
        "Kế hoạch nâng cao hiệu quả công tác cai nghiện ma túy và phòng ngừa nghiện ma túy "
        "trong nhóm nguy cơ cao giai đoạn 2023–2025",
        datetime.date(2023, 7, 1),
        [
            (
                "SCREEN_COVERAGE",
                TargetKind.SHARE,
                Comparison.MORE_THAN,
                "80",
                "II.2.a",
                "Người nghiện có hồ sơ quản lý được tư vấn, sàng lọc, đánh giá",
            ),
            (
                "POSTREHAB_SUPPORT",
                TargetKind.SHARE,
                Comparison.MORE_THAN,
                "80",
                "II.2.a",
                "Người sau cai được hỗ trợ học nghề, việc làm, tái hòa nhập cộng đồng",
            ),
            (
                "USER_REACH",
                TargetKind.SHARE,
                Comparison.MORE_THAN,
                "80",
                "II.2.b",
                "Người sử dụng trái phép chất ma túy có hồ sơ quản lý được tiếp cận dịch vụ "
                "tư vấn, dự phòng",
            ),
        ],
    ),
]


def seed(rng: random.Random) -> None:
    """Enter both plans and their targets for the demo province (the system writes them)."""
    province = AdministrativeUnit.objects.filter(code=PROVINCE).first()
    if province is None or Plan.objects.filter(unit=province).exists():
        return
    first, last = YEARS
    for number, issuer, title, issued_on, targets in PLANS:
        plan = Plan(
            number=number,
            issuer=issuer,
            title=title,
            unit=province,
            issued_on=issued_on,
            first_year=first,
            last_year=last,
        )
        plan.full_clean()
        plan.save()
        for row in targets:
            code, kind, comparison, value, clause, note = row[:6]
            breakdown, key = row[6] if len(row) == 7 else ("", "")
            for year in plan.years:
                target = Target(
                    plan=plan,
                    indicator=code,
                    unit=province,
                    year=year,
                    kind=kind,
                    comparison=comparison,
                    value=Decimal(value),
                    clause=clause,
                    note=note,
                    breakdown=breakdown,
                    key=key,
                )
                target.full_clean()
                target.save()
