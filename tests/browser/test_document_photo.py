"""Attaching a photo on a phone (issue 28): from the case page's "Add…" menu, at 360 px; the
document page shows the thumbnail (no EXIF) and the timeline names the kind, not the file."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as project_settings
from PIL import Image
from playwright.sync_api import Browser, expect

from audit.models import Event
from cases.models import Case, Person
from documents import files
from documents.models import Document
from tests.browser.test_everyday_use import (
    VIEWPORTS,
    _no_horizontal_scroll,
    _shot,
    _sign_in_by_cookie,
)
from tests.conftest import World
from tests.documents.conftest import GPS_TAG, jpeg_with_gps

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_attach_a_photo_on_a_phone(
    live_server: Any,
    world: World,
    lan_person: Person,
    browser: Browser,
    settings: Any,
    tmp_path: Path,
) -> None:
    storages: dict[str, Any] = dict(project_settings.STORAGES)
    storages[project_settings.DOCUMENT_STORAGE] = {
        "BACKEND": "documents.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "documents")},
    }
    settings.STORAGES = storages
    photo = tmp_path / "anh-nhan-dang.jpg"
    photo.write_bytes(jpeg_with_gps((1200, 900)))
    case = Case.objects.get(person=lan_person)
    ctx = browser.new_context(viewport=VIEWPORTS["phone"], locale="vi-VN")  # type: ignore[arg-type]
    ctx.set_default_timeout(15_000)
    lan = _sign_in_by_cookie(ctx, live_server.url, world.users["lan"])

    lan.goto(f"{live_server.url}/cases/{case.pk}/")
    menu = lan.get_by_test_id("add-menu")
    menu.get_by_text("Thêm…").click()
    menu.get_by_role("link", name="Tài liệu").click()
    lan.get_by_label("Loại tài liệu").select_option(label="Ảnh nhận dạng")
    lan.get_by_label("Tệp").set_input_files(str(photo))
    _no_horizontal_scroll(lan)
    _shot(lan, "document-attach", "phone")
    lan.get_by_role("button", name="Lưu").click()

    facts = lan.get_by_test_id("document-facts")
    expect(facts).to_contain_text("Ảnh nhận dạng")
    expect(facts).to_contain_text("anh-nhan-dang.jpg")
    thumbnail = lan.get_by_test_id("document-thumbnail")
    expect(thumbnail).to_be_visible()
    assert (
        lan.evaluate("document.querySelector('[data-testid=document-thumbnail]').naturalWidth")
        == 320
    )
    _no_horizontal_scroll(lan)
    _shot(lan, "document-photo", "phone")

    document = Document.objects.get()
    thumb = files.unseal(
        files.load(document.thumbnail_as),
        data_key=str(document.data_key),
        document_id=document.pk,
        role="thumbnail",
    )
    assert not Image.open(io.BytesIO(thumb)).getexif().get_ifd(GPS_TAG)
    assert Event.objects.filter(action="document_downloaded", detail__file="thumbnail").exists()

    # The case page's timeline names the kind, never the file.
    lan.goto(f"{live_server.url}/cases/{case.pk}/")
    timeline = lan.get_by_test_id("timeline")
    expect(timeline.get_by_role("link", name="Tài liệu: Ảnh nhận dạng")).to_be_visible()
    expect(timeline).not_to_contain_text("anh-nhan-dang")
    ctx.close()
