"""Journey: a caseworker screens a person (DSM-5, one answer forgotten first), opens a
facility episode on the case, records two stages, adds a vocational course, and finds all of
it on the case's and the person's timelines, on a 360 px phone and on a desktop.

Screenshots go to ``var/screens/`` (``make screens`` writes the phone ones to
``docs/screens/``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from cases.models import Case, Person
from services.models import EpisodeStage, Screening, TreatmentEpisode, VocationalSupport
from tests.browser.test_everyday_use import _no_horizontal_scroll as _fits
from tests.browser.test_everyday_use import (  # noqa: F401 (fixtures)
    _pending_translations,  # noqa: F401 (autouse)
    _shot,
    context,
    viewport,
)
from tests.browser.test_everyday_use import _sign_in_by_cookie as _signed_in
from tests.conftest import World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CRITERIA = [
    "larger_longer",
    "cut_down",
    "time_spent",
    "craving",
    "role_failure",
    "social_problems",
    "activities_given_up",
    "hazardous_use",
    "health_problems",
    "tolerance",
    "withdrawal",
]


def _add(page: Page, case: Case, kind: str) -> None:
    """Open the case's "Add…" menu and follow the entry for a kind of record."""
    page.get_by_test_id("add-menu").locator("summary").click()
    page.locator(f'[data-testid="add-menu"] a[href$="/add/{kind}/"]').click()
    expect(page).to_have_url(re.compile(f"/cases/{case.pk}/add/{kind}/$"))


def _stage(page: Page, number: str, started: str, ended: str = "") -> None:
    page.get_by_test_id("stage-add").click()
    page.locator('select[name="stage"]').select_option(number)
    page.locator('[name="started_on"]').fill(started)
    page.locator('[name="ended_on"]').fill(ended)
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_test_id("stage-table")).to_be_visible()


def test_caseworker_records_a_facility_episode_its_stages_and_a_course(
    live_server: Any,
    world: World,
    lan_person: Person,
    context: BrowserContext,  # noqa: F811 (the shared fixture)
    viewport: str,  # noqa: F811
) -> None:
    case = Case.objects.get(person=lan_person)
    page = _signed_in(context, live_server.url, world.users["lan"])
    page.goto(f"{live_server.url}/cases/{case.pk}/")

    _add(page, case, "screening-dsm5")
    page.locator('select[name="substance"]').select_option("opioids")
    page.locator('select[name="supervised"]').select_option("no")
    for number, criterion in enumerate(CRITERIA):
        if criterion != "withdrawal":  # forgotten: the form must say so and keep the rest
            page.locator(f'select[name="{criterion}"]').select_option("yes" if number < 6 else "no")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    expect(page.locator('select[name="craving"]')).to_have_value("yes")
    _fits(page)
    _shot(page, "screening-form-error", viewport)
    page.locator('select[name="withdrawal"]').select_option("no")
    page.get_by_role("button", name="Lưu", exact=True).click()
    screening = Screening.objects.get(case=case)
    assert (screening.instrument, screening.level, screening.score) == ("dsm5_sud", "severe", 6)
    page.locator(
        f'[data-testid="timeline"] a[href="/services/screening-dsm5/{screening.pk}/"]'
    ).click()
    expect(page.get_by_test_id("screening-result")).to_be_visible()
    _fits(page)
    _shot(page, "screening-result", viewport)
    page.goto(f"{live_server.url}/cases/{case.pk}/")

    _add(page, case, "episode")
    page.locator('select[name="modality"]').select_option("facility_voluntary")
    page.locator('[name="started_on"]').fill("01/09/2026")
    page.locator('[name="planned_end_on"]').fill("01/03/2027")
    page.get_by_role("button", name="Lưu", exact=True).click()
    episode = TreatmentEpisode.objects.get(case=case)
    detail = f"/services/episode/{episode.pk}/"
    page.locator(f'[data-testid="timeline"] a[href="{detail}"]').click()

    _stage(page, "1", "01/09/2026", "05/09/2026")
    _stage(page, "2", "05/09/2026")
    rows = page.get_by_test_id("stage-table").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Tiếp nhận, phân loại")
    _fits(page)
    _shot(page, "episode-stages", viewport)
    assert list(EpisodeStage.objects.values_list("stage", flat=True)) == [1, 2]

    page.goto(f"{live_server.url}/cases/{case.pk}/")
    _add(page, case, "vocational")
    page.locator('select[name="kind"]').select_option("training")
    page.locator('[name="started_on"]').fill("10/11/2026")
    page.locator('[name="provider_other"]').fill("Trung tâm dạy nghề huyện")
    page.get_by_role("button", name="Lưu", exact=True).click()
    course = VocationalSupport.objects.get(case=case)

    for url in (f"/cases/{case.pk}/", f"/people/{lan_person.pk}/"):
        page.goto(f"{live_server.url}{url}")
        timeline = page.get_by_test_id("timeline")
        expect(timeline.locator(f'a[href="{detail}"]')).to_have_count(3)  # episode, 2 stages
        expect(timeline).to_contain_text("Giai đoạn 2: Điều trị cắt cơn, giải độc")
        expect(timeline.locator(f'a[href="/services/vocational/{course.pk}/"]')).to_have_count(1)
        expect(
            timeline.locator(f'a[href="/services/screening-dsm5/{screening.pk}/"]')
        ).to_have_count(1)
        _fits(page)
    _shot(page, "person-timeline-episode", viewport)
