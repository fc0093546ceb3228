"""The round trip (issue 27): export → import into an empty database → the same records and
the same coverage figures.

A rich register file is imported by lan (caseworker and prescriber at clinic A); her
organisation's register is exported (XLSX, and CSVs in a ZIP); then everything written since
the test began is rolled back (a savepoint), which leaves the database as empty as a fresh
instance with the same directory and staff; the export is imported there. Every record is
compared field by field, decrypted, and every registered indicator's cells (every commune,
every breakdown) must come out equal.
"""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import pytest
from django.db import models, transaction

from cases.models import AdministrativeUnit, Case, Person
from registers.export import register_export
from registers.export_scope import Scope
from reports import registry
from services.methadone.models import Dose, Prescription
from services.models import (
    EpisodeStage,
    PostRehabPeriod,
    Screening,
    ScreeningScore,
    ServiceRecord,
    ShelterStay,
    TreatmentEpisode,
)
from tests.conftest import World
from tests.registers.import_files import xlsx
from tests.registers.test_import import full_file, person_row, run

pytestmark = pytest.mark.django_db

# Never compared: row ids and times of writing; the tie to the parent row is compared by
# nesting (a case under its person, a record under its case).
SKIP = {"id", "created_at", "updated_at", "recorded_at", "version"}
PARENTS = {"person", "case", "episode", "screening"}


def _fields(row: models.Model) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in row._meta.concrete_fields:
        if field.name in SKIP or field.name in PARENTS:
            continue
        values[field.attname] = getattr(row, field.attname)
    return values


def _sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=repr)


def snapshot() -> list[dict[str, Any]]:
    """Return every person, case and record as plain values, decrypted, ids left out."""
    people = []
    for person in Person.objects.all():
        cases = []
        for case in Case.objects.filter(person=person):
            episodes = []
            for episode in TreatmentEpisode.objects.filter(case=case):
                episodes.append(
                    _fields(episode)
                    | {
                        "stages": _sorted(
                            [_fields(s) for s in EpisodeStage.objects.filter(episode=episode)]
                        ),
                        "prescriptions": _sorted(
                            [_fields(p) for p in Prescription.objects.filter(episode=episode)]
                        ),
                        "doses": _sorted(
                            [_fields(d) for d in Dose.objects.filter(episode=episode)]
                        ),
                    }
                )
            screenings = [
                _fields(s)
                | {
                    "scores": _sorted(
                        [_fields(i) for i in ScreeningScore.objects.filter(screening=s)]
                    )
                }
                for s in Screening.objects.filter(case=case)
            ]
            records = {
                model.__name__: _sorted([_fields(r) for r in model.objects.filter(case=case)])
                for model in (ServiceRecord, ShelterStay, PostRehabPeriod)
            }
            cases.append(
                _fields(case)
                | {"episodes": _sorted(episodes), "screenings": _sorted(screenings)}
                | records
            )
        people.append(_fields(person) | {"cases": _sorted(cases)})
    return _sorted(people)


def figures() -> dict[tuple[str, int], Any]:
    """Return every indicator's cells for every commune, each breakdown, in two years."""
    communes = AdministrativeUnit.objects.filter(level="commune").values_list("pk", flat=True)
    rows = {pk: pk for pk in communes}
    found: dict[tuple[str, int], Any] = {}
    for year in (2025, 2026):
        period = registry.Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
        for indicator in registry.indicators():
            query = registry.Query(rows, period)
            found[(indicator.code, year)] = registry.compute_many(
                indicator, query, [None, *indicator.breakdowns]
            )
    return found


def rich_file() -> dict[str, list[dict[str, Any]]]:
    """imp's full file, with every personal column filled for one person, a closed case
    and a second person of another commune of lan's district."""
    sheets = full_file()
    sheets["nguoi_ho_so"][0].update(
        ten_khac="Tí",
        so_cmnd="012345678",
        nam_sinh_uoc_tinh="có",
        ngay_sinh="05/03/1990",
        dan_toc="01",
        dien_thoai="0912 345 678",
        dia_chi="Thôn Đông, xã Một Một",
        lien_he_gia_dinh="Mẹ: Lê Thị Hạnh",
        ho_so_quan_ly="có",
        ghi_chu="Ghi chú: “có dấu”",
    )
    sheets["nguoi_ho_so"][1].update(sheets["nguoi_ho_so"][0] | {"ma_ho_so": "HS2"})
    sheets["nguoi_ho_so"][1].update(
        doi_tuong="drug_user", trang_thai="closed", ngay_mo="01/03/2026", ngay_dong="01/06/2026"
    )
    sheets["nguoi_ho_so"].append(
        person_row(
            ma_nguoi="3",
            ma_ho_so="HS4",
            ho_ten="Đặng Văn Ứng",
            so_cccd="",
            nam_sinh=1975,
            xa_cu_tru="98102",
            can_bo_phu_trach="",
        )
    )
    return sheets


