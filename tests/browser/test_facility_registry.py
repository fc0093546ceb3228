"""A supervisor edits a facility's profile and records a review against Decree 116's
conditions on a 360 px phone: from the menu to the facility, the profile form (a mistake
first, the input kept), the saved profile with its history, and the review with a condition
not met, its actions and the facility's list of reviews.

Screenshots: ``docs/screens/facility-*.png`` (``make screens`` with HOA_NHAP_SCREENS_DIR).
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from facilities.models import ConditionReview, FacilityProfile
from tests.browser.conftest import open_menu, sign_in_by_cookie
from tests.browser.test_everyday_use import _no_horizontal_scroll as _fits
from tests.browser.test_everyday_use import (
    _pending_translations,  # noqa: F401 (autouse)
    _shot,
)
from tests.conftest import World
from tests.facilities.support import facility

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_supervisor_edits_a_profile_and_records_a_review_on_a_phone(
    live_server: Any, world: World, phone_page: Page
) -> None:
    profile = facility(
        "Cơ sở cai nghiện ma túy Huyện Hai", "rehab-public", world.units["c3"], capacity=None
    )
    page = sign_in_by_cookie(phone_page.context, live_server.url, world.users["hoa"])
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/")
    open_menu(page).get_by_role("link", name="Cơ sở").click()
    expect(page.get_by_role("heading", name="Cơ sở", exact=True)).to_be_visible()
    _fits(page)
    page.get_by_role("link", name="Cơ sở cai nghiện ma túy Huyện Hai").click()
    page.get_by_test_id("facility-edit").click()
    _fits(page)
    page.get_by_label("Điện thoại").fill("0214 3822 111")
    page.get_by_label("Giờ làm việc", exact=True).fill("Cả ngày, 24/7")
    page.get_by_label("Sức chứa", exact=True).fill("80")  # no unit said: refused, input kept
    page.get_by_label("Tư vấn", exact=True).check()
    page.get_by_label("Đối tượng được sử dụng").fill("Người nghiện ma túy từ đủ 18 tuổi")
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator(".error").first).to_be_visible()
    expect(page.get_by_label("Sức chứa", exact=True)).to_have_value("80")
    expect(page.get_by_label("Giờ làm việc", exact=True)).to_have_value("Cả ngày, 24/7")
    _fits(page)
    _shot(page, "facility-profile-error", "phone")
    page.get_by_label("Đơn vị sức chứa").select_option("beds")
    page.get_by_role("button", name="Lưu").click()
    facts = page.get_by_test_id("facility-profile")
    expect(facts).to_contain_text("80 giường")
    expect(facts).to_contain_text("Tư vấn")
    expect(page.get_by_test_id("history")).to_contain_text("Sức chứa")
    _fits(page)
    _shot(page, "facility-profile", "phone")

    page.get_by_test_id("review-add").click()
    page.get_by_label("Ngày kiểm tra").fill("01/11/2026")
    page.get_by_label("Người kiểm tra").fill("Đoàn kiểm tra liên ngành tỉnh")
    for fieldset in page.locator("fieldset[data-testid^=item-]").all():
        fieldset.get_by_label("Đạt", exact=True).check()
    staff = page.get_by_test_id("item-4.2")
    staff.get_by_label("Chưa đạt").check()
    staff.get_by_label("Ghi chú mục 4.2").fill("Chưa có bác sĩ cơ hữu")
    page.get_by_label("Chưa đủ điều kiện").check()
    page.get_by_label("Việc cần khắc phục").fill("Tuyển bác sĩ trong 3 tháng")
    _fits(page)
    _shot(page, "facility-review-form", "phone")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_test_id("review")).to_contain_text("Chưa đủ điều kiện")
    expect(page.get_by_test_id("answers")).to_contain_text("Chưa có bác sĩ cơ hữu")
    _fits(page)
    _shot(page, "facility-review", "phone")
    profile = FacilityProfile.objects.get(pk=profile.pk)
    assert (profile.capacity, profile.capacity_unit, profile.version) == (80, "beds", 2)
    review = ConditionReview.objects.get(facility=profile)
    assert review.overall == "does_not_meet" and review.items.count() == 14
