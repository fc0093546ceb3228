"""The import's batched write of treatment records and the monthly dosing sheet (issue 27,
D54): the same checks and results as the row-by-row actions, one event per batch.

lan (caseworker and prescriber at clinic A) imports.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from audit.models import Event
from registers import actions as import_actions
from registers import bulk
from registers.events import REGISTER_IMPORT_ROWS
from services.methadone.events import MethadoneAction
from services.methadone.models import Dose, Prescription
from services.models import Screening, ScreeningScore, TreatmentEpisode
from tests.conftest import World
from tests.registers.import_files import xlsx
from tests.registers.test_import import CLINIC_A, CLINIC_B, full_file, person_row, problems, run

DOSING = "Sổ cấp thuốc methadone"


def methadone_file(people: int = 3, **month: Any) -> dict[str, list[dict[str, Any]]]:
    """``people`` patients of clinic A, each an episode from 1/11/2026 with 20 mg, and a
    November dosing row (``month`` replaces the cells of every row)."""
    sheets: dict[str, list[dict[str, Any]]] = {
        "nguoi_ho_so": [],
        "dot_dieu_tri": [],
        "chi_dinh_methadone": [],
        "so_cap_thuoc": [],
    }
    for n in range(1, people + 1):
        sheets["nguoi_ho_so"].append(
            person_row(ma_nguoi=str(n), ma_ho_so=f"HS{n}", so_cccd="", ho_ten=f"Lê Văn Số {n}")
        )
        sheets["dot_dieu_tri"].append(
            {
                "ma_dot": f"D{n}",
                "ma_ho_so": f"HS{n}",
                "hinh_thuc": "methadone",
                "co_so": CLINIC_A,
                "ngay_bat_dau": "01/11/2026",
                "ket_qua": "ongoing",
            }
        )
        sheets["chi_dinh_methadone"].append(
            {"ma_dot": f"D{n}", "ngay_hieu_luc": "01/11/2026", "lieu_mg": "20",
             "giai_doan": "induction"}
        )  # fmt: skip
        cells = {f"ngay_{day}": "20" for day in range(1, 31)} | month
        sheets["so_cap_thuoc"].append({"ma_dot": f"D{n}", "thang": "11/2026", **cells})
    return sheets


def batch_sheets() -> list[str]:
    return [
        e.detail["sheet"] for e in Event.objects.filter(action=REGISTER_IMPORT_ROWS).order_by("seq")
    ]


def test_a_dosing_sheet_is_written_a_batch_at_a_time_one_event_naming_its_people(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 27 (the bulk dose path): the month's doses of a batch of rows go in a day at a
    time, with one event per batch naming its people and the doses written, instead of an
    event per dose."""
    monkeypatch.setattr(bulk, "BATCH_ROWS", 2)
    outcome = run(world, xlsx(tmp_path / "so.xlsx", methadone_file(3, ngay_30="K")))
    assert outcome.problems == [] and outcome.committed
    assert Dose.objects.count() == 90
    assert Dose.objects.filter(kind=3).count() == 3
    assert set(Dose.objects.exclude(kind=3).values_list("dose_mg", flat=True)) == {Decimal(20)}
    assert not Event.objects.filter(action=MethadoneAction.DOSE_RECORDED).exists()
    doses = [
        e for e in Event.objects.filter(action=REGISTER_IMPORT_ROWS).order_by("seq")
        if e.detail["sheet"] == "so_cap_thuoc"
    ]  # fmt: skip
    assert [e.detail["doses"] for e in doses] == [60, 30]
    assert [e.detail["rows"] for e in doses] == [[2, 3], [4, 4]]
    people = {str(e.person_id) for e in TreatmentEpisode.objects.all()}
    assert set(doses[0].detail["people"]) | set(doses[1].detail["people"]) == people
    assert len(doses[0].detail["people"]) == 2


