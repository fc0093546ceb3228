"""Journey: on a 360 px phone a caseworker screens a person with ASSIST, substance by
substance: which substances were ever used, then questions 2–8 for those only, as radio groups.
Screenshots: ``assist-step1.png``, ``assist-step2.png``, ``assist-result.png`` (``make screens``
writes them to docs/screens/).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts import totp
from accounts.actions import totp_device_create
from cases.models import Case, Person
from services.models import Screening, ScreeningScore
from tests.conftest import World
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ROOT = Path(__file__).resolve().parents[2]
USED = ("tobacco", "alcohol", "opioids")


def _shot(page: Page, name: str) -> None:
    folder = ROOT / os.environ.get("HOA_NHAP_SCREENS_DIR", "var/screens")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide on a 360px screen"


def _pick(page: Page, name: str, index: int) -> None:
    page.locator(f"label[for=id_{name}_{index}]").click()


def test_assist_is_asked_substance_by_substance_on_a_phone(
    live_server: Any, world: World, lan_person: Person, phone_page: Page
) -> None:
    page = phone_page
    case = Case.objects.get(person=lan_person)
    device = totp_device_create(user=world.users["lan"], confirmed=True)
    page.goto(f"{live_server.url}/cases/{case.pk}/add/screening-assist/")
    page.get_by_label("Tên đăng nhập").fill("lan")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_label("Mã xác thực").fill(totp.code(device.secret))
    page.get_by_role("button", name="Tiếp tục").click()

    # Step 1: one yes/no radio group per substance, no dropdown.
    form = page.locator("[data-testid=screening-form]")
    expect(form).to_have_attribute("data-step", "1")
    assert form.locator("select").count() == 0
    assert form.locator("input[type=radio][value=yes]").count() == 10
    for code in (
        "tobacco",
        "alcohol",
        "cannabis",
        "cocaine",
        "amphetamines",
        "inhalants",
        "sedatives",
        "hallucinogens",
        "opioids",
        "other",
    ):
        _pick(page, f"{code}_q1", 1 if code in USED else 0)
    _fits(page)
    _shot(page, "assist-step1")
    step1_height = page.evaluate("document.documentElement.scrollHeight")
    form.locator("button[name=step][value='2']").click()

    # Step 2: questions 2–7 for the three substances used, then Q8.
    expect(form).to_have_attribute("data-step", "2")
    assert form.locator("select").count() == 0
    assert form.locator("fieldset.assist-substance").count() == 3
    # Opioids: the hand-scored case 6+6+6+6+6+3 = 33 (high).
    for question, index in (("q2", 4), ("q3", 4), ("q4", 3), ("q5", 2), ("q6", 1), ("q7", 2)):
        _pick(page, f"opioids_{question}", index)
    # Tobacco 6+3+0+0+0 = 9 (moderate); no Q5 is asked about tobacco.
    assert form.locator("input[name=tobacco_q5]").count() == 0
    for question, index in (("q2", 4), ("q3", 1), ("q4", 0), ("q6", 0), ("q7", 0)):
        _pick(page, f"tobacco_{question}", index)
    # Alcohol: used, but not in the past 3 months: Q3–Q5 disappear (no script needed).
    expect(page.locator("#id_alcohol_q3")).to_be_visible()
    _pick(page, "alcohol_q2", 0)
    expect(page.locator("#id_alcohol_q3")).to_be_hidden()
    expect(page.locator("#id_alcohol_q5")).to_be_hidden()
    _pick(page, "alcohol_q6", 0)
    _pick(page, "alcohol_q7", 0)
    # Injecting in the past 3 months: the pattern follow-up appears.
    expect(page.locator("#id_q8_pattern")).to_be_hidden()
    _pick(page, "q8", 1)
    expect(page.locator("#id_q8_pattern")).to_be_visible()
    _pick(page, "q8_pattern", 0)
    _fits(page)
    _shot(page, "assist-step2")
    step2_height = page.evaluate("document.documentElement.scrollHeight")
    # The one-page form of 70 dropdowns was 13,270 px tall at 360 px.
    assert step1_height < 4000 and step2_height < 7000, (step1_height, step2_height)
    form.locator("button.primary").click()

    expect(page.locator("[data-testid=timeline]")).to_be_visible()
    screening = Screening.objects.get(case=case)
    scores = dict(ScreeningScore.objects.filter(screening=screening).values_list("item", "score"))
    assert (scores["opioids"], scores["tobacco"], scores["alcohol"]) == (33, 9, 0)
    assert (screening.level, screening.injecting) == ("high", "yes_recent")
    page.goto(f"{live_server.url}/services/screening-assist/{screening.pk}/")
    result = page.locator("[data-testid=screening-result]")
    expect(result).to_contain_text("Nguy cơ cao")
    expect(result).to_contain_text("Nguy cơ trung bình")  # tobacco: ASSIST's own label
    _fits(page)
    _shot(page, "assist-result")
