"""The one recipe's example record in the browser (issue 24): added from the case page's
"Add…" menu, its page, its timeline entry, and the conflict page when two people edit it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from cases.models import Case, Person
from tests.browser.test_everyday_use import (
    VIEWPORTS,
    _no_horizontal_scroll,
    _shot,
    _sign_in_by_cookie,
)
from tests.conftest import World
from tests.exampleapp.models import CaseNote

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_add_a_note_see_it_on_the_timeline_and_meet_the_conflict_page(
    live_server: Any, world: World, lan_person: Person, browser: Browser
) -> None:
    case = Case.objects.get(person=lan_person)
    desk = browser.new_context(viewport=VIEWPORTS["desktop"], locale="vi-VN")  # type: ignore[arg-type]
    phone = browser.new_context(viewport=VIEWPORTS["phone"], locale="vi-VN")  # type: ignore[arg-type]
    for ctx in (desk, phone):
        ctx.set_default_timeout(15_000)
    lan = _sign_in_by_cookie(phone, live_server.url, world.users["lan"])

    # Added from the case page's "Add…" menu, which the recipe fills.
    lan.goto(f"{live_server.url}/cases/{case.pk}/")
    menu = lan.get_by_test_id("add-menu")
    menu.get_by_text("Thêm…").click()
    menu.get_by_role("link", name="Ghi chú hồ sơ").click()
    lan.get_by_label("Hình thức").select_option(label="Gọi điện thoại")
    lan.get_by_label("Ghi chú").fill("Gia đình hẹn gặp tuần sau")
    lan.get_by_role("button", name="Lưu").click()

    # Its page.
    facts = lan.get_by_test_id("note-facts")
    expect(facts).to_contain_text("Gia đình hẹn gặp tuần sau")
    expect(facts).to_contain_text("Gọi điện thoại")
    _no_horizontal_scroll(lan)
    _shot(lan, "example-note", "phone")
    note = CaseNote.objects.get()

    # Its timeline entry on the case page: the topic, never the note's text.
    lan.goto(f"{live_server.url}/cases/{case.pk}/")
    timeline = lan.get_by_test_id("timeline")
    entry = timeline.get_by_role("link", name="Ghi chú hồ sơ: Gọi điện thoại")
    expect(entry).to_be_visible()
    expect(timeline).not_to_contain_text("Gia đình hẹn gặp")
    _shot(lan, "example-note-timeline", "phone")
    entry.click()
    expect(lan.get_by_test_id("note-facts")).to_be_visible()

    # Two people open the edit page; lan saves first, mai's save meets the conflict page.
    mai = _sign_in_by_cookie(desk, live_server.url, world.users["mai"])
    edit = f"{live_server.url}/example/notes/{note.pk}/edit/"
    mai.goto(edit)
    lan.goto(edit)
    lan.get_by_label("Ghi chú").fill("Đã gọi lại, gia đình đồng ý")
    lan.get_by_role("button", name="Lưu").click()
    expect(lan.get_by_test_id("note-facts")).to_contain_text("Đã gọi lại")
    mai.get_by_label("Hình thức").select_option(label="Thăm gia đình")
    mai.get_by_role("button", name="Lưu").click()
    conflict = mai.get_by_test_id("edit-conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("Đã gọi lại, gia đình đồng ý")
    expect(conflict.locator("tbody tr")).to_have_count(1)
    # mai's own change is kept in the form, lan's is merged in.
    expect(mai.get_by_label("Hình thức")).to_have_value("home_visit")
    expect(mai.get_by_label("Ghi chú")).to_have_value("Đã gọi lại, gia đình đồng ý")
    _shot(mai, "example-note-conflict", "desktop")
    note.refresh_from_db()
    assert (note.topic, note.version) == ("phone_call", 2)  # the refused save wrote nothing

    mai.get_by_role("button", name="Lưu").click()
    expect(mai.get_by_test_id("note-facts")).to_contain_text("Thăm gia đình")
    note.refresh_from_db()
    assert (note.topic, note.text, note.version) == ("home_visit", "Đã gọi lại, gia đình đồng ý", 3)
    desk.close()
    phone.close()