def test_episodes_screenings_and_prescriptions_are_batched_too(
    world: World, tmp_path: Path
) -> None:
    """Issue 27: every sheet of the file but the few rows the batch leaves (stages, a
    second order of one episode) is one event per batch, with history naming the import."""
    outcome = run(world, xlsx(tmp_path / "so.xlsx", full_file()))
    assert outcome.committed
    assert batch_sheets() == [
        "nguoi_ho_so", "dot_dieu_tri", "sang_loc", "dich_vu", "chi_dinh_methadone", "so_cap_thuoc",
    ]  # fmt: skip
    [imported] = Event.objects.filter(action="register_imported")
    request_id = f"import-{imported.object_id}"
    for model in (TreatmentEpisode, Screening, ScreeningScore, Prescription):
        assert {h.history_request_id for h in model.history.all()} == {request_id}, model
    assert ScreeningScore.objects.filter(screening=Screening.objects.get()).count() == 2
    # What prescription_record stores besides the order: its review, its flags.
    prescription = Prescription.objects.get()
    assert prescription.review_reason == "scheduled" and prescription.review_due_on
    assert prescription.recorded_by is not None and prescription.case_id


def test_a_dose_other_than_the_prescription_is_refused_on_its_day_and_nothing_written(
    world: World, tmp_path: Path
) -> None:
    """Safety before convenience: a register cell of 25 mg when 20 mg is prescribed is
    refused as the dosing form refuses it (its message naming the prescribed dose), on
    its row and day column; a day before the order is refused too; nothing is imported."""
    sheets = methadone_file(2)
    sheets["so_cap_thuoc"][1]["ngay_7"] = "25"
    sheets["chi_dinh_methadone"][0]["ngay_hieu_luc"] = "03/11/2026"
    outcome = run(world, xlsx(tmp_path / "so.xlsx", sheets))
    assert not outcome.committed
    found = problems(outcome)
    assert (DOSING, 3, "Ngày 7", "dose_not_prescribed") in found
    assert {(p.row, p.column) for p in outcome.problems} == {
        (2, "Ngày 1"), (2, "Ngày 2"), (3, "Ngày 7"),
    }  # fmt: skip
    refused = next(p for p in outcome.problems if p.column == "Ngày 7")
    assert "25 mg" in refused.message and "20 mg" in refused.message
    assert not Dose.objects.exists() and not TreatmentEpisode.objects.exists()


@pytest.mark.parametrize("batched", [True, False], ids=["bulk", "dose_record"])
def test_the_batched_doses_are_what_the_dosing_form_would_have_written(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batched: bool
) -> None:
    """The bulk path and dose_record (the row-by-row path) give the same doses and the same
    review flag after a run of missed days (4066/QĐ-BYT: from three days missed, assess;
    five, restart; the review is due on the earlier of its planned day and the run): both
    runs must give the one expected result."""
    if not batched:
        monkeypatch.delitem(import_actions._BATCHED, "so_cap_thuoc")
    cells = {f"ngay_{day}": "K" for day in range(10, 15)}
    sheets = methadone_file(2, **cells)
    sheets["so_cap_thuoc"][1]["ngay_3"] = "K"
    assert run(world, xlsx(tmp_path / "a.xlsx", sheets)).committed
    names = {e.pk: e.case.person.full_name for e in TreatmentEpisode.objects.all()}
    doses = sorted(
        (names[episode], *rest)
        for episode, *rest in Dose.objects.values_list("episode", "given_on", "kind", "dose_mg")
    )
    expected = []
    for name, missed in (("Lê Văn Số 1", set()), ("Lê Văn Số 2", {3})):
        for day in range(1, 31):
            kind = 3 if 10 <= day <= 14 or day in missed else 1
            amount = None if kind == 3 else Decimal(20)
            expected.append((name, datetime.date(2026, 11, day), kind, amount))
    assert doses == expected
    reviews = sorted(
        (names[episode], *rest)
        for episode, *rest in Prescription.objects.values_list(
            "episode", "review_reason", "review_due_on"
        )
    )
    assert reviews == [
        ("Lê Văn Số 1", "missed_restart", datetime.date(2026, 11, 2)),
        ("Lê Văn Số 2", "missed_restart", datetime.date(2026, 11, 2)),
    ]
    assert Event.objects.filter(action=MethadoneAction.DOSE_RECORDED).exists() is not batched


