"""Import of a register file (issue 27): checks, dry run, all or nothing, matching, scope.

Named actors from tests/conftest.py: lan (caseworker and prescriber at clinic A, district
981) imports; tuan is the outsider at clinic B (district 982).
"""

from __future__ import annotations

import datetime
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import Event
from cases.models import Case, Person
from registers.actions import ImportOutcome, register_import
from registers.events import REGISTER_IMPORTED
from services.methadone.models import Dose, Prescription
from services.models import Screening, ScreeningScore, ServiceRecord, TreatmentEpisode
from tests.conftest import World
from tests.registers.import_files import csv_zip, xlsx

TODAY = datetime.date(2026, 12, 6)
CLINIC_A = "981:Methadone A"
CLINIC_B = "982:Methadone B"


def person_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ma_nguoi": "1",
        "ma_ho_so": "HS1",
        "ho_ten": "Nguyễn Văn An",
        "so_cccd": "001090000011",
        "gioi_tinh": "Nam",
        "nam_sinh": 1990,
        "xa_cu_tru": "98101",
        "doi_tuong": "addiction",
        "trang_thai": "Đang mở",
        "ngay_mo": "15/01/2026",
        "co_quan_quan_ly": CLINIC_A,
        "can_bo_phu_trach": "lan",
    }
    row.update(changes)
    return row


def full_file() -> dict[str, list[dict[str, Any]]]:
    """Two people, one with two cases, a methadone episode with its prescription and doses,
    a screening with its scores and a service."""
    return {
        "nguoi_ho_so": [
            person_row(),
            person_row(ma_ho_so="HS2", doi_tuong="drug_user", ngay_mo="01/03/2026"),
            person_row(
                ma_nguoi="2",
                ma_ho_so="HS3",
                ho_ten="Phạm Thị Hoa",
                so_cccd="",
                gioi_tinh="Nữ",
                nam_sinh=1988,
                ngay_mo=datetime.date(2026, 2, 1),
            ),
        ],
        "dot_dieu_tri": [
            {
                "ma_dot": "D1",
                "ma_ho_so": "HS1",
                "hinh_thuc": "methadone",
                "co_so": CLINIC_A,
                "ngay_bat_dau": "1/2/26",
                "ket_qua": "ongoing",
            }
        ],
        "chi_dinh_methadone": [
            {
                "ma_dot": "D1",
                "ngay_hieu_luc": "01/02/2026",
                "lieu_mg": "20",
                "giai_doan": "induction",
            }
        ],
        "so_cap_thuoc": [
            {"ma_dot": "D1", "thang": "02/2026", "ngay_1": "20", "ngay_2": 20, "ngay_3": "K"}
        ],
        "sang_loc": [
            {
                "ma_sang_loc": "S1",
                "ma_ho_so": "HS1",
                "cong_cu": "assist 3.0",
                "ngay_sang_loc": "ngày 20 tháng 1 năm 2026",
                "diem": 27,
                "ket_qua": "high",
            }
        ],
        "diem_sang_loc": [
            {"ma_sang_loc": "S1", "muc": "opioids", "diem": 27, "muc_do": "high"},
            {"ma_sang_loc": "S1", "muc": "cannabis", "diem": 3, "muc_do": "low"},
        ],
        "dich_vu": [
            {
                "ma_ho_so": "HS1",
                "loai_dich_vu": "counselling",
                "trang_thai": "delivered",
                "ngay_cung_cap": 45_700,  # an Excel serial: 12/02/2025 (45658 is 01/01/2025)
            }
        ],
    }


def run(world: World, path: Path, *, name: str = "lan", **options: Any) -> ImportOutcome:
    options.setdefault("dry_run", False)
    options.setdefault("today", TODAY)
    return register_import(actor=world.users[name], path=path, **options)


def problems(outcome: ImportOutcome) -> set[tuple[str, int, str, str]]:
    return {(p.sheet, p.row, p.column, p.code) for p in outcome.problems}


