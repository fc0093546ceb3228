"""The methadone figures pages in Chromium, on a 360 px phone and on a desktop: a patient's
dose chart (inline SVG, with its table fallback) and a clinic's counts and retention table.

Screenshots go to ``var/screens/`` (``make screens`` writes the phone ones to
``docs/screens/methadone-patient.png`` and ``methadone-clinic.png``).
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

from services.methadone.models import Dose, DoseKind
from services.models import TreatmentEpisode
from tests.browser.test_everyday_use import _no_horizontal_scroll as _fits
from tests.browser.test_everyday_use import (  # noqa: F401 (fixtures)
    _pending_translations,  # noqa: F401 (autouse)
    _shot,
    context,
    viewport,
)
from tests.browser.test_everyday_use import _sign_in_by_cookie as _signed_in
from tests.conftest import World
from tests.factories import make_case, make_person

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _patient(
    world: World,
    started: datetime.date,
    ended: datetime.date | None = None,
    outcome: str = "ongoing",
) -> TreatmentEpisode:
    person = make_person(residence_commune=world.units["c1"], registered_by=world.orgs["clinic_a"])
    case = make_case(person=person, organisation=world.orgs["clinic_a"])
    return TreatmentEpisode.objects.create(
        case=case,
        modality="methadone",
        provider=world.orgs["clinic_a"],
        started_on=started,
        ended_on=ended,
        outcome=outcome if ended else "ongoing",
        recorded_by=world.users["lan"],
    )


def _clinic(world: World) -> TreatmentEpisode:
    """Clinic A: one patient with 90 days of doses (a dose increase, take-homes, missed days),
    and patients enrolled over the last 20 months, some ended, one transferred."""
    today = datetime.date.today()  # noqa: DTZ011  (the app's local day, as the pages use it)
    rng = random.Random(14)
    episode = _patient(world, today - datetime.timedelta(days=120))
    doses = []
    for back in range(90, 0, -1):
        day = today - datetime.timedelta(days=back)
        roll = rng.random()
        if 40 <= back <= 43 or roll < 0.04:
            continue  # a few days without a row
        kind = DoseKind.MISSED if roll < 0.1 else DoseKind.TAKE_HOME if roll < 0.2 else 1
        mg = None if kind == DoseKind.MISSED else Decimal(60 if back > 45 else 75)
        doses.append(
            Dose(
                episode=episode, given_on=day, kind=kind, dose_mg=mg, recorded_by=world.users["lan"]
            )
        )
    Dose.objects.bulk_create(doses)
    for n in range(24):
        started = today - datetime.timedelta(days=30 + 25 * n)
        ended = None if n % 3 else started + datetime.timedelta(days=100 + 40 * (n % 5))
        ended = min(ended, today - datetime.timedelta(days=1)) if ended else None
        _patient(world, started, ended, "transferred" if n == 6 else "dropped_out")
    return episode


def test_patient_and_clinic_figures_pages(
    live_server: Any,
    world: World,
    context: BrowserContext,  # noqa: F811 (the shared fixture)
    viewport: str,  # noqa: F811
) -> None:
    episode = _clinic(world)
    page = _signed_in(context, live_server.url, world.users["lan"])

    page.goto(f"{live_server.url}/methadone/episodes/{episode.pk}/figures/")
    chart = page.get_by_test_id("dose-chart").locator("svg")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("role", "img")
    expect(page.get_by_test_id("adherence-30")).to_contain_text("%")
    expect(page.get_by_test_id("missed-runs").locator("li").first).to_be_visible()
    box, size = chart.bounding_box(), page.viewport_size
    assert box is not None and size is not None
    # Across a phone's card, not a thumbnail; at most 24rem on a desktop (its text scales).
    assert min(size["width"] - 80, 380) <= box["width"] <= 384
    _fits(page)
    _chart_text_reads(page, "dose-chart", 5)
    _shot(page, "methadone-patient", viewport)

    page.goto(f"{live_server.url}/methadone/clinic/")
    expect(page.get_by_test_id("in-treatment")).to_have_text("17")
    expect(page.get_by_test_id("adherence-chart").locator("svg")).to_be_visible()
    expect(page.get_by_test_id("retention-table")).to_contain_text("%")
    _fits(page)
    _chart_text_reads(page, "adherence-chart", 8)
    _shot(page, "methadone-clinic", viewport)


def _chart_text_reads(page: Any, test_id: str, at_least: int) -> None:
    """Every label and value of the chart is at least 12.7 px on the screen (as the coverage
    charts, tests/browser/test_figures_dashboard.py): the font size in the drawing's units
    times the drawing's scale on the page."""
    sizes = page.get_by_test_id(test_id).evaluate(
        """(box) => [...box.querySelectorAll('svg.chart text')].map(t => {
            const svg = t.ownerSVGElement;
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return [t.textContent, parseFloat(getComputedStyle(t).fontSize) * scale];
        })"""
    )
    assert len(sizes) >= at_least, sizes  # the chart drew its labels and values
    small = [(text, round(size, 2)) for text, size in sizes if size < 12.7]
    assert not small, f"{test_id} text under 12.7 px at {page.viewport_size}: {small}"
