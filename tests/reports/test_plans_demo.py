"""The demo province carries the two provincial plans' targets (DESIGN.md §1)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from django.core.management import call_command

from cases.models import AdministrativeUnit
from reports.models import Plan, Target
from reports.plans import target_for
from reports.registry import Period

# The indicator codes the issue-25 helpers share (a target names one of them).
CODES = {
    "TX_COVERAGE", "TX_SECTOR", "SCREEN_COVERAGE", "POSTREHAB_SUPPORT", "POSTREHAB_EMPLOYED",
    "USER_REACH", "VICTIM_SUPPORT", "VICTIM_SERVICE", "NEW_ADDICTION", "NEW_ADDICTION_PREV",
    "MMT_IN_TREATMENT", "MMT_RETENTION_6", "MMT_RETENTION_12", "MMT_ADHERENCE",
    "MMT_INJECTING", "TX_COMPLETED", "TX_DROPPED", "POSTREHAB_COMPLETED", "RELAPSE",
    "REF_SENT", "REF_ACCEPTED", "REF_COMPLETED", "REF_MEDIAN_DAYS",
}  # fmt: skip
# The programme's targets of the same two plans, entered by programme's demo (D48).
CODES |= {"TRAIN_STAFF_SHARE", "ACT_COMMUNES_REACHED", "ACT_MATERIALS"}


def test_the_demo_has_both_plans_and_their_targets(db: None) -> None:
    call_command("seed_demo", "--people", "30", stdout=io.StringIO())
    assert set(Plan.objects.values_list("number", "issuer")) == {
        ("30/KH-UBND", "UBND tỉnh Lào Cai"),
        ("4960/KH-UBND", "UBND tỉnh Lâm Đồng"),
    }
    assert set(Target.objects.values_list("indicator", flat=True)) <= CODES
    province = AdministrativeUnit.objects.get(code="99")
    commune = AdministrativeUnit.objects.filter(path__startswith=province.path, level="commune")[0]
    half = Period(datetime.date(2025, 1, 1), datetime.date(2025, 6, 30))
    expected = {
        "TX_COVERAGE": ("at_least", Decimal("70"), "30/KH-UBND"),
        "VICTIM_SUPPORT": ("at_least", Decimal("100"), "30/KH-UBND"),
        "SCREEN_COVERAGE": ("more_than", Decimal("80"), "4960/KH-UBND"),
        "POSTREHAB_SUPPORT": ("more_than", Decimal("80"), "4960/KH-UBND"),
        "USER_REACH": ("more_than", Decimal("80"), "4960/KH-UBND"),
    }
    for code, (comparison, value, number) in expected.items():
        # A commune of the demo province is judged against the province's target.
        found = target_for(commune, code, half)
        assert found is not None, code
        assert (found.comparison, found.value, found.plan_number, found.kind) == (
            comparison,
            value,
            number,
            "share",
        ), code
    # Lào Cai 2.3: the social-affairs sector's share, a target of that sector alone; the
    # total of TX_SECTOR (everyone treated, which TX_COVERAGE judges) has none.
    sector = target_for(commune, "TX_SECTOR", half, breakdown="sector", key="Xã hội")
    assert sector is not None
    assert (sector.comparison, sector.value, sector.plan_number, sector.kind) == (
        "at_least",
        Decimal("41.13"),
        "30/KH-UBND",
        "share",
    )
    assert target_for(commune, "TX_SECTOR", half) is None
    # "Curb the growth" sets no figure: no target.
    assert target_for(province, "NEW_ADDICTION", half) is None
