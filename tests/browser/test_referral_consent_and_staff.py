"""On a 360 px phone: a caseworker records that the person withdrew their consent (from the
person page, one impossible date first), which revokes the referral that rests on it; and the
receiving caseworker who accepted a referral adds a colleague, who can then complete it.

Screenshots: ``consent-withdraw-*.png`` and ``referral-staff-*.png`` (``make screens`` writes
them to docs/screens/).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, expect

from cases.choices import Role
from cases.models import Case, Person
from referrals.models import Referral, ReferralAccess, State
from tests.browser.test_everyday_use import (  # noqa: F401
    PHONE,
    _no_horizontal_scroll,
    _pending_translations,
    _shot,
    _sign_in_by_cookie,
    town,
)
from tests.conftest import World
from tests.referrals.test_who_acts import ACCEPTED, _act, _draft, _staff

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
VIEWPORT = "phone"


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=PHONE, locale="vi-VN")  # type: ignore[arg-type]
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def accepted(town: World, lan_person: Person) -> Referral:  # noqa: F811
    referral = _draft(town, "lan", Case.objects.get(person=lan_person))
    for action, who in ACCEPTED:
        referral = _act(town, who, referral, action)
    return referral


def test_a_withdrawal_of_consent_is_recorded_from_the_person_page(
    live_server: Any,
    town: World,  # noqa: F811
    lan_person: Person,
    accepted: Referral,
    phone: BrowserContext,
) -> None:
    page = _sign_in_by_cookie(phone, live_server.url, town.users["lan"])
    page.goto(live_server.url + reverse("cases:person_detail", args=[lan_person.pk]))
    consents = page.get_by_test_id("person-consents")
    expect(consents).to_be_visible()
    _no_horizontal_scroll(page)
    consents.get_by_test_id("withdraw-link").click()

    # The page says what the withdrawal stops: the accepted referral is revoked at once.
    expect(page.get_by_test_id("resting-on")).to_contain_text(accepted.short_id)
    form = page.get_by_test_id("withdraw-form")
    form.locator("[name=withdrawn_on]").fill("30/02/2026")
    _no_horizontal_scroll(page)
    form.get_by_test_id("withdraw").click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    expect(page.locator("[name=withdrawn_on]")).to_have_value("30/02/2026")
    _no_horizontal_scroll(page)
    _shot(page, "consent-withdraw-error", VIEWPORT)

    today = timezone.localdate().strftime("%d/%m/%Y")
    page.locator("[name=withdrawn_on]").fill(today)
    _shot(page, "consent-withdraw-form", VIEWPORT)
    page.get_by_test_id("withdraw-form").get_by_test_id("withdraw").click()
    expect(page.get_by_test_id("person-consents")).to_contain_text(
        timezone.localdate().strftime("%d/%m/%Y")
    )
    expect(page.get_by_test_id("person-consents").get_by_test_id("withdraw-link")).to_have_count(0)
    _no_horizontal_scroll(page)
    _shot(page, "consent-withdraw-done", VIEWPORT)
    assert Referral.objects.get(pk=accepted.pk).state == State.REVOKED


def test_the_receiving_caseworker_adds_a_colleague_who_completes(
    live_server: Any,
    browser: Browser,
    town: World,  # noqa: F811
    accepted: Referral,
    phone: BrowserContext,
) -> None:
    vy = _staff(town, "vy", "clinic_b", Role.CASEWORKER, "d2")
    vy.first_name, vy.last_name = "Trần Thị", "Vy"
    vy.save(update_fields=["first_name", "last_name"])
    detail = live_server.url + reverse("referrals:referral_detail", args=[accepted.pk])

    page = _sign_in_by_cookie(phone, live_server.url, town.users["tuan"])
    page.goto(detail)
    page.get_by_test_id("add-colleague").click()
    form = page.get_by_test_id("staff-form")
    expect(form).to_contain_text("Trần Thị Vy")
    _no_horizontal_scroll(page)
    form.get_by_test_id("add-staff").click()  # nobody chosen: refused, the page stays
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    _shot(page, "referral-staff-error", VIEWPORT)
    page.get_by_label("Trần Thị Vy").check()
    _shot(page, "referral-staff-form", VIEWPORT)
    page.get_by_test_id("staff-form").get_by_test_id("add-staff").click()
    expect(page.get_by_test_id("steps")).to_be_visible()
    _no_horizontal_scroll(page)
    _shot(page, "referral-staff-added", VIEWPORT)
    assert ReferralAccess.objects.filter(referral=accepted, user=vy, ended_at=None).exists()

    other = browser.new_context(viewport=PHONE, locale="vi-VN")  # type: ignore[arg-type]
    try:
        vys = _sign_in_by_cookie(other, live_server.url, vy)
        vys.goto(detail)
        act = vys.get_by_test_id("act-form")
        act.locator("[name=outcome]").fill("Đã tư vấn 3 buổi, ổn định")
        _shot(vys, "referral-staff-colleague-completes", VIEWPORT)
        act.get_by_test_id("action-complete").click()
        expect(vys.get_by_test_id("outcome")).to_be_visible()
    finally:
        other.close()
    assert Referral.objects.get(pk=accepted.pk).state == State.COMPLETED