def test_a_clean_file_is_written_whole_with_history_and_one_event(
    world: World, tmp_path: Path
) -> None:
    path = xlsx(tmp_path / "so.xlsx", full_file())
    outcome = run(world, path)
    assert outcome.problems == [] and outcome.committed
    assert outcome.rows == {
        "nguoi_ho_so": 3, "dot_dieu_tri": 1, "sang_loc": 1, "diem_sang_loc": 2, "dich_vu": 1,
        "chi_dinh_methadone": 1, "so_cap_thuoc": 1,
    }  # fmt: skip
    assert Person.objects.count() == 2
    assert Case.objects.count() == 3
    an = next(p for p in Person.objects.all() if p.full_name == "Nguyễn Văn An")
    assert an.citizen_id == "001090000011" and an.cases.count() == 2
    episode = TreatmentEpisode.objects.get()
    assert episode.started_on == datetime.date(2026, 2, 1)
    assert Prescription.objects.get().dose_mg == 20
    assert sorted(Dose.objects.values_list("given_on__day", "kind")) == [(1, 1), (2, 1), (3, 3)]
    screening = Screening.objects.get()
    assert screening.screened_on == datetime.date(2026, 1, 20) and screening.score == 27
    assert sorted(ScreeningScore.objects.values_list("item", "score")) == [
        ("cannabis", 3), ("opioids", 27),
    ]  # fmt: skip
    assert ServiceRecord.objects.get().delivered_on == datetime.date(2025, 2, 12)
    # History names the import; one event names the file, its counts and the importer.
    [event] = Event.objects.filter(action=REGISTER_IMPORTED)
    assert event.actor == world.users["lan"]
    assert event.detail["sha256"] == outcome.sha256 and event.detail["rows"]["nguoi_ho_so"] == 3
    request_id = f"import-{event.object_id}"
    assert {h.history_request_id for h in Person.history.all()} == {request_id}
    assert {h.history_request_id for h in Case.history.all()} == {request_id}


def test_a_dry_run_reports_and_writes_nothing(world: World, tmp_path: Path) -> None:
    path = xlsx(tmp_path / "so.xlsx", full_file())
    events = Event.objects.count()
    outcome = run(world, path, dry_run=True)
    assert outcome.problems == [] and not outcome.committed
    assert outcome.rows["nguoi_ho_so"] == 3
    assert not Person.objects.exists() and not Case.objects.exists()
    assert not Dose.objects.exists() and not Person.history.exists()
    assert Event.objects.count() == events  # not even the import's event


def test_a_row_refused_while_writing_rolls_back_the_whole_file(
    world: World, tmp_path: Path
) -> None:
    """The last row breaks a rule only the model knows (a service with an amount when the
    catalogue records none): every person, case and record before it is rolled back."""
    sheets = full_file()
    sheets["dich_vu"].append(
        {
            "ma_ho_so": "HS3",
            "loai_dich_vu": "counselling",
            "trang_thai": "delivered",
            "ngay_cung_cap": "01/03/2026",
            "so_tien": "500.000",
        }
    )
    outcome = run(world, xlsx(tmp_path / "so.xlsx", sheets))
    assert not outcome.committed
    [problem] = outcome.problems
    assert (problem.sheet, problem.row, problem.column) == ("Dịch vụ", 3, "Số tiền (đồng)")
    assert problem.message == "Dịch vụ này không ghi số tiền."
    assert not Person.objects.exists() and not Case.objects.exists()
    assert not TreatmentEpisode.objects.exists() and not Dose.objects.exists()
    assert not Event.objects.filter(action=REGISTER_IMPORTED).exists()
    # Fixed, the same file imports.
    sheets["dich_vu"][-1]["so_tien"] = None
    assert run(world, xlsx(tmp_path / "so2.xlsx", sheets)).committed
    assert Person.objects.count() == 2


