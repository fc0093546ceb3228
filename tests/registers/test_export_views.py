"""The register export page, a queued export's progress page and its download.

Actors (tests/conftest.py): lan (caseworker, clinic A), tuan (caseworker, clinic B: the
outsider), minh (commune officer, commune 98101), hoa (supervisor, province 98), an
(auditor).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import Event
from cases.models import Person
from registers import format as fmt
from registers.export_models import ExportStatus, RegisterExport
from tests.conftest import World

pytestmark = pytest.mark.django_db
PAGE = reverse("registers_export:page")


@pytest.fixture(autouse=True)
def _export_dir(settings: Any, tmp_path: Path) -> None:
    settings.REGISTER_EXPORT_DIR = tmp_path / "exports"


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_the_page_offers_each_role_its_own_scopes(world: World) -> None:
    page = world.client("minh").get(PAGE)
    assert page.status_code == 200
    kinds = [value for value, _label in page.context["form"].fields["kind"].choices]
    assert kinds == ["caseload", "organisation", "unit"]
    units = [code for code, _label in page.context["form"].fields["unit"].widget.choices]
    assert units == ["", "98101"]
    hoa = world.client("hoa").get(PAGE).context["form"]
    assert [v for v, _ in hoa.fields["kind"].choices] == ["unit"]
    lan = world.client("lan").get(PAGE).context["form"]
    assert [v for v, _ in lan.fields["kind"].choices] == ["caseload", "organisation"]
    assert "unit" not in lan.fields


def test_a_small_export_is_sent_at_once_and_recorded(world: World, lan_person: Person) -> None:
    response = world.client("minh").post(
        PAGE, {"kind": "unit", "unit": "98101", "out_format": "xlsx"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="so-dang-ky-unit-98101-'
    )
    book = load_workbook(io.BytesIO(_body(response)), read_only=True)
    rows = list(book[fmt.PEOPLE_CASES.vi].iter_rows(values_only=True))
    assert len(rows) == 2
    event = Event.objects.get(action="register_exported")
    assert event.detail["people"] == [str(lan_person.pk)]
    assert response["Cache-Control"].startswith("max-age=0, no-cache, no-store")


@pytest.mark.parametrize("who", ["an", "quan"])
def test_a_role_without_the_verb_is_refused_and_logged(world: World, who: str) -> None:
    """ASVS 8.2.1: the page and the export refuse a role without the verb (403), logged."""
    client = world.client(who)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"kind": "caseload", "out_format": "csv"}).status_code == 403
    assert Event.objects.filter(action="denied", actor=world.users[who]).count() == 2
    assert not Event.objects.filter(action="register_exported").exists()


def test_a_forged_unit_is_a_404_and_logged(world: World, tuan_person: Person) -> None:
    """ASVS 8.2.2: minh posting another commune's code gets nothing and is recorded."""
    response = world.client("minh").post(
        PAGE, {"kind": "unit", "unit": "98201", "out_format": "csv"}
    )
    assert response.status_code == 404
    denial = Event.objects.get(action="denied", actor=world.users["minh"])
    assert denial.object_id == "98201"
    assert not Event.objects.filter(action="register_exported").exists()


def test_a_missing_area_is_a_form_error_with_the_choices_kept(world: World) -> None:
    response = world.client("minh").post(PAGE, {"kind": "unit", "unit": "", "out_format": "csv"})
    assert response.status_code == 200
    assert response.context["form"].errors["unit"]
    assert (
        'value="unit" checked' in response.content.decode()
        or "checked" in response.content.decode()
    )


def test_a_large_export_runs_on_the_worker_with_progress_and_a_private_download(
    world: World,
    lan_person: Person,
    tuan_person: Person,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.REGISTER_EXPORT_INLINE_PEOPLE = 1  # two people: too many for the request
    hoa = world.client("hoa")
    with django_capture_on_commit_callbacks(execute=True):
        response = hoa.post(PAGE, {"kind": "unit", "unit": "98", "out_format": "csv"})
    row = RegisterExport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registers_export:status", args=[row.pk])
    # The tests' task backend runs the task at once, after the commit (tests/settings.py).
    row.refresh_from_db()
    assert (row.status, row.people, row.total) == (ExportStatus.DONE, 2, 2)
    assert row.path.exists() and oct(row.path.stat().st_mode)[-3:] == "600"
    status = hoa.get(response["Location"])
    assert status.status_code == 200
    assert b'data-testid="export-download"' in status.content
    download = hoa.get(reverse("registers_export:download", args=[row.pk]))
    with zipfile.ZipFile(io.BytesIO(_body(download))) as archive:
        people = archive.read("nguoi_ho_so.csv").decode()
    assert "Trần Thị Bình" in people and "Lê Văn Cường" in people
    assert Event.objects.filter(action="register_export_queued").count() == 1
    assert (
        Event.objects.filter(action="register_export_downloaded", actor=world.users["hoa"]).count()
        == 1
    )
    named = {
        p for e in Event.objects.filter(action="register_exported") for p in e.detail["people"]
    }
    assert named == {str(lan_person.pk), str(tuan_person.pk)}


def test_someone_elses_queued_export_is_a_404_and_logged(
    world: World, lan_person: Person, settings: Any
) -> None:
    """ASVS 8.2.2: another user cannot see or download an export, and the attempt is logged."""
    settings.REGISTER_EXPORT_INLINE_PEOPLE = 0
    world.client("minh").post(PAGE, {"kind": "unit", "unit": "98101", "out_format": "csv"})
    row = RegisterExport.objects.get()
    lan = world.client("lan")
    assert lan.get(reverse("registers_export:status", args=[row.pk])).status_code == 404
    assert lan.get(reverse("registers_export:download", args=[row.pk])).status_code == 404
    denials = Event.objects.filter(action="denied", actor=world.users["lan"])
    assert [d.detail["perm"] for d in denials] == ["view_register_export"] * 2
    assert not Event.objects.filter(action="register_export_downloaded").exists()
