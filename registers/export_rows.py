"""Read a register export's rows, a slice of people at a time (decision D40).

The export walks the scope's people in id order, ``CHUNK`` at a time (keyset, never an
offset), and for each slice reads their cases and every record of those cases that the
format holds, one query per sheet, through ``cases.access.visible``. Nothing holds more
than one slice, so a province's register of a million people streams in flat memory.

Rows are dicts keyed by the format's column keys (``registers.format``), with values in
Python types (dates, decimals, booleans); the writer turns them into cells. The file's own
keys (person, case, episode and screening numbers) are numbered afresh, as the format says.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from cases import access
from cases.models import Case, Organisation, Person
from services.methadone.models import Dose, DoseKind, Prescription
from services.models import (
    EpisodeStage,
    PostRehabPeriod,
    Screening,
    ScreeningScore,
    ServiceRecord,
    ShelterStay,
    TreatmentEpisode,
)

from . import format as fmt
from .export_scope import Scope, scope_cases, scope_people

CHUNK = 2000

Row = dict[str, Any]


@dataclass
class Numbers:
    """The file's own keys, numbered in the order rows are written."""

    people: int = 0
    cases: int = 0
    episodes: int = 0
    screenings: int = 0

    def next(self, what: str) -> str:
        value = getattr(self, what) + 1
        setattr(self, what, value)
        return str(value)


@dataclass
class Chunk:
    """One slice of people and the rows of every sheet that belong to them."""

    people: list[UUID]
    rows: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))


def organisation_code(org: Organisation | None) -> str:
    """Return an organisation as the format names it: "unit code:name"."""
    if org is None:
        return ""
    return f"{org.unit.code}{fmt.ORGANISATION_SEPARATOR}{org.name}"


def _username(user: Any) -> str:
    return user.get_username() if user is not None else ""


def _birth_date(text: str) -> datetime.date | str:
    try:
        return datetime.date.fromisoformat(text) if text else ""
    except ValueError:
        return text


