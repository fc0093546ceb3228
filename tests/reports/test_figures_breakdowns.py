"""Every breakdown an indicator offers can be asked for on the figures pages and the report.

Found by using the pages (issue 25): the treatment-by-sector figure (TX_SECTOR, "the
social-affairs sector treats 1,650 = 41.13 %") and the victims' figure per support service
(VICTIM_SERVICE, "each service separately") are split only by provider type or sector and
by service, and the filters offered only sex, age group, ethnicity and client category: the
split figures could not be seen on any page nor put in the report, and a link asking for
them showed "Select a valid choice" and no figures.
"""

from __future__ import annotations

import re

from django.urls import reverse

from reports import registry
from reports.export_forms import ReportForm
from reports.filters import FiguresForm
from tests.conftest import World


def _offered() -> set[str]:
    return {code for indicator in registry.indicators() for code in indicator.breakdowns}


def test_the_filters_offer_every_breakdown_an_indicator_offers(world: World) -> None:
    offered = _offered()
    assert {"sector", "org_type", "service", "modality"} <= offered
    choices = {code for code, _label in FiguresForm().fields["breakdown"].choices if code}  # type: ignore[attr-defined]
    assert offered <= choices
    report = ReportForm(units=[world.units["province"]])
    report_choices = {code for code, _label in report.fields["breakdowns"].choices}  # type: ignore[attr-defined]
    assert offered <= report_choices


def test_the_indicator_page_splits_treatment_by_sector(world: World) -> None:
    params = {"code": "TX_SECTOR", "period": "year", "year": "2026", "breakdown": "sector"}
    response = world.client("hoa").get(reverse("reports:indicator"), params)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="errorlist' not in html
    sectors = [label for _code, label in registry.breakdown("sector").columns()]
    assert sectors
    headers = re.findall(r"<th[^>]*>(.*?)</th>", html, re.S)
    for sector in sectors:
        assert str(sector) in headers


def test_the_report_form_accepts_a_split_by_service(world: World) -> None:
    form = ReportForm(
        {
            "unit": world.units["province"].pk,
            "period_kind": "year",
            "year": "2026",
            "half": "1",
            "format": "xlsx",
            "breakdowns": ["service", "sex"],
        },
        units=[world.units["province"]],
    )
    assert form.is_valid(), form.errors


def test_a_sector_cell_links_to_its_people(world: World) -> None:
    """The sector keys are the sectors' names ("Y tế", "Xã hội"): the people page refused
    every key with a space (404), so each sector cell's link led nowhere. A key is checked
    against the breakdown's own keys instead; one it does not have is still refused."""
    sectors = registry.breakdown_keys("sector")
    spaced = [s for s in sectors if " " in s]
    assert spaced
    client = world.client("hoa")
    params = {
        "indicator": "TX_SECTOR",
        "period": "year",
        "year": "2026",
        "breakdown": "sector",
        "unit": world.units["province"].code,
    }
    for key in spaced:
        response = client.get(reverse("reports:people"), params | {"key": key})
        assert response.status_code == 200, key
    assert client.get(reverse("reports:people"), params | {"key": "Không có"}).status_code == 404
    assert client.get(reverse("reports:people"), params | {"key": "x" * 41}).status_code == 404