def test_doses_for_another_clinics_patient_are_refused_and_logged(
    world: World, tmp_path: Path
) -> None:
    """ASVS 8.2.2: a dosing row for an episode at clinic B (not lan's clinic) is refused
    as the dosing form refuses it (unknown episode, a denial recorded); nothing written."""
    sheets = methadone_file(1)
    sheets["dot_dieu_tri"][0]["co_so"] = CLINIC_B
    del sheets["chi_dinh_methadone"]
    outcome = run(world, xlsx(tmp_path / "so.xlsx", sheets))
    assert not outcome.committed
    assert problems(outcome) == {(DOSING, 2, "", "outside_scope")}
    assert Event.objects.filter(action="denied", actor=world.users["lan"]).exists()
    assert not Dose.objects.exists()


def test_a_second_order_of_one_episode_goes_through_prescription_record_after_the_batch(
    world: World, tmp_path: Path
) -> None:
    """What a batch leaves: a later prescription of an episode reads the earlier one (the
    guideline's increase rules), so it goes through prescription_record after the batch."""
    sheets = methadone_file(2)
    sheets["chi_dinh_methadone"].append(
        {"ma_dot": "D1", "ngay_hieu_luc": "20/11/2026", "lieu_mg": "90", "giai_doan": "induction"}
    )
    sheets["so_cap_thuoc"] = []
    outcome = run(world, xlsx(tmp_path / "so.xlsx", sheets))
    # 20 → 90 mg within days breaks the guideline's increase rule: refused on its row.
    assert not outcome.committed
    assert {(p.sheet, p.row, p.code) for p in outcome.problems} == {
        ("Chỉ định liều methadone", 4, "increase_too_large")
    }


def _shelter(world: World) -> str:
    from cases.models import Organisation, OrganisationType

    Organisation.objects.create(
        name="Nhà Nhân ái Thử",
        type=OrganisationType.objects.get(code="nha-nhan-ai"),
        unit=world.units["d1"],
    )
    return "981:Nhà Nhân ái Thử"


def _victim(n: int) -> dict[str, Any]:
    return person_row(
        ma_nguoi=str(n), ma_ho_so=f"HS{n}", ho_ten=f"Lò Thị Số {n}", so_cccd="",
        gioi_tinh="Nữ", nam_sinh=1999, doi_tuong="trafficking_victim",
    )  # fmt: skip


def test_shelter_stays_are_written_a_batch_at_a_time(world: World, tmp_path: Path) -> None:
    """Issue 27 (D61): the shelter-stay sheet goes in batches like the others, one event
    naming the people and stays; a person with two stays in the file goes row by row after
    the batch, where ``shelter_stay_check`` compares the dates, and an overlap is refused
    on its row."""
    from services.events import ServiceAction
    from services.models import ShelterStay

    shelter = _shelter(world)

    def stay(case: str, entered: str, left: str) -> dict[str, Any]:
        return {"ma_ho_so": case, "nha_nhan_ai": shelter, "ngay_vao": entered, "ngay_ra": left}

    sheets = {
        "nguoi_ho_so": [_victim(1), _victim(2), _victim(3)],
        "luu_tru": [
            stay("HS1", "01/03/2026", "15/03/2026"),
            stay("HS2", "01/04/2026", "15/04/2026"),
            stay("HS3", "01/05/2026", "10/05/2026"),
            stay("HS3", "01/06/2026", "10/06/2026"),
        ],
    }
    outcome = run(world, xlsx(tmp_path / "so.xlsx", sheets))
    assert outcome.problems == [] and outcome.committed
    assert batch_sheets() == ["nguoi_ho_so", "luu_tru"]
    [event] = Event.objects.filter(action=REGISTER_IMPORT_ROWS, detail__sheet="luu_tru")
    stays = ShelterStay.objects.select_related("case__person")
    batched = [s for s in stays if str(s.case.person.full_name) != "Lò Thị Số 3"]
    assert len(batched) == 2
    assert sorted(event.detail["records"]) == sorted(str(s.pk) for s in batched)
    assert sorted(event.detail["people"]) == sorted(str(s.person_id) for s in batched)
    assert ShelterStay.objects.count() == 4
    # Only person 3's two stays went through record_add, one event each.
    added = Event.objects.filter(action=ServiceAction.RECORD_ADDED, detail__kind="shelterstay")
    assert added.count() == 2
    request_id = f"import-{Event.objects.get(action='register_imported').object_id}"
    assert {h.history_request_id for h in ShelterStay.history.all()} == {request_id}
    assert {s.person_id for s in ShelterStay.objects.select_related("case")} == {
        s.case.person_id for s in ShelterStay.objects.select_related("case")
    }

    sheets["nguoi_ho_so"] = [_victim(4)]
    sheets["luu_tru"] = [
        stay("HS4", "01/03/2026", "15/03/2026"),
        stay("HS4", "10/03/2026", "20/03/2026"),
    ]
    refused = run(world, xlsx(tmp_path / "chong.xlsx", sheets))
    assert not refused.committed
    assert {(p.sheet, p.row) for p in refused.problems} == {("Lưu trú Nhà Nhân ái", 3)}


