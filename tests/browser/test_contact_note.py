"""Writing a contact note from the case page on a 360 px phone (issue 28 item 3, D42): the
"Add…" menu, the short form, the timeline entry (the kind, never the text), the note's page,
and an addendum once the edit window has closed; and the family section on the person page."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from cases.models import Case, ContactNote, Person
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

TEXT = "Gọi cho mẹ: anh ấy đi làm đều, hẹn thăm nhà tuần sau"


def test_write_a_note_from_the_case_page_on_a_phone(
    live_server: Any, world: World, lan_person: Person, browser: Browser
) -> None:
    case = Case.objects.get(person=lan_person)
    phone = browser.new_context(viewport=VIEWPORTS["phone"], locale="vi-VN")  # type: ignore[arg-type]
    phone.set_default_timeout(15_000)
    lan = _sign_in_by_cookie(phone, live_server.url, world.users["lan"])

    lan.goto(f"{live_server.url}/cases/{case.pk}/")
    menu = lan.get_by_test_id("add-menu")
    menu.get_by_text("Thêm…").click()
    menu.get_by_role("link", name="Ghi chép tiếp xúc").click()
    lan.get_by_label("Hình thức tiếp xúc").select_option(label="Gọi điện thoại")
    lan.get_by_label("Thời lượng (phút)").fill("15")
    lan.get_by_label("Những người có mặt").fill("Mẹ của chị Bình")
    lan.get_by_label("Ghi chú").fill(TEXT)
    _no_horizontal_scroll(lan)
    _shot(lan, "contact-note-form", "phone")
    lan.get_by_role("button", name="Lưu").click()

    # Back on the case page: the entry shows the kind of contact, never the text.
    timeline = lan.get_by_test_id("timeline")
    entry = timeline.get_by_role("link", name="Ghi chép tiếp xúc: Gọi điện thoại")
    expect(entry).to_be_visible()
    expect(timeline).not_to_contain_text("đi làm đều")
    _no_horizontal_scroll(lan)
    _shot(lan, "contact-note-timeline", "phone")
    note = ContactNote.objects.get()
    assert (note.kind, note.duration_minutes, note.author) == ("phone", 15, world.users["lan"])

    entry.click()
    facts = lan.get_by_test_id("note-facts")
    expect(facts).to_contain_text(TEXT)
    expect(facts).to_contain_text("15 phút")
    expect(lan.get_by_role("link", name="Sửa", exact=True)).to_be_visible()  # inside the window

    # An hour later the note can no longer be changed: only an addendum.
    written = timezone.now() - datetime.timedelta(hours=1)
    ContactNote.objects.filter(pk=note.pk).update(created_at=written)
    lan.reload()
    expect(lan.get_by_role("link", name="Sửa", exact=True)).to_have_count(0)
    lan.get_by_role("link", name="Thêm ghi chép bổ sung").click()
    lan.get_by_label("Ghi chú").fill("Bổ sung: mẹ xin đổi lịch sang thứ Sáu")
    lan.get_by_role("button", name="Lưu").click()
    expect(lan.get_by_test_id("note-facts")).to_contain_text(TEXT)
    expect(lan.get_by_test_id("addendum")).to_contain_text("đổi lịch sang thứ Sáu")
    _no_horizontal_scroll(lan)
    _shot(lan, "contact-note-addendum", "phone")
    note.refresh_from_db()
    assert note.text == TEXT and note.version == 1

    # The family section of the person page, with a new family member linked from it.
    lan.goto(f"{live_server.url}/people/{lan_person.pk}/")
    family = lan.get_by_test_id("family")
    family.get_by_role("link", name="Liên kết thành viên gia đình").click()
    lan.get_by_label("Thành viên gia đình là … của người này").select_option(label="Cha, mẹ")
    lan.get_by_label("Người liên hệ (của người chưa thành niên hoặc người đang điều trị)").check()
    lan.get_by_label("Họ và tên").fill("Phạm Thị Hạnh")
    lan.get_by_label("Giới tính").select_option(label="Nữ")
    lan.get_by_label("Năm sinh").fill("1962")
    lan.get_by_role("button", name="Lưu").click()
    row = lan.get_by_test_id("family").get_by_test_id("family-row")
    expect(row).to_contain_text("Cha, mẹ")
    expect(row).to_contain_text("Phạm Thị Hạnh")
    expect(row).to_contain_text("người liên hệ")
    _no_horizontal_scroll(lan)
    _shot(lan, "family-section", "phone")
    row.get_by_role("link", name="Phạm Thị Hạnh").click()
    expect(lan.get_by_test_id("family").get_by_test_id("family-row")).to_contain_text("Con")
    phone.close()
