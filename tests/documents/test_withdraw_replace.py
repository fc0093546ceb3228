"""Withdrawing a document (with a reason: its file destroyed, its facts kept) and replacing
its file with a new version (the old one kept as an earlier version), both recorded.

ASVS 5.0: 8.2.2 (object-level access), 16.2.1 (writes and denials logged), 14.2.6 (data
kept no longer than needed: a withdrawn file is destroyed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from audit.models import Event
from cases.events import CaseAction
from cases.models import Case
from documents import files
from documents.models import Document, Kind
from documents.selectors import person_documents
from tests.conftest import World

from .conftest import pdf_bytes


def _attach(world: World, case: Case) -> Document:
    url = reverse("documents:document_add", args=[case.pk])
    upload = SimpleUploadedFile("giay-kham.pdf", pdf_bytes())
    form = {"kind": Kind.MEDICAL, "dated_on": "20/01/2026", "note": "", "file": upload}
    assert world.client("lan").post(url, form).status_code == 302
    return Document.objects.get()


def timeline_of(world: World, case: Case) -> list[Any]:
    from cases import timeline

    with translation.override("vi"):
        return timeline.for_case(viewer=world.users["lan"], case=case)


def _stored(location: Path) -> list[bytes]:
    return [path.read_bytes() for path in location.rglob("*") if path.is_file()]


def test_a_withdrawn_document_keeps_its_facts_and_loses_its_file(
    world: World, case: Case, document_storage: Path, django_capture_on_commit_callbacks: Any
) -> None:
    """Withdrawing needs a reason; the sealed file is deleted, the row, its history and the
    reason (encrypted) stay; the file answers 404 to everyone; the timeline says so."""
    document = _attach(world, case)
    url = reverse("documents:document_withdraw", args=[document.pk])
    lan = world.client("lan")
    refused = lan.post(url, {"reason": "  "})
    assert refused.status_code == 200 and "reason" in refused.context["form"].errors
    assert Document.objects.get().withdrawn_at is None

    with django_capture_on_commit_callbacks(execute=True):
        response = lan.post(url, {"reason": "Nhầm hồ sơ của người khác"})
    assert response.status_code == 302
    withdrawn = Document.objects.get()
    assert withdrawn.withdrawn_at is not None and withdrawn.withdrawn_by == world.users["lan"]
    assert withdrawn.withdrawal_reason == "Nhầm hồ sơ của người khác"
    raw = Document.objects.values_list("withdrawal_reason", flat=True).get()
    assert raw.startswith("v1$")
    assert withdrawn.stored_as == "" and _stored(document_storage) == []
    assert withdrawn.history.count() == 2
    event = Event.objects.get(action="document_withdrawn")
    assert event.object_id == str(document.pk) and event.actor == world.users["lan"]
    file_url = reverse("documents:document_file", args=[document.pk])
    assert lan.get(file_url).status_code == 404
    page = lan.get(reverse("documents:document_detail", args=[document.pk])).content.decode()
    assert "Nhầm hồ sơ" in page and file_url not in page
    # Gone from the person page's list of documents; the timeline keeps it, marked.
    section = person_documents(world.users["lan"], case.person)
    assert section is not None and section.rows[0].documents == []
    entries = [e for e in timeline_of(world, case) if e.url.endswith(f"{document.pk}/")]
    assert [str(e.title) for e in entries] == ["Giấy chứng nhận y tế (đã rút)"]
    assert lan.post(url, {"reason": "lần nữa"}).status_code == 404  # once only


def test_an_outsider_cannot_withdraw_or_replace(world: World, case: Case) -> None:
    """ASVS 8.2.2 (attack): another clinic's caseworker posts a withdrawal and a new file;
    both answer 404 with a denial, and the document is unchanged."""
    document = _attach(world, case)
    tuan = world.client("tuan")
    before = Event.objects.filter(action=CaseAction.DENIED, actor=world.users["tuan"]).count()
    withdraw = reverse("documents:document_withdraw", args=[document.pk])
    replace = reverse("documents:document_replace", args=[document.pk])
    assert tuan.post(withdraw, {"reason": "x"}).status_code == 404
    upload = SimpleUploadedFile("moi.pdf", pdf_bytes())
    assert tuan.post(replace, {"dated_on": "21/01/2026", "file": upload}).status_code == 404
    after = Event.objects.filter(action=CaseAction.DENIED, actor=world.users["tuan"]).count()
    assert after == before + 2
    assert Document.objects.count() == 1 and Document.objects.get().withdrawn_at is None


def test_a_replaced_document_is_kept_as_an_earlier_version(
    world: World, case: Case, document_storage: Path
) -> None:
    """Replacing the file makes a new document of the same kind (and case or record); the
    old one stays, its file still opens, marked replaced and linked from the new one."""
    old = _attach(world, case)
    url = reverse("documents:document_replace", args=[old.pk])
    new_pdf = pdf_bytes().replace(b"1.4", b"1.7")
    upload = SimpleUploadedFile("giay-kham-moi.pdf", new_pdf)
    response = world.client("lan").post(url, {"dated_on": "25/01/2026", "note": "", "file": upload})
    assert response.status_code == 302
    new = Document.objects.exclude(pk=old.pk).get()
    assert response["Location"] == reverse("documents:document_detail", args=[new.pk])
    old.refresh_from_db()
    assert old.replaced_by == new and new.kind == old.kind and new.case_id == old.case_id
    assert len(_stored(document_storage)) == 2  # the earlier version's file is kept
    mai = world.client("mai")
    assert mai.get(reverse("documents:document_file", args=[old.pk])).content == pdf_bytes()
    assert mai.get(reverse("documents:document_file", args=[new.pk])).content == new_pdf
    page = mai.get(reverse("documents:document_detail", args=[new.pk])).content.decode()
    assert reverse("documents:document_detail", args=[old.pk]) in page
    assert Event.objects.filter(action="document_replaced", object_id=str(old.pk)).exists()
    assert files.load(new.stored_as) != files.load(old.stored_as)
    # A replaced document is replaced once: its page offers no second replacement.
    again = world.client("lan").post(url, {"dated_on": "26/01/2026", "file": upload})
    assert again.status_code == 404