@pytest.mark.parametrize("out_format", ["xlsx", "csv"])
def test_an_export_imported_into_an_empty_database_gives_back_the_same_records_and_figures(
    world: World, tmp_path: Path, out_format: str
) -> None:
    source = xlsx(tmp_path / "so.xlsx", rich_file())
    exported = tmp_path / f"export.{'zip' if out_format == 'csv' else 'xlsx'}"
    with transaction.atomic():
        first = run(world, source)
        assert first.problems == [] and first.committed
        before, figures_before = snapshot(), figures()
        assert len(before) == 3 and sum(len(p["cases"]) for p in before) == 4
        with exported.open("wb") as out:
            summary = register_export(
                actor=world.users["lan"],
                scope=Scope("organisation"),
                out_format=out_format,  # type: ignore[arg-type]
                out=out,
            )
        assert summary.people == 3
        transaction.set_rollback(True)  # back to the empty instance
    assert not Person.objects.exists() and not Case.objects.exists()
    assert figures() != figures_before  # the figures do see the records
    second = run(world, exported)
    assert second.problems == [], second.problems
    assert {k: n for k, n in second.rows.items() if n} == first.rows
    assert snapshot() == before
    assert figures() == figures_before


def test_an_export_leaves_nothing_out_of_the_file(world: World, tmp_path: Path) -> None:
    """Every sheet the source filled comes back with as many rows."""
    source = xlsx(tmp_path / "so.xlsx", rich_file())
    run(world, source)
    out = io.BytesIO()
    summary = register_export(
        actor=world.users["lan"], scope=Scope("organisation"), out_format="csv", out=out
    )
    assert {k: v for k, v in summary.rows.items() if v} == {
        "nguoi_ho_so": 4, "dot_dieu_tri": 1, "sang_loc": 1, "diem_sang_loc": 2, "dich_vu": 1,
        "chi_dinh_methadone": 1, "so_cap_thuoc": 1,
    }  # fmt: skip


def test_stages_shelter_stays_and_post_rehab_survive_the_round_trip(
    world: World, tmp_path: Path
) -> None:
    """A completed facility episode with its stages, a returned victim's Nhà Nhân ái stay and
    service (lan's clinic), and a post-rehab period (minh's caseload) come back equal."""
    from cases.models import Organisation, OrganisationType

    Organisation.objects.create(
        name="Nhà Nhân ái Thử",
        type=OrganisationType.objects.get(code="nha-nhan-ai"),
        unit=world.units["d1"],
    )
    clinic = {
        "nguoi_ho_so": [
            person_row(ngay_mo="01/12/2024"),
            person_row(ma_nguoi="2", ma_ho_so="HS2", ho_ten="Lò Thị Mai", so_cccd="",
                       gioi_tinh="Nữ", nam_sinh=1999, doi_tuong="trafficking_victim"),
        ],
        "dot_dieu_tri": [
            {"ma_dot": "D1", "ma_ho_so": "HS1", "hinh_thuc": "facility_voluntary",
             "co_so": "981:Methadone A", "ngay_bat_dau": "01/01/2025",
             "ngay_ket_thuc": "01/10/2025", "ket_qua": "completed",
             "giai_doan_1_bat_dau": "01/01/2025", "giai_doan_1_ket_thuc": "10/01/2025",
             "giai_doan_2_bat_dau": "10/01/2025", "giai_doan_2_ket_thuc": "01/03/2025",
             "giai_doan_3_bat_dau": "01/03/2025", "giai_doan_3_ket_thuc": "01/09/2025"},
        ],
        "luu_tru": [
            {"ma_ho_so": "HS2", "nha_nhan_ai": "981:Nhà Nhân ái Thử", "ngay_vao": "01/03/2026",
             "ngay_ra": "15/03/2026"},
        ],
        "dich_vu": [
            {"ma_ho_so": "HS2", "loai_dich_vu": "essential_needs", "trang_thai": "delivered",
             "ngay_cung_cap": "02/03/2026", "don_vi_cung_cap": "981:Nhà Nhân ái Thử",
             "so_tien": "1.500.000"},
        ],
    }  # fmt: skip
    commune = {
        "nguoi_ho_so": [
            person_row(ma_nguoi="9", ma_ho_so="P1", ho_ten="Vi Văn Chín", so_cccd="",
                       co_quan_quan_ly="98101:UBND xã Một Một", can_bo_phu_trach="minh",
                       doi_tuong="post_rehab"),
        ],
        "sau_cai": [
            {"ma_ho_so": "P1", "ngay_bat_dau": "01/02/2026", "ngay_ket_thuc_du_kien": "01/02/2027",
             "ket_qua": "ongoing"},
        ],
    }  # fmt: skip
    files = {
        "lan": (clinic, Scope("organisation"), "csv"),
        "minh": (commune, Scope("caseload"), "xlsx"),
    }
    exported: dict[str, Path] = {}
    with transaction.atomic():
        for who, (sheets, _scope, _fmt) in files.items():
            assert run(world, xlsx(tmp_path / f"{who}.xlsx", sheets), name=who).committed
        before, figures_before = snapshot(), figures()
        for who, (_sheets, scope, out_format) in files.items():
            exported[who] = tmp_path / f"{who}-export.{out_format}"
            with exported[who].open("wb") as out:
                register_export(
                    actor=world.users[who],
                    scope=scope,
                    out_format=out_format,  # type: ignore[arg-type]
                    out=out,
                )
        transaction.set_rollback(True)
    assert not Person.objects.exists()
    for who, path in exported.items():
        outcome = run(world, path, name=who)
        assert outcome.problems == [], outcome.problems
    after = snapshot()
    assert after == before
    assert any(case["PostRehabPeriod"] for p in after for case in p["cases"])
    assert any(case["ShelterStay"] for p in after for case in p["cases"])
    assert figures() == figures_before