def test_post_rehab_periods_are_written_a_batch_at_a_time_with_their_checkins(
    world: World, tmp_path: Path
) -> None:
    """Issue 27 (D61): the post-rehab sheet goes in batches: one event naming the periods
    and the check-ins each open period plans (as ``checkins_sync`` plans them), the officer
    checked once per commune; an officer who does not serve the person's commune sends the
    batch row by row, where the row is refused."""
    from services.actions import checkin_dates
    from services.models import FollowUp, PostRehabPeriod

    def client(n: int) -> dict[str, Any]:
        return person_row(
            ma_nguoi=str(n), ma_ho_so=f"P{n}", ho_ten=f"Vi Văn Số {n}", so_cccd="",
            co_quan_quan_ly="98101:UBND xã Một Một", can_bo_phu_trach="minh",
            doi_tuong="post_rehab",
        )  # fmt: skip

    def period(case: str, **more: Any) -> dict[str, Any]:
        return {"ma_ho_so": case, "ngay_bat_dau": "01/02/2026",
                "ngay_ket_thuc_du_kien": "01/02/2027", "ket_qua": "ongoing"} | more  # fmt: skip

    sheets = {
        "nguoi_ho_so": [client(1), client(2), client(3)],
        "sau_cai": [
            period("P1"),
            period("P2"),
            period("P3", ngay_ket_thuc="01/08/2026", ket_qua="completed"),
        ],
    }
    outcome = run(world, xlsx(tmp_path / "sau-cai.xlsx", sheets), name="minh")
    assert outcome.problems == [] and outcome.committed
    assert batch_sheets() == ["nguoi_ho_so", "sau_cai"]
    [event] = Event.objects.filter(action=REGISTER_IMPORT_ROWS, detail__sheet="sau_cai")
    periods = list(PostRehabPeriod.objects.all())
    assert sorted(event.detail["records"]) == sorted(str(p.pk) for p in periods)
    assert {p.officer for p in periods} == {world.users["minh"]}
    # The open periods' check-ins, as checkins_sync plans them; none for the ended one.
    wanted = sorted((p.pk, due) for p in periods if p.is_open for due in checkin_dates(p))
    checkins = FollowUp.objects.filter(kind="post_rehab_checkin")
    assert wanted and sorted(checkins.values_list("period_id", "due_on")) == wanted
    assert sorted(event.detail["checkins"]) == sorted(str(c.pk) for c in checkins)
    assert {c.responsible_id for c in checkins} == {world.users["minh"].pk}
    request_id = f"import-{Event.objects.get(action='register_imported').object_id}"
    assert {h.history_request_id for h in FollowUp.history.all()} == {request_id}
    assert {h.history_request_id for h in PostRehabPeriod.history.all()} == {request_id}

    # lan is no commune officer of 98101: the batch cannot settle, the row is refused.
    sheets["nguoi_ho_so"] = [client(5), client(6)]
    sheets["sau_cai"] = [period("P5"), period("P6", can_bo="lan")]
    refused = run(world, xlsx(tmp_path / "sai.xlsx", sheets), name="minh")
    assert not refused.committed
    assert {(p.sheet, p.row, p.column) for p in refused.problems} == {
        ("Quản lý sau cai", 3, "Cán bộ quản lý (tên đăng nhập)")
    }
