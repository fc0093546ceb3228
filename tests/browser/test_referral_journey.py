"""A referral from start to finish, on a 360 px phone and a desktop: a commune officer refers
a resident to a methadone clinic with the person's consent (one wrong date on purpose), the
supervisor approves, the officer sends, the clinic's caseworker accepts and opens the person
(seeing only the shared parts), completes with an outcome, and the officer reads it.

Screenshots: ``referral-*.png`` (``make screens`` writes the phone ones to docs/screens/).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, expect

from cases.models import Case, Person
from referrals.models import Referral, State
from tests.browser.test_everyday_use import (  # noqa: F401
    VIEWPORTS,
    _no_horizontal_scroll,
    _pending_translations,
    _shot,
    _sign_in_by_cookie,
    context,
    town,
    viewport,
)
from tests.conftest import World
from tests.factories import make_case, make_person

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
REASON = "Đang dùng heroin, muốn điều trị methadone gần nhà"
OUTCOME = "Đã điều trị methadone ổn định 3 tháng, liều 60 mg"


@pytest.fixture
def resident(town: World) -> Person:  # noqa: F811
    """A resident of commune 98101 whose case the commune holds, followed by minh."""
    person = make_person(
        full_name="Vàng A Sử",
        residence_commune=town.units["c1"],
        registered_by=town.orgs["commune_x"],
        citizen_id="010092000777",
    )
    make_case(person=person, organisation=town.orgs["commune_x"], assigned_to=town.users["minh"])
    return person


def _as(browser: Browser, viewport: str, base: str, town: World, who: str) -> Page:  # noqa: F811
    """Open a page in a fresh browser context signed in as ``who``."""
    ctx: BrowserContext = browser.new_context(viewport=VIEWPORTS[viewport], locale="vi-VN")  # type: ignore[arg-type]
    ctx.set_default_timeout(15_000)
    return _sign_in_by_cookie(ctx, base, town.users[who])


def _act(page: Page, action: str, viewport: str, shot: str, **fields: str) -> None:  # noqa: F811
    form = page.get_by_test_id("act-form")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    _no_horizontal_scroll(page)
    _shot(page, shot, viewport)
    form.get_by_test_id(f"action-{action}").click()
    expect(page.get_by_test_id("steps")).to_be_visible()


def test_a_referral_from_the_commune_to_the_clinic_and_back(
    live_server: Any,
    browser: Browser,
    town: World,  # noqa: F811
    resident: Person,
    context: BrowserContext,  # noqa: F811
    viewport: str,  # noqa: F811
) -> None:
    base = live_server.url
    case = Case.objects.get(person=resident)

    # 1. The commune officer refers the person from the case page; one wrong date first.
    minh = _sign_in_by_cookie(context, base, town.users["minh"])
    minh.goto(f"{base}/cases/{case.pk}/")
    menu = minh.get_by_test_id("add-menu")
    menu.locator("summary").click()
    menu.locator(f"a[href='{reverse('referrals:referral_create', args=[case.pk])}']").click()
    form = minh.get_by_test_id("referral-form")
    clinic = "Methadone A (Cơ sở điều trị methadone)"  # each receiver named with its kind
    form.locator("[name=to_organisation]").select_option(label=clinic)
    form.locator("[name=service_type]").select_option(value=_service_pk("medical"))
    form.locator("input[name=parts][value=treatment]").check()
    form.locator("[name=reason]").fill(REASON)
    form.locator("input[name=consent][value=new]").check()
    form.locator("[name=consent_method]").select_option(value="signed")
    form.locator("[name=consent_given_on]").fill("31/02/2026")  # no such day
    form.locator("button[type=submit]").click()
    expect(minh.get_by_test_id("error-summary")).to_be_visible()
    expect(minh.locator("[name=reason]")).to_have_value(REASON)
    expect(minh.locator("input[name=parts][value=treatment]")).to_be_checked()
    _no_horizontal_scroll(minh)
    _shot(minh, "referral-form-error", viewport)
    minh.locator("[name=consent_given_on]").fill("02/11/2026")
    minh.get_by_test_id("referral-form").locator("button[type=submit]").click()
    expect(minh.get_by_test_id("state")).to_be_visible()
    referral = Referral.objects.get(case=case)
    _act(minh, "submit", viewport, "referral-draft")

    # 2. The supervisor finds it in the review queue and approves it.
    hoa = _as(browser, viewport, base, town, "hoa")
    hoa.goto(f"{base}/referrals/?tab=review")
    _no_horizontal_scroll(hoa)
    _shot(hoa, "referral-review-queue", viewport)
    hoa.get_by_test_id("referral-row").get_by_role("link").click()
    _act(hoa, "approve", viewport, "referral-review", comment="Đồng ý chuyển gửi")

    # 3. The officer sends it.
    minh.goto(f"{base}/referrals/{referral.pk}/")
    _act(minh, "send", viewport, "referral-approved")
    assert Referral.objects.get(pk=referral.pk).state == State.SENT

    # 4. The clinic's caseworker sees it waiting on her start page and accepts it.
    lan = _as(browser, viewport, base, town, "lan")
    lan.goto(f"{base}/my-work/")
    tallies = lan.get_by_test_id("tallies")
    expect(tallies).to_be_visible()
    tallies.locator("a[href$='tab=waiting']").click()
    _no_horizontal_scroll(lan)
    _shot(lan, "referral-waiting-queue", viewport)
    lan.get_by_test_id("referral-row").get_by_role("link").click()
    expect(lan.get_by_test_id("shared-parts")).to_be_visible()
    _act(lan, "accept", viewport, "referral-received")

    # 5. She opens the person: only the shared part (treatment), no name nor ID number.
    lan.get_by_test_id("person-link").click()
    expect(lan.locator("h1")).to_contain_text(resident.short_id)
    assert "Vàng A Sử" not in lan.content() and "010092000777" not in lan.content()
    _no_horizontal_scroll(lan)
    _shot(lan, "referral-person-shared-parts", viewport)

    # 6. She completes it with an outcome; the first try without one is refused.
    lan.goto(f"{base}/referrals/{referral.pk}/")
    lan.get_by_test_id("act-form").get_by_test_id("action-complete").click()
    expect(lan.locator("[name=outcome]")).to_be_visible()
    expect(lan.locator(".has-error")).to_have_count(1)
    _act(lan, "complete", viewport, "referral-complete", outcome=OUTCOME)

    # 7. The officer reads the outcome.
    minh.goto(f"{base}/referrals/{referral.pk}/")
    expect(minh.get_by_test_id("outcome")).to_contain_text(OUTCOME)
    _no_horizontal_scroll(minh)
    _shot(minh, "referral-outcome", viewport)
    assert Referral.objects.get(pk=referral.pk).state == State.COMPLETED


def _service_pk(code: str) -> str:
    from services.models import ServiceType

    return str(ServiceType.objects.get(code=code).pk)
