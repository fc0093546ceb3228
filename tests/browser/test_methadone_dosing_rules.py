"""Journey (issue 23.1): on a 360 px phone, the nurse at the counter meets the dosing rules.

A patient back after five missed days has no dose button: the row says no dose today and
names the prescriber. A patient back after three days needs the nurse to tick "assessed"
before the dose button records. The prescriber then writes a one-day dose for the first
patient, and the nurse's one tap gives that dose.

Screenshots go where the other journeys put theirs (``var/screens/``; ``make screens`` keeps
the phone ones in ``docs/screens/``).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from cases.models import Person
from services.methadone.models import Dose, DoseKind, DoseOverride, Prescription
from services.models import TreatmentEpisode
from tests.browser.test_everyday_use import _no_horizontal_scroll as _fits
from tests.browser.test_everyday_use import (  # noqa: F401 (fixtures)
    _pending_translations,  # noqa: F401 (autouse)
    _shot,
)
from tests.browser.test_everyday_use import _sign_in_by_cookie as _signed_in
from tests.conftest import World
from tests.factories import make_case, make_person
from tests.methadone.support import days_ago, methadone_episode

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 360, "height": 780}


def _patients(world: World, lan_person: Person) -> dict[str, TreatmentEpisode]:
    """Three patients of clinic A, their orders written long ago by lan (the prescriber)."""
    lan, clinic = world.users["lan"], world.orgs["clinic_a"]
    found = {"here": methadone_episode(lan_person, clinic=clinic, by=lan, dose=90)}
    for key, name, dose in (("restart", "Sùng Văn Dũng", 70), ("assess", "Lò Thị Mai", 60)):
        person = make_person(
            full_name=name, residence_commune=world.units["c1"], registered_by=clinic
        )
        make_case(person=person, organisation=clinic)
        found[key] = methadone_episode(person, clinic=clinic, by=lan, dose=dose)
    Prescription.objects.update(created_at=timezone.now() - datetime.timedelta(days=100))
    for key, days in (("here", 1), ("restart", 6), ("assess", 4)):
        Dose.objects.create(
            episode=found[key],
            given_on=days_ago(days),
            kind=DoseKind.OBSERVED,
            dose_mg=50,
            recorded_by=lan,
        )
    return found


def _row(page: Page, episode: TreatmentEpisode) -> Any:
    return page.locator(f"#row-{episode.pk}")


def _phone(browser: Browser, url: str, user: Any) -> Page:
    context = browser.new_context(viewport=PHONE, locale="vi-VN")  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    return _signed_in(context, url, user)


def test_the_nurse_sees_the_refusal_and_the_prescriber_unblocks_one_day(
    live_server: Any, world: World, lan_person: Person, browser: Browser
) -> None:
    patients = _patients(world, lan_person)
    lan = world.users["lan"]
    page = _phone(browser, live_server.url, world.users["mai"])
    page.goto(f"{live_server.url}/methadone/today/")
    expect(page.get_by_test_id("today-row")).to_have_count(3)

    # Five days missed: no dose button, the refusal names the prescriber.
    restart = _row(page, patients["restart"])
    expect(restart.get_by_test_id("dose-blocked")).to_be_visible()
    expect(restart.get_by_test_id("dose-blocked")).to_contain_text(lan.display_name)
    expect(restart.get_by_test_id("observed")).to_have_count(0)
    expect(restart.get_by_test_id("missed")).to_be_visible()
    restart.scroll_into_view_if_needed()
    _fits(page)
    _shot(page, "methadone-dose-refused", "phone")

    # Three days missed: the dose button records only once "assessed" is ticked.
    assess = _row(page, patients["assess"])
    box = assess.get_by_test_id("assessed")
    expect(box).to_be_visible()
    assess.get_by_test_id("observed").click()
    assert box.evaluate("el => el.validity.valueMissing") is True
    expect(assess.get_by_test_id("today-status")).to_have_count(0)
    _shot(page, "methadone-dose-assess", "phone")
    box.check()
    assess.get_by_test_id("observed").click()
    expect(_row(page, patients["assess"]).get_by_test_id("today-status")).to_contain_text("60")
    assert Dose.objects.get(episode=patients["assess"], given_on=days_ago(0)).dose_mg == 60
    assert not Dose.objects.filter(episode=patients["restart"], given_on=days_ago(0)).exists()
    page.context.close()

    # The prescriber writes the day's dose for the patient who must restart.
    page = _phone(browser, live_server.url, lan)
    page.goto(f"{live_server.url}/methadone/today/")
    _row(page, patients["restart"]).get_by_test_id("one-day-dose").click()
    expect(page).to_have_url(re.compile("/one-day-dose/$"))
    page.locator('[name="dose_mg"]').fill("30")
    page.locator('[name="reason"]').fill("Bỏ 5 ngày: khởi liều lại 30 mg")
    _fits(page)
    _shot(page, "methadone-one-day-dose", "phone")
    page.locator("form.card button[type=submit]").click()
    expect(page).to_have_url(re.compile("/methadone/today/"))
    restart = _row(page, patients["restart"])
    expect(restart.get_by_test_id("one-day-note")).to_contain_text("30")
    restart.get_by_test_id("observed").click()
    expect(_row(page, patients["restart"]).get_by_test_id("today-status")).to_contain_text("30")
    assert DoseOverride.objects.get().dose_mg == Decimal(30)
    assert Dose.objects.get(episode=patients["restart"], given_on=days_ago(0)).dose_mg == 30
    _fits(page)
    _shot(page, "methadone-one-day-dose-given", "phone")
    page.context.close()