def people_ids(user: access.AnyUser, scope: Scope, *, size: int = CHUNK) -> Iterator[list[UUID]]:
    """Yield the scope's people ids in id order, ``size`` at a time."""
    people = scope_people(user, scope).order_by("pk").values_list("pk", flat=True)
    last: UUID | None = None
    while True:
        page = people if last is None else people.filter(pk__gt=last)
        ids = list(page[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]


def chunks(user: access.AnyUser, scope: Scope, *, size: int = CHUNK) -> Iterator[Chunk]:
    """Yield the export's rows, one slice of people at a time."""
    numbers = Numbers()
    cases_in_scope = scope_cases(user, scope)
    for ids in people_ids(user, scope, size=size):
        yield _chunk(user, ids, cases_in_scope, numbers)


def _chunk(user: access.AnyUser, ids: list[UUID], cases_in_scope: Any, numbers: Numbers) -> Chunk:
    chunk = Chunk(people=[])
    people = {
        p.pk: p
        for p in access.visible(user, Person).filter(pk__in=ids).select_related("residence_commune")
    }
    cases: list[Case] = list(
        cases_in_scope.filter(person_id__in=ids)
        .select_related("organisation__unit", "assigned_to")
        .order_by("person_id", "opened_on", "pk")
    )
    case_keys: dict[UUID, str] = {}
    person_keys: dict[UUID, str] = {}
    for case in cases:
        person = people.get(case.person_id)
        if person is None:
            continue
        if person.pk not in person_keys:
            person_keys[person.pk] = numbers.next("people")
            chunk.people.append(person.pk)
        case_keys[case.pk] = numbers.next("cases")
        chunk.rows[fmt.PEOPLE_CASES.key].append(
            _person_case_row(person, case, person_keys[person.pk], case_keys[case.pk])
        )
    if case_keys:
        _records(user, list(case_keys), case_keys, numbers, chunk)
    return chunk


def _person_case_row(person: Person, case: Case, person_key: str, case_key: str) -> Row:
    return {
        "ma_nguoi": person_key,
        "ma_ho_so": case_key,
        "ho_ten": person.full_name,
        "ten_khac": person.aliases,
        "so_cccd": person.citizen_id,
        "so_cmnd": person.old_id_number,
        "gioi_tinh": person.sex,
        "nam_sinh": person.birth_year,
        "nam_sinh_uoc_tinh": person.birth_year_estimated,
        "ngay_sinh": _birth_date(person.birth_date),
        "dan_toc": person.ethnicity,
        "dien_thoai": person.phone,
        "dia_chi": person.address,
        "lien_he_gia_dinh": person.family_contact,
        "xa_cu_tru": person.residence_commune.code,
        "doi_tuong": case.category,
        "ho_so_quan_ly": case.managed_record,
        "trang_thai": case.status,
        "ngay_mo": case.opened_on,
        "ngay_dong": case.closed_on,
        "co_quan_quan_ly": organisation_code(case.organisation),
        "can_bo_phu_trach": _username(case.assigned_to),
        "ghi_chu": case.notes,
    }


def _records(
    user: access.AnyUser,
    case_ids: list[UUID],
    case_keys: dict[UUID, str],
    numbers: Numbers,
    chunk: Chunk,
) -> None:
    """Add the rows of every record sheet for these cases (one query per sheet)."""
    rows = chunk.rows
    episodes = list(
        access.visible(user, TreatmentEpisode)
        .filter(case_id__in=case_ids)
        .select_related("provider__unit")
        .order_by("case_id", "started_on", "pk")
    )
    episode_keys = {e.pk: numbers.next("episodes") for e in episodes}
    stages: dict[UUID, list[EpisodeStage]] = defaultdict(list)
    for stage in access.visible(user, EpisodeStage).filter(episode_id__in=list(episode_keys)):
        stages[stage.episode_id].append(stage)
    for episode in episodes:
        row: Row = {
            "ma_dot": episode_keys[episode.pk],
            "ma_ho_so": case_keys[episode.case_id],
            "hinh_thuc": episode.modality,
            "co_so": organisation_code(episode.provider),
            "ngay_bat_dau": episode.started_on,
            "ngay_ket_thuc_du_kien": episode.planned_end_on,
            "ngay_ket_thuc": episode.ended_on,
            "ket_qua": episode.outcome,
        }
        for stage in stages[episode.pk]:
            row[f"giai_doan_{stage.stage}_bat_dau"] = stage.started_on
            row[f"giai_doan_{stage.stage}_ket_thuc"] = stage.ended_on
        rows[fmt.EPISODES.key].append(row)

    screenings = list(
        access.visible(user, Screening)
        .filter(case_id__in=case_ids)
        .select_related("screener")
        .order_by("case_id", "screened_on", "pk")
    )
    screening_keys = {s.pk: numbers.next("screenings") for s in screenings}
    for screening in screenings:
        rows[fmt.SCREENINGS.key].append(
            {
                "ma_sang_loc": screening_keys[screening.pk],
                "ma_ho_so": case_keys[screening.case_id],
                "cong_cu": f"{screening.instrument} {screening.instrument_version}",
                "ngay_sang_loc": screening.screened_on,
                "nguoi_sang_loc": _username(screening.screener),
                "diem": screening.score,
                "ket_qua": screening.level,
                "tiem_chich": screening.injecting,
            }
        )
    scores = access.visible(user, ScreeningScore).filter(screening_id__in=list(screening_keys))
    for score in scores.order_by("screening_id", "item"):
        rows[fmt.SCREENING_SCORES.key].append(
            {
                "ma_sang_loc": screening_keys[score.screening_id],
                "muc": score.item,
                "diem": score.score,
                "muc_do": score.level,
            }
        )

    services = (
        access.visible(user, ServiceRecord)
        .filter(case_id__in=case_ids)
        .select_related("service_type", "provider__unit", "responsible")
        .order_by("case_id", "created_at", "pk")
    )
    for service in services:
        rows[fmt.SERVICES.key].append(
            {
                "ma_ho_so": case_keys[service.case_id],
                "loai_dich_vu": service.service_type.code,
                "trang_thai": service.status,
                "ngay_hen": service.due_on,
                "ngay_cung_cap": service.delivered_on,
                "don_vi_cung_cap": organisation_code(service.provider),
                "can_bo": _username(service.responsible),
                "so_tien": service.amount,
                "ghi_chu": service.note,
            }
        )

    stays = (
        access.visible(user, ShelterStay)
        .filter(case_id__in=case_ids)
        .select_related("shelter__unit")
        .order_by("case_id", "entered_on", "pk")
    )
    for stay in stays:
        rows[fmt.SHELTER_STAYS.key].append(
            {
                "ma_ho_so": case_keys[stay.case_id],
                "nha_nhan_ai": organisation_code(stay.shelter),
                "ngay_vao": stay.entered_on,
                "ngay_ra": stay.left_on,
            }
        )

    periods = (
        access.visible(user, PostRehabPeriod)
        .filter(case_id__in=case_ids)
        .select_related("officer")
        .order_by("case_id", "started_on", "pk")
    )
    for period in periods:
        rows[fmt.POST_REHAB.key].append(
            {
                "ma_ho_so": case_keys[period.case_id],
                "can_bo": _username(period.officer),
                "ngay_bat_dau": period.started_on,
                "ngay_ket_thuc_du_kien": period.planned_end_on,
                "ngay_ket_thuc": period.ended_on,
                "ket_qua": period.outcome,
            }
        )

    _methadone(user, episode_keys, rows)


def _methadone(
    user: access.AnyUser, episode_keys: dict[UUID, str], rows: dict[str, list[Row]]
) -> None:
    """Add the prescriptions and the monthly dosing sheets of these episodes."""
    if not episode_keys:
        return
    episode_ids = list(episode_keys)
    prescriptions = (
        access.visible(user, Prescription)
        .filter(episode_id__in=episode_ids)
        .select_related("prescriber")
        .order_by("episode_id", "starts_on", "pk")
    )
    for prescription in prescriptions:
        rows[fmt.PRESCRIPTIONS.key].append(
            {
                "ma_dot": episode_keys[prescription.episode_id],
                "ngay_hieu_luc": prescription.starts_on,
                "lieu_mg": prescription.dose_mg,
                "giai_doan": prescription.phase,
                "so_ngay_mang_ve": prescription.take_home_days,
                "chia_lieu": prescription.split_parts,
                "bac_si": _username(prescription.prescriber),
            }
        )
    doses = (
        access.visible(user, Dose)
        .filter(episode_id__in=episode_ids)
        .order_by("episode_id", "given_on")
        .values_list("episode_id", "given_on", "kind", "dose_mg")
    )
    month_row: Row | None = None
    current: tuple[UUID, int, int] | None = None
    for episode_id, given_on, kind, dose_mg in doses.iterator(chunk_size=5000):
        key = (episode_id, given_on.year, given_on.month)
        if key != current:
            current = key
            month_row = {"ma_dot": episode_keys[episode_id], "thang": given_on.replace(day=1)}
            rows[fmt.DOSES.key].append(month_row)
        assert month_row is not None  # noqa: S101
        month_row[f"ngay_{given_on.day}"] = dose_cell(kind, dose_mg)


def dose_cell(kind: int, dose_mg: Decimal | None) -> str:
    """Return one day of the dosing sheet: "45", "45MV" or "K"."""
    if dose_mg is None:
        return fmt.DOSE_MISSED
    amount = f"{dose_mg.normalize():f}"
    suffix = fmt.DOSE_TAKE_HOME_SUFFIX if kind == DoseKind.TAKE_HOME else ""
    return amount + suffix
