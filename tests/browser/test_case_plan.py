"""Planning and reviewing a goal of the case plan on a 360 px phone, then asking to close
the case and the supervisor approving it (issue 28 item 2, D45)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from cases.models import Case, CaseClosure, Person, PlanGoal
from tests.browser.test_everyday_use import (
    VIEWPORTS,
    _no_horizontal_scroll,
    _shot,
    _sign_in_by_cookie,
)
from tests.conftest import World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

GOAL = "Có việc làm ổn định trong ba tháng"


def _d(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).strftime("%d/%m/%Y")


def test_plan_and_review_a_goal_then_close_the_case_on_a_phone(
    live_server: Any, world: World, lan_person: Person, browser: Browser
) -> None:
    case = Case.objects.get(person=lan_person)
    phone = browser.new_context(viewport=VIEWPORTS["phone"], locale="vi-VN")  # type: ignore[arg-type]
    phone.set_default_timeout(15_000)
    lan = _sign_in_by_cookie(phone, live_server.url, world.users["lan"])

    # Plan a goal from the case page's "Add…" menu.
    lan.goto(f"{live_server.url}/cases/{case.pk}/")
    menu = lan.get_by_test_id("add-menu")
    menu.get_by_text("Thêm…").click()
    menu.get_by_role("link", name="Mục tiêu kế hoạch").click()
    lan.get_by_label("Nhu cầu (phát hiện qua sàng lọc, đánh giá)").fill(
        "Mất việc, nợ tiền, nguy cơ tái sử dụng"
    )
    lan.get_by_label("Mục tiêu", exact=False).first.fill(GOAL)
    lan.get_by_label("Các việc đã thống nhất").fill("Giới thiệu học nghề mộc; gặp gia đình")
    lan.get_by_label("Hạn thực hiện").fill(_d(30))
    lan.get_by_label("Ngày rà soát tiếp theo").fill(_d(7))
    _no_horizontal_scroll(lan)
    _shot(lan, "case-plan-goal-form", "phone")
    lan.get_by_role("button", name="Lưu").click()

    plan = lan.get_by_test_id("case-plan")
    expect(plan.get_by_test_id("plan-goal")).to_contain_text(GOAL)
    expect(plan.get_by_test_id("plan-goal")).to_contain_text("Đang thực hiện")
    _no_horizontal_scroll(lan)
    _shot(lan, "case-plan-on-case-page", "phone")
    goal = PlanGoal.objects.get()
    assert goal.responsible == world.users["lan"] and goal.status == "open"

    # Review it: achieved, with what came of it.
    plan.get_by_role("link", name=GOAL).click()
    lan.get_by_role("link", name="Rà soát mục tiêu").click()
    lan.get_by_label("Trạng thái").select_option(label="Đã đạt")
    lan.get_by_label("Ghi chú xem xét").fill("Đã có việc làm tại xưởng mộc của xã")
    _no_horizontal_scroll(lan)
    _shot(lan, "case-plan-goal-review", "phone")
    lan.get_by_role("button", name="Lưu").click()
    expect(lan.get_by_test_id("goal-status")).to_have_text("Đã đạt")
    expect(lan.get_by_test_id("goal-review-note")).to_contain_text("xưởng mộc")
    _no_horizontal_scroll(lan)
    _shot(lan, "case-plan-goal-reviewed", "phone")
    goal.refresh_from_db()
    assert goal.status == "achieved" and goal.history.count() == 2

    # Ask to close the case: an addiction case waits for the supervisor.
    lan.goto(f"{live_server.url}/cases/{case.pk}/")
    lan.get_by_test_id("close-case").click()
    expect(lan.get_by_test_id("needs-approval")).to_be_visible()
    lan.get_by_label("Lý do đóng hồ sơ").select_option(label="Đã đạt các mục tiêu của kế hoạch")
    lan.get_by_label("Tóm tắt").fill("Hoàn thành kế hoạch, có việc làm ổn định")
    _no_horizontal_scroll(lan)
    _shot(lan, "case-close-form", "phone")
    lan.get_by_role("button", name="Gửi đề nghị duyệt").click()
    expect(lan.get_by_test_id("closure-pending")).to_be_visible()
    phone.close()

    # The province's supervisor approves it from the queue, on a phone too.
    phone = browser.new_context(viewport=VIEWPORTS["phone"], locale="vi-VN")  # type: ignore[arg-type]
    phone.set_default_timeout(15_000)
    hoa = _sign_in_by_cookie(phone, live_server.url, world.users["hoa"])
    hoa.goto(f"{live_server.url}/closures/")
    hoa.get_by_test_id("closure-request").get_by_role("link").click()
    expect(hoa.get_by_test_id("closure-facts")).to_contain_text("việc làm ổn định")
    _no_horizontal_scroll(hoa)
    _shot(hoa, "case-close-approval", "phone")
    hoa.get_by_role("button", name="Duyệt và đóng hồ sơ").click()
    expect(hoa.get_by_text("Đã đóng hồ sơ.")).to_be_visible()
    phone.close()
    case.refresh_from_db()
    assert case.status == "closed"
    assert CaseClosure.objects.get().decided_by == world.users["hoa"]