def test_a_file_full_of_errors_reports_each_with_its_place_and_message(
    world: World, tmp_path: Path
) -> None:
    sheets = {
        "nguoi_ho_so": [
            person_row(),
            person_row(ma_nguoi="2", ma_ho_so="HS2", so_cccd="12345", ho_ten="Lê Văn Bốn"),
            person_row(ma_nguoi="3", ma_ho_so="HS3", so_cccd="", xa_cu_tru="99999"),
            person_row(ma_nguoi="4", ma_ho_so="HS4", so_cccd="", ngay_mo="01/01/2027"),
            person_row(
                ma_nguoi="5", ma_ho_so="HS5", so_cccd="", trang_thai="closed",
                ngay_mo="10/05/2026", ngay_dong="01/05/2026",
            ),
            person_row(ma_nguoi="6", ma_ho_so="HS6", so_cccd="", doi_tuong="nghiện rượu"),
            person_row(ma_nguoi="7", ma_ho_so="HS1", so_cccd="", ho_ten="Đỗ Thị Bảy"),
            person_row(ma_nguoi="8", ma_ho_so="HS8", so_cccd="", ngay_mo="31/02/2026"),
            person_row(ma_nguoi="9", ma_ho_so="HS9", so_cccd="", ho_ten=""),
            person_row(ma_ho_so="HS10", ho_ten="Nguyễn Văn Ân"),
            person_row(ma_nguoi="11", ma_ho_so="HS11", so_cccd="", can_bo_phu_trach="khongai"),
            person_row(ma_nguoi="12", ma_ho_so="HS12", so_cccd="", co_quan_quan_ly="981:Không có"),
        ],
        "dot_dieu_tri": [
            {"ma_dot": "D1", "ma_ho_so": "HS99", "hinh_thuc": "methadone", "co_so": CLINIC_A,
             "ngay_bat_dau": "01/02/2026", "ket_qua": "ongoing"},
            {"ma_dot": "D2", "ma_ho_so": "HS1", "hinh_thuc": "methadone", "co_so": CLINIC_A,
             "ngay_bat_dau": "01/02/2026", "ket_qua": "completed"},
        ],
        "dich_vu": [
            {"ma_ho_so": "HS1", "loai_dich_vu": "no_such", "trang_thai": "delivered",
             "ngay_cung_cap": "01/03/2026"},
            {"ma_ho_so": "HS1", "loai_dich_vu": "no_such", "trang_thai": "delivered",
             "ngay_cung_cap": "01/03/2026"},
        ],
        "so_cap_thuoc": [
            {"ma_dot": "D2", "thang": "02/2026", "ngay_30": "20"},
            {"ma_dot": "D1", "thang": "02/2026", "ngay_4": "abc"},
        ],
    }  # fmt: skip
    outcome = run(world, xlsx(tmp_path / "loi.xlsx", sheets))
    found = problems(outcome)
    people, episodes, services, doses = (
        "Người và hồ sơ", "Đợt điều trị", "Dịch vụ", "Sổ cấp thuốc methadone",
    )  # fmt: skip
    expected = {
        (people, 3, "Số CCCD", "bad_citizen_id"),
        (people, 4, "Mã xã nơi cư trú", "unknown_unit"),
        (people, 5, "Ngày mở hồ sơ", "future"),
        (people, 6, "Ngày đóng hồ sơ", "end_before_start"),
        (people, 7, "Đối tượng", "unknown_code"),
        (people, 8, "Mã hồ sơ (trong tệp)", "duplicate_row"),
        (people, 9, "Ngày mở hồ sơ", "bad_date"),
        (people, 10, "Họ và tên", "required"),
        (people, 11, "Mã người (trong tệp)", "person_differs"),
        (people, 12, "Cán bộ phụ trách (tên đăng nhập)", "unknown_user"),
        (people, 13, "Cơ quan quản lý hồ sơ", "unknown_organisation"),
        (episodes, 2, "Mã hồ sơ (trong tệp)", "unknown_ref"),
        (episodes, 3, "Ngày kết thúc", "no_end"),
        (services, 2, "Loại dịch vụ", "unknown_code"),
        (services, 3, "", "duplicate_row"),
        (doses, 2, "Ngày 30", "no_such_day"),
        (doses, 3, "Ngày 4", "bad_dose"),
    }
    assert expected <= found, expected - found
    assert len(found) == len(expected), found - expected
    messages = {(p.row, p.column): p.message for p in outcome.problems if p.sheet == people}
    assert "12 chữ số" in messages[(3, "Số CCCD")]
    assert "tương lai" in messages[(5, "Ngày mở hồ sơ")]
    assert "Trùng với dòng 2" in messages[(8, "Mã hồ sơ (trong tệp)")]
    assert "“nghiện rượu”" in messages[(7, "Đối tượng")]
    assert "khác nhau" in messages[(11, "Mã người (trong tệp)")]
    assert not Person.objects.exists()


