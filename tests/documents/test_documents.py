"""Documents on a case: encrypted at rest, re-wrapped by key rotation, opened only with their
referral part, checked by content, photos without metadata, every file read recorded.

ASVS 5.0: 14.2.4 (sensitive data encrypted at rest), 11.2.2 / 11.6.1 (approved cipher, key
rotation), 8.2.2 / 8.2.3 (object- and field-level access), 5.2.2 (file type checked by
content), 5.3.1 (uploads never served from a public path), 14.2.7 (metadata stripped),
16.2.1 (reads and denials logged).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from audit.models import Event
from cases import access
from cases.events import CaseAction
from cases.models import Case
from core import crypto
from documents import files
from documents.actions import document_attach
from documents.models import Document, Kind
from documents.records import DOWNLOADED
from referrals import actions as referral_actions
from referrals.models import Part, State
from tests.conftest import World
from tests.referrals.support import make_consent, make_referral

from .conftest import GPS_TAG, SECRET_TEXT, jpeg_with_gps, pdf_bytes, png_bytes

OLD = "demo1:yUdNYrEX7GbfHDXwSucoWxMcYO0Ro1dFfHP1T8KvP7A"
NEW = "k2026:HiayEgUtYGWiMrEIJbQiyf569zLOrxh-ClK_xPRJNoA"


def _ring(value: str) -> crypto.KeyRing:
    return crypto.parse_key_ring("test", value)


def _attach(world: World, case: Case, kind: str, name: str, data: bytes, who: str = "lan"):  # type: ignore[no-untyped-def]
    url = reverse("documents:document_add", args=[case.pk])
    upload = SimpleUploadedFile(name, data, content_type="application/pdf")
    form = {"kind": kind, "dated_on": "20/01/2026", "note": "", "file": upload}
    return world.client(who).post(url, form)


def _stored(location: Path) -> list[bytes]:
    return [path.read_bytes() for path in location.rglob("*") if path.is_file()]


def _denied(world: World, name: str) -> int:
    return Event.objects.filter(action=CaseAction.DENIED, actor=world.users[name]).count()


def test_the_file_is_encrypted_at_rest(world: World, case: Case, document_storage: Path) -> None:
    """ASVS 14.2.4: the stored bytes hold no plaintext; the name is encrypted in the row."""
    response = _attach(world, case, Kind.DECISION, "quyet-dinh-toa-an.pdf", pdf_bytes())
    document = Document.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("documents:document_detail", args=[document.pk])

    sealed = files.storage().open(document.stored_as, "rb").read()
    assert sealed.startswith(files.MAGIC)
    assert SECRET_TEXT.encode() not in sealed and b"%PDF" not in sealed
    assert _stored(document_storage) == [sealed]  # nothing else kept, in clear or not
    raw = Document.objects.values_list("file_name", "data_key").get()
    assert all(value.startswith("v1$") for value in raw)
    assert "quyet-dinh" not in "".join(raw)
    assert document.file_type == "application/pdf" and document.part == "treatment"
    assert document.added_by == world.users["lan"] and document.history.count() == 1
    assert Event.objects.filter(action="document_added", object_id=str(document.pk)).exists()

    # The file comes back only decrypted, through the view, as a recorded read.
    url = reverse("documents:document_file", args=[document.pk])
    download = world.client("mai").get(url)
    assert download.status_code == 200 and download.content == pdf_bytes()
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download["Cache-Control"]
    event = Event.objects.get(action=DOWNLOADED)
    assert event.actor == world.users["mai"] and event.person_id == case.person_id


def test_the_stored_file_is_bound_to_its_document(world: World, case: Case) -> None:
    """ASVS 11.3.3: a sealed file moved to another document does not decrypt."""
    _attach(world, case, Kind.MEDICAL, "giay-kham.pdf", pdf_bytes())
    _attach(world, case, Kind.MEDICAL, "giay-kham-2.pdf", pdf_bytes())
    first, second = Document.objects.order_by("added_at")
    sealed = files.load(first.stored_as)
    with pytest.raises(crypto.DecryptionError):
        files.unseal(sealed, data_key=str(second.data_key), document_id=second.pk, role="original")
    with pytest.raises(crypto.DecryptionError):
        files.unseal(sealed, data_key=str(first.data_key), document_id=first.pk, role="thumbnail")


def test_rotation_rewraps_every_document_key(world: World, case: Case) -> None:
    """ASVS 11.6.1: after rotation the old key can be retired and every file still opens."""
    _attach(world, case, Kind.ID_CARD, "cccd.jpg", jpeg_with_gps())
    document = Document.objects.get()
    assert crypto.key_id_of(Document.objects.values_list("data_key", flat=True).get()) == "demo1"
    original = files.load(document.stored_as)

    with override_settings(ENCRYPTION_KEY_RING=_ring(f"{NEW},{OLD}")):
        call_command("rotate_encryption_keys", stdout=io.StringIO())
    with override_settings(ENCRYPTION_KEY_RING=_ring(NEW)):
        rewrapped = Document.objects.get()
        stored = Document.objects.values_list("data_key", flat=True).get()
        assert crypto.key_id_of(stored) == "k2026"
        history = Document.history.values_list("data_key", flat=True).get()
        assert crypto.key_id_of(history) == "k2026"
        # The old key is gone from the ring, and the file, its thumbnail and name still open.
        page = world.client("lan").get(reverse("documents:document_file", args=[document.pk]))
        assert page.status_code == 200
        assert Image.open(io.BytesIO(page.content)).size == (800, 600)
        thumb = world.client("lan").get(reverse("documents:document_thumbnail", args=[document.pk]))
        assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
        assert rewrapped.file_name == "cccd.jpg"
    assert files.load(document.stored_as) == original  # re-wrapped: the bytes did not move
    with (
        override_settings(ENCRYPTION_KEY_RING=_ring(OLD)),
        pytest.raises(crypto.DecryptionError),
    ):
        str(Document.objects.get().data_key)  # the data key is no longer under the old key


@pytest.mark.parametrize(
    ("parts", "opens"),
    [
        ([Part.SCREENINGS], set()),
        ([Part.IDENTITY], {"cccd.png"}),
        ([Part.TREATMENT], {"giay-kham.pdf"}),
    ],
)
def test_a_referral_receiver_opens_only_documents_of_the_shared_parts(
    world: World, case: Case, parts: list[str], opens: set[str]
) -> None:
    """ASVS 8.2.3 (attack): a receiver tries to open documents of parts not shared with
    them, by page, by file and by thumbnail; each is refused (404) and logged as a denial."""
    _attach(world, case, Kind.ID_CARD, "cccd.png", png_bytes())
    _attach(world, case, Kind.MEDICAL, "giay-kham.pdf", pdf_bytes())
    _attach(world, case, Kind.OTHER, "khac.pdf", pdf_bytes())  # no part: whole viewers only
    referral = make_referral(
        world, case, state=State.SENT, consent=make_consent(world, case), parts=parts
    )
    referral_actions.referral_act(
        actor=world.users["tuan"], referral_id=referral.pk, action="accept"
    )
    tuan = world.client("tuan")

    listed = set(access.visible(world.users["tuan"], Document).values_list("pk", flat=True))
    names = {str(d.file_name) for d in Document.objects.all() if d.pk in listed}
    assert names == opens
    for document in Document.objects.all():
        name = str(document.file_name)
        for view in ("document_detail", "document_file", "document_thumbnail"):
            if view == "document_thumbnail" and not document.thumbnail_as:
                continue
            before = _denied(world, "tuan")
            response = tuan.get(reverse(f"documents:{view}", args=[document.pk]))
            if name in opens:
                assert response.status_code == 200, (name, view)
            else:
                assert response.status_code == 404, (name, view)
                assert _denied(world, "tuan") == before + 1, (name, view)
                assert pdf_bytes() not in response.content
    # The case page's timeline names only what the receiver may open.
    page = tuan.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    for document in Document.objects.all():
        link = reverse("documents:document_detail", args=[document.pk])
        assert (link in page) == (str(document.file_name) in opens)
    # The whole-case viewers open all three.
    assert access.visible(world.users["mai"], Document).count() == 3


def test_an_outsider_can_neither_attach_nor_open(world: World, case: Case) -> None:
    """ASVS 8.2.2 (attack): another clinic's caseworker posts a file and asks for one."""
    _attach(world, case, Kind.CONSENT, "dong-y.pdf", pdf_bytes())
    document = Document.objects.get()
    before = _denied(world, "tuan")
    response = _attach(world, case, Kind.CONSENT, "x.pdf", pdf_bytes(), who="tuan")
    assert response.status_code == 404 and Document.objects.count() == 1
    file_url = reverse("documents:document_file", args=[document.pk])
    assert world.client("tuan").get(file_url).status_code == 404
    assert world.client("an").get(file_url).status_code == 404  # the auditor: no content
    assert _denied(world, "tuan") == before + 2
    assert not Event.objects.filter(action=DOWNLOADED).exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("giay-to.pdf", b"<html><script>alert(1)</script></html>", "không phải PDF, JPEG hay PNG"),
        ("anh.jpg", b"MZ\x90\x00" + b"\x00" * 200, "không phải PDF, JPEG hay PNG"),
        ("anh.jpg", pdf_bytes(), "không khớp với nội dung"),
        ("giay-to.pdf", png_bytes(), "không khớp với nội dung"),
        ("chay.exe", pdf_bytes(), "không khớp với nội dung"),
        ("anh.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "không đọc được"),
    ],
)
def test_a_disguised_file_is_refused(
    world: World, case: Case, document_storage: Path, name: str, data: bytes, message: str
) -> None:
    """ASVS 5.2.2 (attack): a file whose content is not what its name and content type say
    is refused with a clear Vietnamese message; nothing is stored, the form keeps its input."""
    response = _attach(world, case, Kind.ID_CARD, name, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'value="20/01/2026"' in html  # the date typed is kept
    assert Document.objects.count() == 0 and _stored(document_storage) == []


def test_a_file_over_the_limit_is_refused_unread(world: World, case: Case, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DOCUMENT_MAX_BYTES = 1024 * 1024
    response = _attach(world, case, Kind.OTHER, "lon.pdf", b"%PDF-" + b"0" * (1024 * 1024))
    assert "lớn hơn 1 MB" in response.content.decode()
    assert Document.objects.count() == 0


def test_exif_is_stripped_from_the_photo_and_its_thumbnail(world: World, case: Case) -> None:
    """ASVS 14.2.7: a photo's GPS position and camera are removed before it is stored: from
    the kept original as well as from the thumbnail (decision D41)."""
    photo = jpeg_with_gps()
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(GPS_TAG)  # the test's photo has GPS
    assert b"SecretPhone" in photo
    _attach(world, case, Kind.PHOTO, "anh-nhan-dang.jpg", photo)
    document = Document.objects.get()
    key, pk = str(document.data_key), document.pk
    original = files.unseal(
        files.load(document.stored_as), data_key=key, document_id=pk, role="original"
    )
    thumbnail = files.unseal(
        files.load(document.thumbnail_as), data_key=key, document_id=pk, role="thumbnail"
    )
    for data in (original, thumbnail):
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0 and not image.getexif().get_ifd(GPS_TAG)
        assert b"Exif" not in data and b"SecretPhone" not in data
    assert Image.open(io.BytesIO(original)).size == (800, 600)
    assert max(Image.open(io.BytesIO(thumbnail)).size) == files.THUMBNAIL_PX
    # What the user downloads is the stripped original.
    download = world.client("lan").get(reverse("documents:document_file", args=[pk]))
    assert download.content == original


def test_a_photo_is_stored_upright(world: World, case: Case) -> None:
    """The orientation tag is applied before it is dropped, so a phone photo is not sideways."""
    image = Image.new("RGB", (60, 20), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    document = document_attach(
        actor=world.users["lan"],
        document=Document(case=case, kind=Kind.PHOTO),
        name="anh.jpeg",
        data=out.getvalue(),
    )
    stored = files.unseal(
        files.load(document.stored_as),
        data_key=str(document.data_key),
        document_id=document.pk,
        role="original",
    )
    assert Image.open(io.BytesIO(stored)).size == (20, 60)


def test_the_timeline_shows_the_kind_never_the_file_name(world: World, case: Case) -> None:
    _attach(world, case, Kind.CONSENT, "dong-y-tran-thi-binh.pdf", pdf_bytes())
    page = world.client("lan").get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert reverse("documents:document_detail", args=[Document.objects.get().pk]) in page
    assert "dong-y-tran-thi-binh" not in page


def test_details_are_edited_with_a_version_and_history(world: World, case: Case) -> None:
    _attach(world, case, Kind.OTHER, "giay.pdf", pdf_bytes())
    document = Document.objects.get()
    url = reverse("documents:document_edit", args=[document.pk])
    form = {"kind": Kind.MEDICAL, "dated_on": "21/01/2026", "note": "Bản sao", "version": 1}
    assert world.client("lan").post(url, form).status_code == 302
    document.refresh_from_db()
    assert (document.kind, document.part, document.version) == (Kind.MEDICAL, "treatment", 2)
    assert document.history.count() == 2
    assert Event.objects.filter(action="document_changed").count() == 1
    # An outsider's POST leaves it unchanged.
    stale = {**form, "note": "đổi", "version": 2}
    assert world.client("tuan").post(url, stale).status_code == 404
    document.refresh_from_db()
    assert document.note == "Bản sao"


def test_documents_are_never_under_a_public_url(settings) -> None:  # type: ignore[no-untyped-def]
    """ASVS 5.3.1: the document storage has no URL; files leave only through the views."""
    with pytest.raises(ValueError):
        files.storage().url("ab/cd.bin")


def test_the_person_page_lists_the_documents_of_their_cases(world: World, case: Case) -> None:
    """A person's documents (filed in their cases) are listed on the person page, with a link
    to attach one; a receiver shared only screenings sees neither."""
    _attach(world, case, Kind.ID_CARD, "cccd.png", png_bytes())
    document = Document.objects.get()
    url = reverse("cases:person_detail", args=[case.person_id])
    page = world.client("lan").get(url).content.decode()
    assert 'data-testid="person-documents"' in page
    assert reverse("documents:document_detail", args=[document.pk]) in page
    assert reverse("documents:document_add", args=[case.pk]) in page
    assert "cccd.png" not in page  # the kind and date, never the file's name
    referral = make_referral(
        world, case, state=State.SENT, consent=make_consent(world, case), parts=[Part.SCREENINGS]
    )
    referral_actions.referral_act(
        actor=world.users["tuan"], referral_id=referral.pk, action="accept"
    )
    page = world.client("tuan").get(url).content.decode()
    assert reverse("documents:document_detail", args=[document.pk]) not in page
    assert reverse("documents:document_add", args=[case.pk]) not in page


def test_a_refused_attach_leaves_no_file_behind(
    world: World, case: Case, document_storage: Path
) -> None:
    """ASVS 8.2.2 (attack): an outsider calling the action directly is refused, the refusal
    is logged, and the sealed bytes already written are removed again (no orphan)."""
    from django.core.exceptions import PermissionDenied

    before = _denied(world, "tuan")
    with pytest.raises(PermissionDenied):
        document_attach(
            actor=world.users["tuan"],
            document=Document(case=case, kind=Kind.PHOTO),
            name="anh.png",
            data=png_bytes(),
        )
    assert _denied(world, "tuan") == before + 1
    assert Document.objects.count() == 0 and _stored(document_storage) == []


def test_the_part_follows_the_kind_in_the_database(world: World, case: Case) -> None:
    """A row written around save() (a bulk update) cannot give a document a wider part."""
    from django.db import IntegrityError, transaction

    _attach(world, case, Kind.OTHER, "khac.pdf", pdf_bytes())
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.update(part="identity")


def test_a_download_under_an_emergency_access_is_flagged(world: World, case: Case) -> None:
    """ASVS 16.2.1: a file opened through a break-glass access is one read event that names
    the emergency access, as every read under it does."""
    from cases.actions import emergency_access_grant

    _attach(world, case, Kind.MEDICAL, "giay-kham.pdf", pdf_bytes())
    document = Document.objects.get()
    grant = emergency_access_grant(
        actor=world.users["tuan"],
        person=case.person,
        reason="Người bệnh cấp cứu, cần xem giấy chứng nhận y tế",
    )
    url = reverse("documents:document_file", args=[document.pk])
    assert world.client("tuan").get(url).status_code == 200
    event = Event.objects.get(action=DOWNLOADED)
    assert event.actor == world.users["tuan"] and event.person_id == case.person_id
    assert event.detail == {"perm": "view", "file": "original", "emergency_access": str(grant.pk)}
    assert not Event.objects.filter(action=CaseAction.RECORD_READ, actor=world.users["tuan"])


def test_a_file_name_too_long_keeps_its_end(world: World, case: Case) -> None:
    """A name longer than the field's limit is kept by its last 200 characters (its type)."""
    name = "a" * 300 + ".pdf"
    assert _attach(world, case, Kind.OTHER, name, pdf_bytes()).status_code == 302
    assert Document.objects.get().file_name == name[-200:]


def test_reencryption_seals_every_file_under_a_new_data_key(
    world: World, case: Case, document_storage: Path, django_capture_on_commit_callbacks: Any
) -> None:
    """ASVS 11.6.1 / 14.2.4: after a key is feared leaked, the files themselves are sealed
    again under new data keys: the stored bytes change, the old data key (which an old
    backup's master key could unwrap) opens nothing any more, the content is unchanged, and
    the run is recorded, per document, with a history row."""
    _attach(world, case, Kind.PHOTO, "anh.jpg", jpeg_with_gps())
    document = Document.objects.get()
    old_key = str(document.data_key)
    old_names = (document.stored_as, document.thumbnail_as)
    old_original, old_thumbnail = (files.load(name) for name in old_names)
    url = reverse("documents:document_file", args=[document.pk])
    content = world.client("lan").get(url).content
    thumb_url = reverse("documents:document_thumbnail", args=[document.pk])
    thumbnail = world.client("lan").get(thumb_url).content

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reencrypt_documents", stdout=out)
    assert "1 document" in out.getvalue()

    after = Document.objects.get()
    assert str(after.data_key) != old_key
    assert (after.stored_as, after.thumbnail_as) != old_names
    new_original, new_thumbnail = files.load(after.stored_as), files.load(after.thumbnail_as)
    assert new_original != old_original and new_thumbnail != old_thumbnail
    # The old sealed objects are gone: only the new ones are kept.
    assert sorted(_stored(document_storage)) == sorted([new_original, new_thumbnail])
    for sealed, role in ((new_original, "original"), (new_thumbnail, "thumbnail")):
        with pytest.raises(crypto.DecryptionError):
            files.unseal(sealed, data_key=old_key, document_id=after.pk, role=role)
    assert world.client("lan").get(url).content == content
    assert world.client("lan").get(thumb_url).content == thumbnail
    event = Event.objects.get(action="document_reencrypted")
    assert event.object_id == str(after.pk) and event.person_id == case.person_id
    assert after.history.count() == 2 and after.version == document.version

    # Run again with the first run's start: nothing is left to do (resumable).
    again = io.StringIO()
    call_command("reencrypt_documents", "--older-than", after.keyed_at.isoformat(), stdout=again)
    assert "0 documents" in again.getvalue()
    assert Document.objects.get().stored_as == after.stored_as
