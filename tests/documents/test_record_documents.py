"""Documents attached to one record of a case (a screening, a referral, a service record),
not only to the case: the record's referral part decides, with the kind's, who opens each.

ASVS 5.0: 8.2.2 / 8.2.3 (object- and field-level access), 16.2.1 (reads and denials logged).
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import Event
from cases import access
from cases.events import CaseAction
from cases.models import Case
from documents.models import Document, Kind
from documents.records import DOWNLOADED
from referrals import actions as referral_actions
from referrals.models import Part, State
from services.models import Screening, ServiceRecord, ServiceType
from tests.conftest import World
from tests.referrals.support import make_consent, make_referral

from .conftest import pdf_bytes, png_bytes


def _screening(world: World, case: Case) -> Screening:
    """Record an ASSIST screening on the case, as lan does from the case page."""
    return _screening_by(world, case, "lan")


def _screening_by(world: World, case: Case, who: str) -> Screening:
    from tests.services.test_screening_records import _assist_answers

    url = reverse("services:record_add", args=[case.pk, "screening-assist"])
    assert world.client(who).post(url, _assist_answers()).status_code == 302
    return Screening.objects.filter(case=case).latest("created_at")


def _service(world: World, case: Case) -> ServiceRecord:
    return ServiceRecord.objects.create(
        case=case,
        service_type=ServiceType.objects.get(code="counselling"),
        status="planned",
        due_on=datetime.date(2026, 12, 1),
        recorded_by=world.users["lan"],
    )


def _attach_to(  # type: ignore[no-untyped-def]
    world: World, record: Any, kind: str, name: str, data: bytes, who: str = "lan"
):
    label = record._meta.label_lower
    url = reverse("documents:record_document_add", args=[label, record.pk])
    upload = SimpleUploadedFile(name, data, content_type="application/pdf")
    form = {"kind": kind, "dated_on": "20/01/2026", "note": "", "file": upload}
    return world.client(who).post(url, form)


def _denied(world: World, name: str) -> int:
    return Event.objects.filter(action=CaseAction.DENIED, actor=world.users[name]).count()


def test_a_document_is_attached_to_a_screening_and_shown_on_its_page(
    world: World, case: Case
) -> None:
    """The record's page lists its documents and offers to attach one; the document names
    the record it belongs to and takes the record's part."""
    screening = _screening(world, case)
    record_page = reverse("services:record_detail", args=["screening-assist", screening.pk])
    page = world.client("lan").get(record_page).content.decode()
    add_url = reverse("documents:record_document_add", args=["services.screening", screening.pk])
    assert add_url in page

    response = _attach_to(world, screening, Kind.OTHER, "phieu-sang-loc.pdf", pdf_bytes())
    document = Document.objects.get()
    assert response.status_code == 302
    assert (document.record_type, document.record_id) == ("services.screening", screening.pk)
    assert document.record_part == "screenings" and document.part == ""
    assert document.case_id == case.pk
    page = world.client("mai").get(record_page).content.decode()
    assert reverse("documents:document_detail", args=[document.pk]) in page
    detail = world.client("mai").get(reverse("documents:document_detail", args=[document.pk]))
    assert record_page in detail.content.decode()  # the document links back to its record


def test_a_record_of_another_case_or_of_no_record_type_is_refused(
    world: World, case: Case, tuan_person: Any
) -> None:
    """ASVS 8.2.2 (attack): an outsider attaches to a record out of their scope; a writer
    names a model that is no record (a person, a document, a user): 404, nothing stored."""
    screening = _screening(world, case)
    before = _denied(world, "tuan")
    response = _attach_to(world, screening, Kind.OTHER, "x.pdf", pdf_bytes(), who="tuan")
    assert response.status_code == 404 and _denied(world, "tuan") == before + 1
    lan = world.client("lan")
    for label, pk in (
        ("cases.person", case.person_id),
        ("cases.case", case.pk),
        ("accounts.user", case.pk),
        ("documents.document", screening.pk),
        ("no.such", screening.pk),
    ):
        url = reverse("documents:record_document_add", args=[label, pk])
        assert lan.get(url).status_code == 404, label
    assert Document.objects.count() == 0


@pytest.mark.parametrize(
    ("parts", "opens"),
    [
        ([Part.SCREENINGS], {"phieu.pdf"}),
        ([Part.IDENTITY], set()),
        ([Part.IDENTITY, Part.SCREENINGS], {"phieu.pdf", "cccd.png"}),
        ([Part.TREATMENT], set()),
    ],
)
def test_a_parts_limited_receiver_opens_a_record_document_only_with_its_parts(
    world: World, case: Case, tuan_person: Any, parts: list[str], opens: set[str]
) -> None:
    """ASVS 8.2.3 (attack): a receiver asks for each document attached to records; a
    document on a screening needs "screenings" (and its kind's part too: an ID card copy
    needs "identity"); one on a record of no part (a service record) opens to nobody who
    sees the case only in part. Each refusal is a 404 and a logged denial."""
    screening = _screening(world, case)
    service = _service(world, case)
    _attach_to(world, screening, Kind.OTHER, "phieu.pdf", pdf_bytes())
    _attach_to(world, screening, Kind.ID_CARD, "cccd.png", png_bytes())
    _attach_to(world, service, Kind.MEDICAL, "giay-kham.pdf", pdf_bytes())
    referral = make_referral(
        world, case, state=State.SENT, consent=make_consent(world, case), parts=parts
    )
    referral_actions.referral_act(
        actor=world.users["tuan"], referral_id=referral.pk, action="accept"
    )
    tuan = world.client("tuan")
    for document in Document.objects.all():
        name = str(document.file_name)
        for view in ("document_detail", "document_file"):
            before = _denied(world, "tuan")
            response = tuan.get(reverse(f"documents:{view}", args=[document.pk]))
            if name in opens:
                assert response.status_code == 200, (name, view)
            else:
                assert response.status_code == 404, (name, view)
                assert _denied(world, "tuan") == before + 1, (name, view)
    downloads = Event.objects.filter(action=DOWNLOADED, actor=world.users["tuan"]).count()
    assert downloads == len(opens)
    # His own clinic's case, which he sees whole, keeps every document on its records.
    own = Case.objects.get(person=tuan_person)
    own_screening = _screening_by(world, own, "tuan")
    _attach_to(world, own_screening, Kind.OTHER, "cua-toi.pdf", pdf_bytes(), who="tuan")
    mine = Document.objects.get(case=own)
    assert tuan.get(reverse("documents:document_file", args=[mine.pk])).status_code == 200
    assert access.visible(world.users["tuan"], Document).filter(pk=mine.pk).exists()
    # The timeline leaves out what the receiver may not open.
    page = tuan.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    for document in Document.objects.all():
        link = reverse("documents:document_detail", args=[document.pk])
        assert (link in page) == (str(document.file_name) in opens)
    # A receiver adds nothing to a record of the case.
    refused = _attach_to(world, screening, Kind.OTHER, "x.pdf", pdf_bytes(), who="tuan")
    assert refused.status_code in (403, 404)
    assert Document.objects.count() == 4


def test_the_record_part_cannot_be_left_out_in_the_database(world: World, case: Case) -> None:
    """A row written around the action (a bulk update) cannot drop the record's part, nor
    name a record without its type."""
    from django.db import IntegrityError, transaction

    screening = _screening(world, case)
    _attach_to(world, screening, Kind.OTHER, "phieu.pdf", pdf_bytes())
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.update(record_part="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.update(record_type="")
