"""Journey: at the clinic's counter, on a 768 px tablet, a nurse finds patients by typing,
records three doses (two observed, one take-home) and a "did not come", then corrects one
dose and sees the corrected value; then the same list on a 360 px phone.

Screenshots go to ``var/screens/`` (``make screens`` writes the phone one to
``docs/screens/methadone-today.png``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from cases.models import Person
from services.methadone.models import Dose, DoseCorrection, DoseKind
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

TABLET = {"width": 768, "height": 1024}
PHONE = {"width": 360, "height": 780}


def _clinic(world: World, lan_person: Person) -> list[TreatmentEpisode]:
    """Four patients in treatment at clinic A; the first may take doses home."""
    lan, clinic = world.users["lan"], world.orgs["clinic_a"]
    episodes = [methadone_episode(lan_person, clinic=clinic, by=lan, started=500, dose=None)]
    from services.methadone.models import Prescription

    Prescription.objects.create(
        case=episodes[0].case,
        episode=episodes[0],
        starts_on=days_ago(400),
        dose_mg=80,
        phase="maintenance",
        take_home_days=2,
        prescriber=lan,
        recorded_by=lan,
    )
    for name, dose in (("Giàng A Páo", 60), ("Lò Thị Mai", 45), ("Sùng Văn Dũng", 90)):
        person = make_person(
            full_name=name, residence_commune=world.units["c1"], registered_by=clinic
        )
        make_case(person=person, organisation=clinic)
        episodes.append(methadone_episode(person, clinic=clinic, by=lan, dose=dose))
    return episodes


def _row(page: Page, episode: TreatmentEpisode) -> Any:
    return page.locator(f"#row-{episode.pk}")


def _tap(page: Page, episode: TreatmentEpisode, button: str) -> None:
    _row(page, episode).get_by_test_id(button).click()
    expect(_row(page, episode).get_by_test_id("today-status")).to_be_visible()


def test_nurse_records_doses_a_no_show_and_a_correction_on_a_tablet(
    live_server: Any, world: World, lan_person: Person, browser: Browser
) -> None:
    episodes = _clinic(world, lan_person)
    context = browser.new_context(viewport=TABLET, locale="vi-VN")  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = _signed_in(context, live_server.url, world.users["lan"])
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile("/methadone/today/$"))
    expect(page.get_by_test_id("today-row")).to_have_count(4)
    _fits(page)

    # Typing filters the list at once (accents ignored); clearing shows everyone again.
    page.get_by_label("Tìm người bệnh").fill("pao")
    expect(page.get_by_test_id("today-row").filter(has_text="Giàng A Páo")).to_be_visible()
    expect(_row(page, episodes[2])).to_be_hidden()
    page.get_by_label("Tìm người bệnh").fill("")
    expect(_row(page, episodes[2])).to_be_visible()

    _tap(page, episodes[1], "observed")
    _tap(page, episodes[0], "take-home")
    _tap(page, episodes[2], "observed")
    _tap(page, episodes[3], "missed")
    expect(_row(page, episodes[3]).get_by_test_id("today-status")).to_contain_text("Không đến")
    doses = {d.episode_id: d for d in Dose.objects.filter(given_on=days_ago(0))}
    assert doses[episodes[0].pk].kind == DoseKind.TAKE_HOME
    assert doses[episodes[0].pk].dose_mg == Decimal(80)
    assert doses[episodes[1].pk].dose_mg == Decimal(60)
    assert doses[episodes[2].pk].dose_mg == Decimal(45)
    assert doses[episodes[3].pk].kind == DoseKind.MISSED
    _shot(page, "methadone-today-recorded", "tablet")

    # Lò Thị Mai was given 40 mg, not 45: the nurse corrects it, with a reason.
    _row(page, episodes[2]).get_by_test_id("correct").click()
    expect(page).to_have_url(re.compile("/methadone/doses/\\d+/correct/$"))
    page.locator('[name="dose_mg"]').fill("40")
    page.locator('[name="reason"]').fill("Rót thiếu, người bệnh uống 40 mg")
    _shot(page, "methadone-dose-correct", "tablet")
    page.get_by_role("button", name="Lưu bản sửa").click()
    expect(page).to_have_url(re.compile("/methadone/today/$"))
    expect(_row(page, episodes[2]).get_by_test_id("today-status")).to_contain_text("40 mg")
    correction = DoseCorrection.objects.get()
    assert (correction.old_dose_mg, correction.new_dose_mg) == (Decimal(45), Decimal(40))
    _fits(page)
    _shot(page, "methadone-today-tablet", "tablet")
    context.close()

    # The same list on a phone: one card per patient, nothing wider than the screen.
    phone = browser.new_context(viewport=PHONE, locale="vi-VN")  # type: ignore[arg-type]
    phone.set_default_timeout(15_000)
    page = _signed_in(phone, live_server.url, world.users["lan"])
    page.goto(f"{live_server.url}/methadone/today/")
    expect(page.get_by_test_id("today-row")).to_have_count(4)
    _fits(page)
    _shot(page, "methadone-today", "phone")
    phone.close()