def test_names_are_stored_in_nfc_whatever_the_file_sends(world: World, tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Nguyễn  Văn An")
    assert nfd != unicodedata.normalize("NFC", nfd)
    path = xlsx(tmp_path / "nfd.xlsx", {"nguoi_ho_so": [person_row(ho_ten=nfd)]})
    assert run(world, path).committed
    assert Person.objects.get().full_name == "Nguyễn Văn An"


def test_csv_files_in_a_zip_with_english_headers_are_read_too(world: World, tmp_path: Path) -> None:
    path = csv_zip(tmp_path / "so.zip", {"nguoi_ho_so": [person_row(ngay_mo="2026-01-15")]})
    assert run(world, path).committed
    assert Case.objects.get().opened_on == datetime.date(2026, 1, 15)
    english = xlsx(
        tmp_path / "en.xlsx",
        {
            "nguoi_ho_so": [
                person_row(ma_ho_so="X", so_cccd="", ho_ten="Hà Văn Tư", gioi_tinh="Male")
            ]
        },
        english=True,
    )
    assert run(world, english).committed


@pytest.mark.parametrize("written", ["Tran Thi Binh", "Trần Thị Bình", "TRẦN  THỊ BÌNH"])
def test_a_person_already_known_is_matched_with_or_without_diacritics(
    world: World, lan_person: Person, tmp_path: Path, written: str
) -> None:
    """Name + year of birth (+ commune) through the blind index, folded; also in NFD."""
    row = person_row(
        ho_ten=unicodedata.normalize("NFD", written), so_cccd="", gioi_tinh="Nữ", nam_sinh=1991
    )
    path = xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": [row]})
    checked = run(world, path, dry_run=True)
    assert checked.problems == []
    [candidate] = checked.candidates
    assert candidate.person_id == str(lan_person.pk)
    assert candidate.reason == "name_year_commune" and candidate.person_key == "1"
    # A real run waits for the decision…
    undecided = run(world, path)
    assert {p.code for p in undecided.problems} == {"needs_decision"}
    assert Case.objects.count() == 1
    # …and "same person" opens the case on the known person.
    done = run(world, path, decisions={"1": str(lan_person.pk)})
    assert done.committed
    assert Person.objects.count() == 1 and lan_person.cases.count() == 2


def test_a_new_person_decision_registers_a_namesake(
    world: World, lan_person: Person, tmp_path: Path
) -> None:
    row = person_row(ho_ten="Tran Thi Binh", so_cccd="", gioi_tinh="Nữ", nam_sinh=1991)
    path = xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": [row]})
    assert run(world, path, decisions={"1": "new"}).committed
    assert Person.objects.count() == 2


def test_a_known_citizen_id_is_a_candidate_and_cannot_be_a_new_person(
    world: World, lan_person: Person, tmp_path: Path
) -> None:
    row = person_row(ho_ten="Trần Bình", so_cccd="010191000123", gioi_tinh="Nữ", nam_sinh=1991)
    path = xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": [row]})
    [candidate] = run(world, path, dry_run=True).candidates
    assert (candidate.person_id, candidate.reason) == (str(lan_person.pk), "citizen_id")
    refused = run(world, path, decisions={"1": "new"})
    assert {p.code for p in refused.problems} == {"citizen_id_taken"}


def test_an_importer_is_refused_outside_their_scope_and_the_refusal_is_logged(
    world: World, tmp_path: Path
) -> None:
    """ASVS 8.2.2: lan (clinic A) may not create cases for clinic B nor people of another
    province through a file; nothing is written and one denial names the rows."""
    sheets = {
        "nguoi_ho_so": [
            person_row(),
            person_row(ma_nguoi="2", ma_ho_so="HS2", so_cccd="", co_quan_quan_ly=CLINIC_B),
        ]
    }
    outcome = run(world, xlsx(tmp_path / "ngoai.xlsx", sheets))
    assert not outcome.committed
    assert problems(outcome) == {("Người và hồ sơ", 3, "Cơ quan quản lý hồ sơ", "outside_scope")}
    assert not Person.objects.exists() and not Case.objects.exists()
    [denial] = Event.objects.filter(action="denied", actor=world.users["lan"])
    assert denial.detail["rows"] == ["Người và hồ sơ:3"]
    assert denial.detail["sha256"] == outcome.sha256


def test_a_person_the_importer_cannot_see_cannot_be_named_in_a_decision(
    world: World, tuan_person: Person, tmp_path: Path
) -> None:
    """ASVS 8.2.2: a decision naming an out-of-scope person's id is refused and logged."""
    path = xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": [person_row(so_cccd="")]})
    outcome = run(world, path, decisions={"1": str(tuan_person.pk)})
    assert not outcome.committed
    assert problems(outcome) == {("Người và hồ sơ", 2, "Mã người (trong tệp)", "bad_decision")}
    assert tuan_person.cases.count() == 1 and Person.objects.count() == 1
    [denial] = Event.objects.filter(action="denied", actor=world.users["lan"])
    assert denial.detail["rows"] == ["Người và hồ sơ:2"]


def test_someone_without_the_capability_is_refused_and_logged(world: World, tmp_path: Path) -> None:
    """ASVS 8.2.1: the auditor may not import."""
    path = xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": [person_row()]})
    with pytest.raises(PermissionDenied):
        run(world, path, name="an")
    assert Event.objects.filter(action="denied", actor=world.users["an"]).exists()
    assert not Person.objects.exists()


def test_two_namesakes_of_one_file_are_two_people(world: World, tmp_path: Path) -> None:
    """Regression: the second of two people with the same name, year and sex (different
    person numbers) was refused as a possible duplicate of the first, written moments
    before in the same import."""
    rows = [person_row(), person_row(ma_nguoi="2", ma_ho_so="HS2", so_cccd="")]
    outcome = run(world, xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": rows}))
    assert outcome.problems == [] and outcome.committed
    assert Person.objects.count() == 2


def test_facility_stages_post_rehab_and_shelter_stays_are_written(
    world: World, tmp_path: Path
) -> None:
    """A completed facility episode with its three stages, a returned victim's stay at a
    Nhà Nhân ái with a Nhà Nhân ái service, and (by the commune officer) a post-rehab period."""
    from cases.models import Organisation, OrganisationType
    from services.models import EpisodeStage, PostRehabPeriod, ShelterStay

    Organisation.objects.create(
        name="Nhà Nhân ái Thử",
        type=OrganisationType.objects.get(code="nha-nhan-ai"),
        unit=world.units["d1"],
    )
    sheets = {
        "nguoi_ho_so": [
            person_row(ngay_mo="01/12/2024"),
            person_row(ma_nguoi="2", ma_ho_so="HS2", ho_ten="Lò Thị Mai", so_cccd="",
                       gioi_tinh="Nữ", nam_sinh=1999, doi_tuong="trafficking_victim"),
        ],
        "dot_dieu_tri": [
            {"ma_dot": "D1", "ma_ho_so": "HS1", "hinh_thuc": "facility_voluntary",
             "co_so": CLINIC_A, "ngay_bat_dau": "01/01/2025", "ngay_ket_thuc": "01/10/2025",
             "ket_qua": "completed",
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
    outcome = run(world, xlsx(tmp_path / "so.xlsx", sheets))
    assert outcome.problems == [] and outcome.committed
    episode = TreatmentEpisode.objects.get()
    assert (episode.outcome, episode.ended_on) == ("completed", datetime.date(2025, 10, 1))
    assert list(EpisodeStage.objects.order_by("stage").values_list("stage", flat=True)) == [1, 2, 3]
    stay = ShelterStay.objects.get()
    assert stay.left_on == datetime.date(2026, 3, 15)
    assert ServiceRecord.objects.get().amount == 1_500_000

    officer_file = {
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
    done = run(world, xlsx(tmp_path / "sau-cai.xlsx", officer_file), name="minh")
    assert done.problems == [] and done.committed
    period = PostRehabPeriod.objects.get()
    assert period.officer == world.users["minh"] and period.planned_end_on.year == 2027


def test_a_closed_case_comes_in_with_its_records(world: World, tmp_path: Path) -> None:
    sheets = {
        "nguoi_ho_so": [person_row(trang_thai="Đã đóng", ngay_dong="30/06/2026")],
        "dich_vu": [
            {"ma_ho_so": "HS1", "loai_dich_vu": "counselling", "trang_thai": "delivered",
             "ngay_cung_cap": "01/03/2026"},
        ],
    }  # fmt: skip
    outcome = run(world, xlsx(tmp_path / "so.xlsx", sheets))
    assert outcome.problems == [] and outcome.committed
    case = Case.objects.get()
    assert (case.status, case.closed_on) == ("closed", datetime.date(2026, 6, 30))
    assert ServiceRecord.objects.get().case == case


def test_the_apostrophe_the_export_puts_before_a_formula_is_taken_off(
    world: World, tmp_path: Path
) -> None:
    """Regression (issue 27): the export writes "'=..." so a spreadsheet does not run a cell
    as a formula; the import kept the apostrophe, so a round trip changed the text."""
    from registers import cells
    from reports.export import neutralise

    for text in ("=Nguyễn Văn An", "+84 912", "-5", "@home", "'quoted", "Bình thường"):
        assert cells.text(neutralise(text)) == text.strip()
    rows = [
        person_row(
            ho_ten=neutralise("+Nguyễn Văn An"),
            dia_chi=neutralise("=Thôn 5"),
            ghi_chu=neutralise("@ghi chú"),
        )
    ]
    outcome = run(world, xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": rows}))
    assert outcome.problems == [] and outcome.committed
    person = Person.objects.get()
    assert (person.full_name, person.address) == ("+Nguyễn Văn An", "=Thôn 5")
    assert Case.objects.get().notes == "@ghi chú"


def test_rows_are_written_a_batch_at_a_time_each_batch_one_event_naming_its_people(
    world: World, tmp_path: Path
) -> None:
    """Issue 27 (speed, D44): people, cases and services are written a batch at a time; each
    batch is one event naming every person and record it wrote, its history names the
    import, and "about this person" finds it."""
    from audit import selectors as audit_selectors
    from registers.events import REGISTER_IMPORT_ROWS

    path = xlsx(tmp_path / "so.xlsx", full_file())
    outcome = run(world, path)
    assert outcome.committed
    batches = list(Event.objects.filter(action=REGISTER_IMPORT_ROWS).order_by("seq"))
    assert [e.detail["sheet"] for e in batches] == [
        "nguoi_ho_so", "dot_dieu_tri", "sang_loc", "dich_vu", "chi_dinh_methadone", "so_cap_thuoc",
    ]  # fmt: skip
    batches = [e for e in batches if e.detail["sheet"] in ("nguoi_ho_so", "dich_vu")]
    people = {str(pk) for pk in Person.objects.values_list("pk", flat=True)}
    assert set(batches[0].detail["people"]) == people == set(batches[0].detail["people_created"])
    assert set(batches[0].detail["cases_opened"]) == {
        str(pk) for pk in Case.objects.values_list("pk", flat=True)
    }
    assert batches[1].detail["records"] == [str(ServiceRecord.objects.get().pk)]
    [imported] = Event.objects.filter(action=REGISTER_IMPORTED)
    assert {e.object_id for e in batches} == {imported.object_id}
    assert {e.request_id for e in batches} == {f"import-{imported.object_id}"}
    assert {h.history_request_id for h in ServiceRecord.history.all()} == {
        f"import-{imported.object_id}"
    }
    an = next(p for p in Person.objects.all() if p.full_name == "Nguyễn Văn An")
    about = Event.objects.filter(audit_selectors._listed(an.pk))  # "who touched this person"
    assert batches[0] in list(about)
