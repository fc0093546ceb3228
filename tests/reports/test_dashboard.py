"""The figures dashboard (/figures/): drill-down rows for both shapes of the unit tree, the
period filters, the unit a viewer may look at, the people behind a number, the page's CSP.

hoa is the province's supervisor, minh the officer of commune 98101 (tests/conftest.py).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.urls import reverse

from audit.models import Event
from cases.choices import ClientCategory, UnitLevel
from cases.events import CaseAction
from cases.models import AdministrativeUnit, Person
from core import navigation
from reports import tables
from reports.registry import Cell, Indicator, Period
from tests.conftest import World
from tests.factories import make_case, make_person
from tests.reports import dashboard_fixtures

# The test indicators and the plan's target (fixtures shared by the dashboard tests).
indicators = dashboard_fixtures.indicators
target_70 = dashboard_fixtures.target_70

YEAR = Period(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))


def _resident(
    world: World,
    commune: str,
    sex: str = "M",
    *,
    treated: bool = False,
    category: str = ClientCategory.ADDICTION,
    name: str = "Nguyễn Văn Thử",
) -> Person:
    person = make_person(
        residence_commune=world.units[commune],
        registered_by=world.orgs["clinic_a"],
        sex=sex,
        full_name=name,
    )
    if treated:
        make_case(
            person=person,
            organisation=world.orgs["clinic_a"],
            category=category,
            opened_on=datetime.date(2026, 3, 1),
        )
    return person


# --- rows: drilling down the unit tree ---------------------------------------------------------


def test_a_province_drills_down_to_districts_and_to_communes_directly_under_it(
    world: World, django_assert_num_queries: Any
) -> None:
    """Province 98 has two districts and one commune directly under it (the mixed tree)."""
    u = world.units
    with django_assert_num_queries(1):
        rows, communes = tables.child_rows(u["province"])
    assert [r.unit_id for r in rows] == [u["c4"].pk, u["d1"].pk, u["d2"].pk]
    assert [r.code for r in rows] == ["98001", "981", "982"]
    assert communes == {
        u["c1"].pk: u["d1"].pk,
        u["c2"].pk: u["d1"].pk,
        u["c3"].pk: u["d2"].pk,
        u["c4"].pk: u["c4"].pk,
    }


def test_a_district_drills_down_to_its_communes(world: World) -> None:
    u = world.units
    rows, communes = tables.child_rows(u["d1"])
    assert [r.label for r in rows] == ["Xã Một Một", "Xã Một Hai"]
    assert communes == {u["c1"].pk: u["c1"].pk, u["c2"].pk: u["c2"].pk}


def test_a_commune_is_one_row_itself(world: World, django_assert_num_queries: Any) -> None:
    c1 = world.units["c1"]
    with django_assert_num_queries(0):
        rows, communes = tables.child_rows(c1)
    assert rows == [tables.Row(c1.pk, c1.name, c1.code)]
    assert communes == {c1.pk: c1.pk}


def test_a_two_tier_province_after_the_2025_reform_has_communes_as_rows(db: Any) -> None:
    """Province → commune, no district: every commune is a row of its own."""
    province = AdministrativeUnit.objects.create(
        code="96", name="Tỉnh Mới", level=UnitLevel.PROVINCE
    )
    communes = [
        AdministrativeUnit.objects.create(
            code=c, name=f"Xã {c}", level=UnitLevel.COMMUNE, parent=province
        )
        for c in ("96001", "96002", "96003")
    ]
    rows, mapping = tables.child_rows(province)
    assert [r.unit_id for r in rows] == [c.pk for c in communes]
    assert mapping == {c.pk: c.pk for c in communes}


def test_build_table_counts_each_commune_under_its_row_with_totals(
    world: World,
    indicators: tuple[Indicator, Indicator],
) -> None:
    residents, addiction = indicators
    _resident(world, "c1", "F", treated=True)
    _resident(world, "c2", "M")
    _resident(world, "c3", "M", treated=True)
    _resident(world, "c4", "F")
    table = tables.build_table(addiction, world.units["province"], YEAR, "sex")
    d1, d2, c4 = world.units["d1"].pk, world.units["d2"].pk, world.units["c4"].pk
    assert table.cell(d1, None) == Cell(1, 2)
    assert table.cell(d2, None) == Cell(1, 1)
    assert table.cell(c4, None) == Cell(0, 1)
    assert table.total() == Cell(2, 4)
    assert table.cell(None, "F") == Cell(1, 2)
    assert [c.key for c in table.columns] == ["M", "F"]
    assert table.target is None
    with pytest.raises(ValueError, match="no breakdown"):
        tables.build_table(addiction, world.units["province"], YEAR, "ethnicity")


def test_build_table_carries_the_plan_target(
    world: World,
    indicators: tuple[Indicator, Indicator],
    target_70: Any,
) -> None:
    _residents, addiction = indicators
    table = tables.build_table(addiction, world.units["d1"], YEAR, None)
    assert table.target == target_70


# --- periods -----------------------------------------------------------------------------------


def test_period_helpers() -> None:
    assert tables.quarter(2026, 2) == Period(datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
    assert tables.quarter(2024, 1).end == datetime.date(2024, 3, 31)
    assert tables.half_year(2026, 2) == Period(
        datetime.date(2026, 7, 1), datetime.date(2026, 12, 31)
    )
    assert tables.year(2025) == Period(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    assert tables.custom(datetime.date(2026, 2, 3), datetime.date(2026, 2, 3)).end.day == 3
    quarters = tables.quarters_before(datetime.date(2026, 5, 20), 8)
    assert [tables.period_label(q) for q in quarters][:2] == ["Quý 3/2024", "Quý 4/2024"]
    assert quarters[-1] == tables.quarter(2026, 2)
    assert tables.period_label(tables.year(2026)) == "2026"
    assert tables.period_label(tables.half_year(2026, 1)) == "6 tháng đầu năm 2026"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: tables.quarter(2026, 5), "quarter"),
        (lambda: tables.half_year(2026, 0), "half"),
        (lambda: tables.year(1999), "year"),
        (lambda: tables.year(9999), "year"),
        (lambda: tables.custom(datetime.date(2026, 3, 1), datetime.date(2026, 2, 1)), "end"),
        (lambda: tables.custom(datetime.date(2020, 1, 1), datetime.date(2026, 1, 1)), "end"),
        (lambda: tables.custom(datetime.date(1990, 1, 1), datetime.date(1990, 2, 1)), "start"),
    ],
)
def test_a_bad_period_is_refused_with_the_field_to_fix(call: Any, field: str) -> None:
    with pytest.raises(tables.PeriodError) as refused:
        call()
    assert refused.value.field == field
    assert str(refused.value)


def test_a_bad_period_shows_its_error_keeps_the_input_and_no_figures(
    world: World,
    indicators: tuple[Indicator, Indicator],
) -> None:
    client = world.client("hoa")
    url = reverse("reports:dashboard")
    page = client.get(url, {"period": "custom", "start": "31/03/2026", "end": "01/01/2026"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="error-summary"' in html
    assert "31/03/2026" in html and "01/01/2026" in html
    assert 'data-testid="line-TEST_RESIDENTS"' not in html

    page = client.get(url, {"period": "quarter", "year": "2026", "quarter": ""})
    html = page.content.decode()
    assert 'data-testid="error-summary"' in html and 'value="2026"' in html
    assert 'data-testid="line-TEST_RESIDENTS"' not in html

    page = client.get(url, {"period": "quarter", "year": "2026", "quarter": "1"})
    assert 'data-testid="line-TEST_RESIDENTS"' in page.content.decode()


# --- the page ----------------------------------------------------------------------------------


def test_the_dashboard_shows_value_target_fraction_and_status_in_words(
    world: World,
    indicators: tuple[Indicator, Indicator],
    target_70: Any,
) -> None:
    for commune in ("c1", "c1", "c3"):
        _resident(world, commune, treated=True)
    _resident(world, "c2")
    html = world.client("hoa").get(reverse("reports:dashboard")).content.decode()
    line = re.search(r'data-testid="line-TEST_ADDICTION">(.*?)</tr>', html, re.S)
    assert line is not None
    text = line.group(1)
    assert "75,0%" in text and "3 / 4" in text and "≥ 70%" in text
    assert "✓ Đạt" in text
    # Drill-down links to the province's children, breadcrumb of the province alone.
    for code in ("981", "982", "98001"):
        assert f"unit={code}" in html


def test_the_status_says_not_met_below_the_target(
    world: World,
    indicators: tuple[Indicator, Indicator],
    target_70: Any,
) -> None:
    _resident(world, "c1", treated=True)
    _resident(world, "c2")
    html = world.client("hoa").get(reverse("reports:dashboard"), {"unit": "981"}).content.decode()
    assert "status-not_met" in html and "50,0%" in html


def test_the_dashboard_runs_no_inline_script_and_keeps_the_csp(
    world: World,
    indicators: tuple[Indicator, Indicator],
    target_70: Any,
) -> None:
    """ASVS 3.4.3: a strict Content-Security-Policy; the pages need no inline script."""
    _resident(world, "c1", treated=True)
    client = world.client("hoa")
    for name, params in (
        ("reports:dashboard", {}),
        ("reports:indicator", {"code": "TEST_ADDICTION", "unit": "981"}),
        ("reports:people", {"indicator": "TEST_RESIDENTS", "unit": "981"}),
    ):
        response = client.get(reverse(name), params)
        assert response.status_code == 200, name
        html = response.content.decode()
        assert "<script" not in html, name
        assert not re.search(r"\son[a-z]+=", html), name
        assert " style=" not in html, name
        assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_indicator_page_has_both_charts_with_their_tables(
    world: World,
    indicators: tuple[Indicator, Indicator],
    target_70: Any,
) -> None:
    _resident(world, "c1", treated=True)
    _resident(world, "c2")
    params = {"code": "TEST_ADDICTION", "period": "half", "year": "2026", "half": "1"}
    html = world.client("hoa").get(reverse("reports:indicator"), params).content.decode()
    assert html.count('role="img"') == 2
    assert 'data-testid="units-table"' in html and 'data-testid="trend-table"' in html
    trend = re.search(r'data-testid="trend-table">(.*?)</table>', html, re.S)
    assert trend is not None and trend.group(1).count("<tr>") == 1 + 8
    assert "Quý 3/2024" in trend.group(1) and "Quý 2/2026" in trend.group(1)
    # Each row of the province drills down to the same indicator for that unit.
    assert "unit=981" in html and "code=TEST_ADDICTION" in html


# --- which units a viewer may look at ----------------------------------------------------------


def test_a_unit_of_another_province_is_refused_and_recorded(
    world: World,
    indicators: tuple[Indicator, Indicator],
) -> None:
    """ASVS 8.2.2: data-level access; the refusal is a denied event naming the unit."""
    AdministrativeUnit.objects.create(code="97", name="Tỉnh Khác", level=UnitLevel.PROVINCE)
    hoa = world.users["hoa"]
    client = world.client("hoa")
    pages: tuple[tuple[str, dict[str, str]], ...] = (
        ("reports:dashboard", {}),
        ("reports:indicator", {"code": "TEST_RESIDENTS"}),
        ("reports:people", {"indicator": "TEST_RESIDENTS"}),
    )
    for name, extra in pages:
        for code in ("97", "nope"):
            before = Event.objects.filter(
                actor=hoa, action=CaseAction.DENIED, object_id=code
            ).count()
            assert client.get(reverse(name), {"unit": code, **extra}).status_code == 404
            after = Event.objects.filter(
                actor=hoa, action=CaseAction.DENIED, object_id=code
            ).count()
            assert after == before + 1, (name, code)


def test_a_unit_of_the_province_outside_the_officers_commune_is_shown_marked(
    world: World,
    indicators: tuple[Indicator, Indicator],
) -> None:
    client = world.client("minh")
    html = client.get(reverse("reports:dashboard")).content.decode()
    assert "Xã Một Một" in html and 'data-testid="outside-scope"' not in html
    html = client.get(reverse("reports:dashboard"), {"unit": "982"}).content.decode()
    assert 'data-testid="outside-scope"' in html
    # No people links outside the officer's own commune.
    _resident(world, "c3")
    html = client.get(reverse("reports:dashboard"), {"unit": "982"}).content.decode()
    assert 'data-testid="people-link"' not in html


def test_figures_are_refused_to_roles_without_them(
    world: World,
    indicators: tuple[Indicator, Indicator],
) -> None:
    for who in ("lan", "an", "quan"):
        assert world.client(who).get(reverse("reports:dashboard")).status_code == 403


def test_the_menu_offers_figures_to_who_has_them(world: World) -> None:
    names = {
        who: {link.url_name for link in navigation.menu_for(world.users[who])}
        for who in ("hoa", "minh", "lan", "an")
    }
    assert "reports:dashboard" in names["hoa"] and "reports:dashboard" in names["minh"]
    assert "reports:dashboard" not in names["lan"] | names["an"]


# --- the people behind a number ----------------------------------------------------------------


def test_a_number_links_to_its_people_and_listing_them_is_recorded(
    world: World,
    indicators: tuple[Indicator, Indicator],
) -> None:
    treated = _resident(world, "c1", "F", treated=True, name="Giàng Thị Mỷ")
    other = _resident(world, "c1", "M", name="Sùng A Páo")
    client = world.client("hoa")
    html = client.get(
        reverse("reports:indicator"), {"code": "TEST_ADDICTION", "unit": "981"}
    ).content.decode()
    links = re.findall(r'href="([^"]+)" data-testid="people-link"', html)
    assert links, "the numbers link to their people"
    page = client.get(links[0].replace("&amp;", "&"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Giàng Thị Mỷ" in body and "Sùng A Páo" not in body
    event = Event.objects.filter(actor=world.users["hoa"], action=CaseAction.PEOPLE_LIST).latest(
        "seq"
    )
    assert event.detail["list"] == "figures"
    assert event.detail["people"] == [str(treated.pk)]
    assert str(other.pk) not in event.detail["people"]


def test_the_people_list_holds_only_people_the_viewer_may_see(
    world: World,
    indicators: tuple[Indicator, Indicator],
) -> None:
    """ASVS 8.2.2: minh asks the people of district 981 directly (no link offers it): he is
    shown the residents of his commune only, and the event names only them."""
    mine = _resident(world, "c1", name="Giàng Thị Mỷ")
    theirs = _resident(world, "c2", name="Lò Văn Hùng")
    params = {"indicator": "TEST_RESIDENTS", "unit": "981"}
    body = world.client("minh").get(reverse("reports:people"), params).content.decode()
    assert "Giàng Thị Mỷ" in body and "Lò Văn Hùng" not in body
    event = Event.objects.filter(actor=world.users["minh"], action=CaseAction.PEOPLE_LIST).latest(
        "seq"
    )
    assert event.detail["people"] == [str(mine.pk)]
    assert str(theirs.pk) not in str(event.detail)


def test_the_people_list_masks_victims_for_a_supervisor(
    world: World,
    indicators: tuple[Indicator, Indicator],
) -> None:
    victim = _resident(
        world,
        "c1",
        "F",
        treated=True,
        name="Vàng Thị Dợ",
        category=ClientCategory.TRAFFICKING_VICTIM,
    )
    params = {"indicator": "TEST_RESIDENTS", "unit": "c1", "row": "98101"}
    params["unit"] = "98101"
    body = world.client("hoa").get(reverse("reports:people"), params).content.decode()
    assert "Vàng Thị Dợ" not in body
    assert victim.short_id in body


def test_the_people_list_refuses_a_row_or_key_that_is_not_the_tables(
    world: World,
    indicators: tuple[Indicator, Indicator],
) -> None:
    client = world.client("hoa")
    url = reverse("reports:people")
    base = {"indicator": "TEST_RESIDENTS", "unit": "981"}
    assert client.get(url, base | {"row": "98201"}).status_code == 404  # a commune of 982
    assert client.get(url, base | {"key": "F"}).status_code == 404  # a key without breakdown
    assert client.get(url, base | {"indicator": "NOPE"}).status_code == 404
    ok = base | {"row": "98101", "key": "F", "breakdown": "sex", "period": "year", "year": "2026"}
    assert client.get(url, ok).status_code == 200
    assert client.get(url, ok | {"key": "F\x00"}).status_code == 404


@pytest.mark.parametrize("parts", [("treatment",), ("treatment", "identity")])
def test_a_person_reached_by_a_grant_is_named_only_if_it_shares_identity(
    world: World, indicators: tuple[Indicator, Indicator], parts: tuple[str, ...]
) -> None:
    """ASVS 8.2.3 (field-level access): minh's commune accepted a referral of someone living
    in district 982 that shares ``parts``; the figures' people list lists that person (minh
    may open the case) by name only when "identity" is shared, else by record number."""
    from referrals import actions as referral_actions
    from referrals.models import Referral
    from services.models import ServiceType

    person = make_person(
        full_name="Lê Văn Cường",
        residence_commune=world.units["c3"],
        registered_by=world.orgs["clinic_b"],
    )
    case = make_case(person=person, organisation=world.orgs["clinic_b"])
    referral = Referral.objects.create(
        case=case,
        from_organisation=world.orgs["clinic_b"],
        to_organisation=world.orgs["commune_x"],
        service_type=ServiceType.objects.get(code="counselling"),
        reason="Chuyển gửi thử",
        recorded_by=world.users["tuan"],
        state="sent",
        sent_on=datetime.date(2026, 11, 1),
        parts=list(parts),
    )
    referral_actions.referral_act(
        actor=world.users["minh"], referral_id=referral.pk, action="accept"
    )
    params = {"indicator": "TEST_RESIDENTS", "unit": "982"}
    body = world.client("minh").get(reverse("reports:people"), params).content.decode()
    if "identity" in parts:
        assert "Lê Văn Cường" in body
    else:
        assert person.short_id in body
        assert "Lê Văn Cường" not in body and person.citizen_id not in body


def test_a_breakdown_adds_a_column_per_key_to_the_group(
    world: World, indicators: tuple[Indicator, Indicator]
) -> None:
    _resident(world, "c1", "F", treated=True)
    _resident(world, "c2", "F")
    _resident(world, "c3", "M", treated=True)
    params = {"period": "year", "year": "2026", "breakdown": "sex"}
    html = world.client("hoa").get(reverse("reports:dashboard"), params).content.decode()
    line = re.search(r'data-testid="line-TEST_ADDICTION">(.*?)</tr>', html, re.S)
    assert line is not None
    cells = re.findall(r'<td data-label="(Nam|Nữ)">(.*?)</td>', line.group(1), re.S)
    assert [(label, re.sub(r"<[^>]+>", "", text).strip()) for label, text in cells] == [
        ("Nam", "100,0%"),
        ("Nữ", "50,0%"),
    ]


def test_the_pages_carry_the_print_stylesheet(
    world: World, indicators: tuple[Indicator, Indicator]
) -> None:
    """Printing hides the menu and filters and prints tables as tables (static CSS, no script)."""
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "figures.css").read_text()
    assert "@media print" in css and ".no-print" in css
    html = world.client("hoa").get(reverse("reports:dashboard")).content.decode()
    assert "css/figures.css" in html and 'class="filters card no-print"' in html


def test_the_outside_scope_notice_names_the_largest_hidden_count(
    world: World, indicators: tuple[Indicator, Indicator], settings: Any
) -> None:
    """Found by using the page as minh: the notice read "các số từ 1 đến 5 − 1", the
    arithmetic left to the reader. It names the largest count hidden (k − 1) as a number."""
    client = world.client("minh")
    for k, largest in ((5, 4), (11, 10)):
        settings.HOA_NHAP_SMALL_CELL_K = k
        html = client.get(reverse("reports:dashboard"), {"unit": "982"}).content.decode()
        notice = re.search(r'data-testid="outside-scope">(.*?)</p>', html, re.S)
        assert notice is not None
        assert f"từ 1 đến {largest} được hiển thị là “&lt; {k}”" in notice.group(1)
        assert "−" not in notice.group(1)


def test_a_count_target_of_a_share_indicator_is_judged_on_the_count(
    world: World, indicators: tuple[Indicator, Indicator], monkeypatch: Any
) -> None:
    """A share indicator may carry a count target (docs/plans.md: Lào Cai's "1,650 people =
    41.13 %"). Found by reading the status: it compared the share in percent (75.0) with the
    number of people (3), so "at least 3 people" read "met" with 3 of 4 treated only because
    75 ≥ 3, and "at least 4 people" read met too. The count target is judged on the
    numerator: 3 people treated meet "≥ 3" and do not meet "≥ 4"."""
    from decimal import Decimal

    from reports import plans
    from reports.plans import TargetValue

    for commune in ("c1", "c1", "c3"):
        _resident(world, commune, treated=True)
    _resident(world, "c2")
    for wanted, status in ((3, "✓ Đạt"), (4, "✗ Chưa đạt")):
        target = TargetValue(Decimal(wanted), "count", "at_least", "30/KH-UBND")
        monkeypatch.setattr(
            plans,
            "target_for",
            lambda unit, code, period, t=target: t if code == "TEST_ADDICTION" else None,
        )
        html = world.client("hoa").get(reverse("reports:dashboard")).content.decode()
        line = re.search(r'data-testid="line-TEST_ADDICTION">(.*?)</tr>', html, re.S)
        assert line is not None
        assert "3 / 4" in line.group(1) and f"≥ {wanted}" in line.group(1)
        assert status in line.group(1), wanted
        # The indicator page states the count target but draws no percent line for it.
        html = (
            world.client("hoa")
            .get(reverse("reports:indicator"), {"code": "TEST_ADDICTION"})
            .content.decode()
        )
        assert status in html and "stroke-dasharray" not in html
