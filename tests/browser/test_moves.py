"""On a 360 px phone: the commune officer of the old commune records that a person moved
(an impossible date first), the new commune's officer finds the hand-over on the start page
and in the queue — overdue once the 24 hours have passed — and accepts it (D50).

Screenshots: ``move-*.png`` (``make screens`` writes them to docs/screens/).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, expect

from cases.choices import Role
from cases.models import Case, Move, Organisation, OrganisationType, Person, StaffProfile
from cases.roles import staff_profile_save
from tests.browser.test_everyday_use import (  # noqa: F401
    PHONE,
    _no_horizontal_scroll,
    _pending_translations,
    _shot,
    _sign_in_by_cookie,
    town,
)
from tests.conftest import World
from tests.factories import make_user

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
def nga(town: World) -> Any:  # noqa: F811
    """The social officer of commune 98102, where the person moves."""
    commune = Organisation.objects.create(
        name="UBND xã Một Hai",
        type=OrganisationType.objects.get(code="commune-committee"),
        unit=town.units["c2"],
    )
    user = make_user("nga", first_name="Nga", last_name="Đinh Thị")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=user, organisation=commune, role=Role.COMMUNE_OFFICER, scope_unit=town.units["c2"]
        ),
    )
    return user


def test_a_move_is_recorded_and_accepted_on_a_phone(
    live_server: Any,
    town: World,  # noqa: F811
    lan_person: Person,
    nga: Any,
    phone: BrowserContext,
) -> None:
    page = _sign_in_by_cookie(phone, live_server.url, town.users["minh"])
    page.goto(live_server.url + reverse("cases:person_detail", args=[lan_person.pk]))
    section = page.get_by_test_id("moves")
    expect(section).to_be_visible()
    section.get_by_test_id("record-move").click()

    # One impossible date first: the error, and what was typed kept.
    page.locator("[name=to_commune]").select_option(str(town.units["c2"].pk))
    page.locator("[name=moved_on]").fill("30/02/2026")
    page.locator("[name=source]").select_option("police")
    page.locator("[name=confirm]").check()
    _no_horizontal_scroll(page)
    page.locator("form.card button[type=submit]").click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    expect(page.locator("[name=moved_on]")).to_have_value("30/02/2026")
    expect(page.locator("[name=source]")).to_have_value("police")
    _no_horizontal_scroll(page)
    _shot(page, "move-record-error", VIEWPORT)

    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).strftime("%d/%m/%Y")
    page.locator("[name=moved_on]").fill(yesterday)
    page.locator("[name=confirm]").check()
    page.locator("form.card button[type=submit]").click()
    expect(page.get_by_test_id("move-state")).to_be_visible()
    _no_horizontal_scroll(page)
    _shot(page, "move-recorded", VIEWPORT)
    move = Move.objects.get(person=lan_person)
    assert move.to_commune == town.units["c2"] and move.state == "pending"

    # The new commune's officer: a count on the start page, the queue, the hand-over.
    receiver = _sign_in_by_cookie(phone, live_server.url, nga)
    receiver.goto(live_server.url + reverse("cases:my_work"))
    tallies = receiver.get_by_test_id("tallies")
    expect(tallies).to_contain_text("1")
    _no_horizontal_scroll(receiver)
    _shot(receiver, "move-start-count", VIEWPORT)
    # 24 hours later (the row's deadline moved back, not the clock): flagged overdue.
    Move.objects.filter(pk=move.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    receiver.goto(live_server.url + reverse("cases:handover_queue"))
    handover = receiver.get_by_test_id("handover")
    expect(handover).to_have_class("card overdue")
    expect(handover).to_contain_text(lan_person.short_id)
    expect(handover).not_to_contain_text("Trần Thị Bình")  # not the name before accepting
    _no_horizontal_scroll(receiver)
    _shot(receiver, "move-queue-overdue", VIEWPORT)
    handover.get_by_role("link").click()
    expect(receiver.get_by_test_id("move-overdue")).to_be_visible()
    _shot(receiver, "move-handover", VIEWPORT)
    receiver.get_by_test_id("accept-move").click()

    # Accepted: the person page opens for the new commune, the case is its own now.
    expect(receiver.get_by_test_id("moves")).to_be_visible()
    _no_horizontal_scroll(receiver)
    _shot(receiver, "move-accepted", VIEWPORT)
    lan_person.refresh_from_db()
    assert lan_person.residence_commune == town.units["c2"]
    assert Move.objects.get(pk=move.pk).state == "accepted"
    assert Case.objects.filter(person=lan_person).exists()
