"""Import a register file: check every row, then write it all or nothing (decision D39).

``register_import`` reads the file twice, row by row (memory stays flat): the first pass
checks every cell, row and key and finds the people the file may share with the system;
the second writes each row through the actions a form would use (``cases.actions``,
``services.actions``, ``services.methadone.actions``), so scope, rules, history and events
are theirs, inside one transaction. Any problem rolls back the whole file; a dry run always
rolls back. History rows and events of an import carry the request id ``import-<id>``; one
``register_imported`` event names the file's SHA-256, the row counts and the importer.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, DataError, IntegrityError, connections, transaction
from django.http import Http404
from django.utils import timezone, translation

from accounts.capabilities import can
from accounts.models import User
from audit import actions as audit
from audit import context
from cases import access
from cases.actions import CaseData, PersonData, case_open, person_register
from core.editing import OVERRIDE, EditConflict
from services.actions import (
    postrehab_after,
    postrehab_check,
    record_add,
    record_change,
    screening_record,
    shelter_stay_check,
    stage_record,
)
from services.instruments.base import Result, SubjectScore
from services.methadone.actions import dose_record, prescription_record
from services.methadone.models import Prescription
from services.models import (
    EpisodeStage,
    Outcome,
    PostRehabPeriod,
    Screening,
    ServiceRecord,
    ShelterStay,
    TreatmentEpisode,
)

from . import bulk, bulk_records, reading
from .capabilities import REGISTER_IMPORT
from .checking import Candidate, Keys, Lookups, Problem, SheetChecker, find_candidates, rows_of
from .events import REGISTER_IMPORTED
from .format import (
    DOSES,
    EPISODES,
    PEOPLE_CASES,
    POST_REHAB,
    PRESCRIPTIONS,
    SCREENING_SCORES,
    SCREENINGS,
    SERVICES,
    SHEETS,
    SHELTER_STAYS,
    Sheet,
    match_headers,
)
from .keystore import IdMap, Kind, WrittenIds
from .models import ImportStatus, RegisterImport

NEW_PERSON = "new"  # a decision: the file's person is not the candidate(s) shown
PROGRESS_EVERY = 200  # rows between two progress reports

Progress = Callable[[str, int], None]  # (sheet's Vietnamese name, rows done in all)


@dataclass
class ImportOutcome:
    """What an import (or a dry run) came to."""

    sha256: str
    dry_run: bool
    rows: dict[str, int] = field(default_factory=dict)  # rows read, by sheet key
    problems: list[Problem] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # sheets and columns ignored
    committed: bool = False

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def as_json(self) -> str:
        return json.dumps(
            {
                "sha256": self.sha256,
                "dry_run": self.dry_run,
                "rows": self.rows,
                "problems": [asdict(p) for p in self.problems],
                "candidates": [asdict(c) for c in self.candidates],
                "notices": self.notices,
                "committed": self.committed,
            },
            ensure_ascii=False,
        )


def file_sha256(path: reading.Source) -> str:
    """Return the SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _sheets(path: reading.Source, outcome: ImportOutcome) -> Iterator[dict[str, reading.SheetRows]]:
    """Open the file and yield its known sheets by key; unknown sheets are noted."""
    with reading.open_register(path) as found:
        known: dict[str, reading.SheetRows] = {}
        for each in found:
            if each.sheet is None:
                outcome.notices.append(f"Trang “{each.name}” không thuộc mẫu: đã bỏ qua.")
            elif each.sheet.key in known:
                outcome.problems.append(
                    Problem(each.name, 0, "", "Tệp có hai trang cùng loại.", "duplicate_sheet")
                )
            else:
                known[each.sheet.key] = each
        yield known


def _checkers(
    path: reading.Source,
    actor: User,
    lookups: Lookups,
    keys: Keys,
    outcome: ImportOutcome,
    *,
    notice: bool,
) -> Iterator[tuple[Sheet, Iterator[tuple[int, dict[str, Any] | None]]]]:
    """Yield each sheet of the file in the format's order with its checked rows."""
    with _sheets(path, outcome) as known:
        for sheet in SHEETS:
            found = known.get(sheet.key)
            if found is None:
                continue
            header = next(found.rows, None)
            if header is None:
                continue
            match = match_headers(sheet, header[1])
            if notice:
                outcome.notices.extend(
                    f"Cột “{name}” ở trang “{sheet.vi}” không thuộc mẫu: đã bỏ qua."
                    for name in match.unknown
                )
                outcome.problems.extend(
                    Problem(sheet.vi, 1, column.vi, "Thiếu cột bắt buộc này.", "missing_column")
                    for column in match.missing
                )
            if match.missing:
                continue
            checker = SheetChecker(sheet, match, lookups, keys, outcome.problems)
            yield sheet, rows_of(checker, found.rows)


def register_import(
    *,
    actor: User,
    path: reading.Source,
    dry_run: bool,
    decisions: dict[str, str] | None = None,
    import_id: UUID | None = None,
    progress: Progress | None = None,
    today: datetime.date | None = None,
) -> ImportOutcome:
    """Check a register file and, unless ``dry_run``, write it all in one transaction.

    ``decisions`` maps the file's person numbers that have candidate matches to
    ``"new"`` or the id of the person they are. Rows outside the importer's scope are
    refused and the refusal recorded (``access.deny``); nothing of a refused file is written.
    """
    import_id = import_id or uuid.uuid4()
    if access.profile_of(actor) is None or not can(actor, REGISTER_IMPORT):
        access.deny(actor, REGISTER_IMPORT, object_type="registerimport", object_id=import_id)
        raise PermissionDenied
    outcome = ImportOutcome(sha256=file_sha256(path), dry_run=dry_run)
    today = today or timezone.localdate()
    decisions = decisions or {}
    keys = Keys()  # the file's keys, in a temporary table of the import's own (D61)
    try:
        _run(actor, path, outcome, keys, decisions, today, import_id, progress)
    finally:
        keys.close()
    outside = [p for p in outcome.problems if p.outside_scope]
    if outside:
        access.deny(
            actor,
            REGISTER_IMPORT,
            object_type="registerimport",
            object_id=import_id,
            sha256=outcome.sha256,
            rows=sorted({f"{p.sheet}:{p.row}" for p in outside}),
        )
    return outcome


def _run(
    actor: User,
    path: reading.Source,
    outcome: ImportOutcome,
    keys: Keys,
    decisions: dict[str, str],
    today: datetime.date,
    import_id: UUID,
    progress: Progress | None,
) -> None:
    """Check the file, then write it unless a problem was found."""
    with translation.override("vi"):
        try:
            _check(actor, path, outcome, keys, today, progress)
        except (reading.FileUnreadable, zipfile.BadZipFile, UnicodeDecodeError):
            outcome.problems.append(
                Problem(
                    "", 0, "", "Không đọc được tệp: chỉ nhận tệp Excel (.xlsx), CSV (UTF-8) "
                    "hoặc tệp ZIP chứa các CSV.", "unreadable",
                )
            )  # fmt: skip
            return
        if not outcome.rows and not outcome.problems:
            outcome.problems.append(
                Problem(
                    "", 0, "", "Tệp không có trang nào theo mẫu (xem tên các trang ở trang "
                    "Hướng dẫn của tệp mẫu).", "no_sheets",
                )
            )  # fmt: skip
        _decide(outcome, keys, decisions, dry_run=outcome.dry_run)
        if not outcome.problems:
            _write(actor, path, outcome, keys, decisions, today, import_id, progress)


def _check(
    actor: User,
    path: reading.Source,
    outcome: ImportOutcome,
    keys: Keys,
    today: datetime.date,
    progress: Progress | None,
) -> None:
    """Run the first pass: read and check every row; find the candidate matches."""
    lookups = Lookups(actor, today=today)
    done = 0
    people: dict[str, tuple[str, int, dict[str, Any]]] = {}  # looked up a batch at a time
    for sheet, rows in _checkers(path, actor, lookups, keys, outcome, notice=True):
        count = 0
        for number, values in rows:
            count += 1
            if sheet is PEOPLE_CASES and values is not None:
                person = values["ma_nguoi"]
                # Looked up once, at the person's first row (kept only if someone matches).
                if keys.person_row(person) == number and person not in people:
                    people[person] = (person, number, values)
                    if len(people) >= bulk.BATCH_ROWS:
                        keys.candidates.update(find_candidates(actor, list(people.values())))
                        people = {}
            done += 1
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(sheet.vi, done)
        if people:
            keys.candidates.update(find_candidates(actor, list(people.values())))
            people = {}
        outcome.rows[sheet.key] = count
    outcome.candidates = [c for found in keys.candidates.values() for c in found]


def _decide(
    outcome: ImportOutcome, keys: Keys, decisions: dict[str, str], *, dry_run: bool
) -> None:
    """Refuse an undecided or impossible decision on a candidate match (real runs)."""
    for person_key, found in keys.candidates.items():
        if not found:
            continue
        decision = decisions.get(person_key)
        row = found[0].row
        column = PEOPLE_CASES.column("ma_nguoi").vi
        if decision is None:
            if not dry_run:
                outcome.problems.append(
                    Problem(
                        PEOPLE_CASES.vi,
                        row,
                        column,
                        "Người này có thể đã có trong hệ thống: chọn “cùng một người” hoặc "
                        "“người mới” trước khi nhập.",
                        "needs_decision",
                    )
                )
        elif decision == NEW_PERSON:
            if any(c.reason == "citizen_id" for c in found):
                outcome.problems.append(
                    Problem(
                        PEOPLE_CASES.vi,
                        row,
                        PEOPLE_CASES.column("so_cccd").vi,
                        "Số CCCD này đã có trong hệ thống: đây là cùng một người.",
                        "citizen_id_taken",
                    )
                )
        elif decision not in {c.person_id for c in found}:
            outcome.problems.append(_bad_decision(row))
    # A decision naming someone never offered is an attempt to reach a person by id.
    for person_key, decision in decisions.items():
        if decision != NEW_PERSON and not keys.candidates.get(person_key):
            row = keys.person_row(person_key)
            outcome.problems.append(_bad_decision(row))


def _bad_decision(row: int) -> Problem:
    return Problem(
        PEOPLE_CASES.vi,
        row,
        PEOPLE_CASES.column("ma_nguoi").vi,
        "Quyết định chọn một người không có trong danh sách người có thể trùng.",
        "bad_decision",
        outside_scope=True,
    )


class _Written:
    """The ids the second pass gave the file's keys, in the import's key store (D61)."""

    def __init__(self, keys: Keys) -> None:
        self.people = IdMap(keys.store, Kind.PERSON_ID, written=Kind.WRITTEN_PERSON)
        self.case_ids = IdMap(keys.store, Kind.CASE_ID)
        self.episodes = IdMap(keys.store, Kind.EPISODE_ID)


def _write(
    actor: User,
    path: reading.Source,
    outcome: ImportOutcome,
    first: Keys,
    decisions: dict[str, str],
    today: datetime.date,
    import_id: UUID,
    progress: Progress | None,
) -> None:
    """Run the second pass inside one transaction; roll it back on a problem or a dry run."""
    written = _Written(first)
    # The first pass's keys: the same file, checked again, gives the same.
    keys = first
    lookups = Lookups(actor, today=today)
    here = context.current()
    bound = context.RequestContext(
        ip=here.ip, user_agent=here.user_agent, request_id=f"import-{import_id}"
    )
    done = 0
    with context.bound(bound), transaction.atomic():
        for sheet, rows in _checkers(path, actor, lookups, keys, outcome, notice=False):
            batch: list[tuple[int, dict[str, Any]]] = []
            for number, values in rows:
                done += 1
                if progress is not None and done % PROGRESS_EVERY == 0:
                    progress(sheet.vi, outcome.total + done)
                if values is None:
                    continue  # already reported (cannot happen: the first pass passed)
                if sheet.key not in _BATCHED:
                    _write_row(actor, sheet, number, values, written, keys, decisions, outcome)
                    continue
                batch.append((number, values))
                if len(batch) >= bulk.BATCH_ROWS:
                    _write_batch(actor, sheet, batch, written, keys, decisions, outcome, import_id)
                    batch = []
            if batch:
                _write_batch(actor, sheet, batch, written, keys, decisions, outcome, import_id)
        if outcome.problems or outcome.dry_run:
            transaction.set_rollback(True)
            return
        _citizen_ids_still_free(written, keys, decisions, outcome)
        if outcome.problems:
            transaction.set_rollback(True)
            return
        audit.record(
            actor=actor,
            action=REGISTER_IMPORTED,
            object_type="registerimport",
            object_id=import_id,
            detail={
                "sha256": outcome.sha256,
                "rows": outcome.rows,
                "people": len(written.people),
                "cases": len(written.case_ids),
            },
        )
        outcome.committed = True


def _citizen_ids_still_free(
    written: _Written, keys: Keys, decisions: dict[str, str], outcome: ImportOutcome
) -> None:
    """Refuse the rows of people whose citizen ID number was registered through a form
    while the import ran (D54: checked again under the registrations' lock, at the end)."""
    # People the import registered: not those its decisions named as already known.
    known = {decision for decision in decisions.values() if decision != NEW_PERSON}
    created = (pk for pk in written.people.ids() if str(pk) not in known)
    for pk in bulk.citizen_ids_still_free(people=created, ours=written.people.wrote):
        digest = written.people.key_of(pk)
        outcome.problems.append(
            Problem(
                PEOPLE_CASES.vi,
                keys.person_row_of(digest) if digest is not None else 0,
                PEOPLE_CASES.column("so_cccd").vi,
                "Số CCCD này vừa được đăng ký cho một người khác trong lúc tệp đang nhập: "
                "gửi lại tệp để chọn “cùng một người”.",
                "citizen_id_taken",
            )
        )


def _write_row(
    actor: User,
    sheet: Sheet,
    number: int,
    values: dict[str, Any],
    written: _Written,
    keys: Keys,
    decisions: dict[str, str],
    outcome: ImportOutcome,
) -> None:
    """Write one row through the actions, in a savepoint; note its problem if refused."""
    try:
        with transaction.atomic():
            _WRITERS[sheet.key](actor, values, written, keys, decisions)
    except (ValidationError, PermissionDenied, Http404, EditConflict) as error:
        outcome.problems.append(_problem(sheet, number, error))
    except _RefFailed as error:
        outcome.problems.append(
            Problem(sheet.vi, number, sheet.column(error.column).vi, error.message, error.code)
        )
    except IntegrityError:
        outcome.problems.append(
            Problem(sheet.vi, number, "", "Dòng này trùng hoặc mâu thuẫn với dữ "
                    "liệu đã có trong hệ thống.", "conflict")
        )  # fmt: skip


def _write_batch(
    actor: User,
    sheet: Sheet,
    batch: list[tuple[int, dict[str, Any]]],
    written: _Written,
    keys: Keys,
    decisions: dict[str, str],
    outcome: ImportOutcome,
    import_id: UUID,
) -> None:
    """Write a batch of rows at once (``registers.bulk``, ``registers.bulk_records``; D44,
    D54); if it cannot be settled as a whole, roll it back to its savepoint and write its
    rows one by one. Rows the batch leaves (``Leftover``) go one by one after it.

    A batch adds the ids it gave to ``written`` only as its last step, so a batch rolled
    back leaves no id behind.
    """
    refused: list[bulk_records.CellProblem] = []
    try:
        with transaction.atomic():
            context = _Batch(actor, written, keys, decisions, import_id, refused)
            left = _BATCHED[sheet.key](context, batch)
    except (
        bulk.Unsettled, ValidationError, PermissionDenied, Http404, _RefFailed, IntegrityError,
        DataError,
    ):  # fmt: skip
        left = batch
    outcome.problems.extend(
        Problem(sheet.vi, number, sheet.column(column).vi, message, code)
        for number, column, message, code in refused
    )
    for number, values in left:
        _write_row(actor, sheet, number, values, written, keys, decisions, outcome)


class _RefFailed(Exception):
    """A row names a key whose own row could not be written (its problem is reported)."""

    def __init__(self, column: str, message: str, code: str = "ref_failed") -> None:
        super().__init__(message)
        self.column = column
        self.message = message
        self.code = code


def _ref(ids: IdMap, key: str, column: str) -> UUID:
    try:
        return ids[key]
    except KeyError:
        raise _RefFailed(
            column, f"“{key}” không nhập được (xem lỗi ở dòng của nó), nên dòng này cũng không."
        ) from None


# Model fields → the sheet's columns, to place an action's refusal on the right cell.
_FIELDS: dict[str, dict[str, str]] = {
    PEOPLE_CASES.key: {
        "full_name": "ho_ten", "citizen_id": "so_cccd", "old_id_number": "so_cmnd",
        "sex": "gioi_tinh", "birth_year": "nam_sinh", "birth_date": "ngay_sinh",
        "residence_commune": "xa_cu_tru", "category": "doi_tuong", "status": "trang_thai",
        "opened_on": "ngay_mo", "closed_on": "ngay_dong", "organisation": "co_quan_quan_ly",
        "assigned_to": "can_bo_phu_trach", "phone": "dien_thoai",
    },
    EPISODES.key: {
        "modality": "hinh_thuc", "provider": "co_so", "started_on": "ngay_bat_dau",
        "planned_end_on": "ngay_ket_thuc_du_kien", "ended_on": "ngay_ket_thuc",
        "outcome": "ket_qua",
    },
    SCREENINGS.key: {"screened_on": "ngay_sang_loc", "injecting": "tiem_chich"},
    SERVICES.key: {
        "service_type": "loai_dich_vu", "status": "trang_thai", "due_on": "ngay_hen",
        "delivered_on": "ngay_cung_cap", "provider": "don_vi_cung_cap", "amount": "so_tien",
        "responsible": "can_bo",
    },
    SHELTER_STAYS.key: {"shelter": "nha_nhan_ai", "entered_on": "ngay_vao", "left_on": "ngay_ra"},
    POST_REHAB.key: {
        "officer": "can_bo", "started_on": "ngay_bat_dau",
        "planned_end_on": "ngay_ket_thuc_du_kien", "ended_on": "ngay_ket_thuc",
        "outcome": "ket_qua",
    },
    PRESCRIPTIONS.key: {
        "starts_on": "ngay_hieu_luc", "dose_mg": "lieu_mg", "phase": "giai_doan",
        "take_home_days": "so_ngay_mang_ve", "split_parts": "chia_lieu", "prescriber": "bac_si",
    },
}  # fmt: skip


def _problem(sheet: Sheet, number: int, error: Exception) -> Problem:
    if isinstance(error, PermissionDenied | Http404):
        return Problem(
            sheet.vi, number, "", "Dòng này nằm ngoài phạm vi bạn được phép ghi.",
            "outside_scope", outside_scope=True,
        )  # fmt: skip
    if isinstance(error, EditConflict):
        return Problem(sheet.vi, number, "", "Hồ sơ vừa được người khác sửa.", "conflict")
    assert isinstance(error, ValidationError)  # noqa: S101
    fields = _FIELDS.get(sheet.key, {})
    if hasattr(error, "error_dict"):
        parts = [
            (fields.get(name, ""), " ".join(str(m) for m in messages))
            for name, messages in error.message_dict.items()
        ]
    else:
        parts = [("", " ".join(str(m) for m in error.messages))]
    column, _text = parts[0]
    message = " ".join(text for _c, text in parts)
    header = sheet.column(column).vi if column else ""
    return Problem(sheet.vi, number, header, message, bulk_records.error_code(error))


Writer = Callable[[User, dict[str, Any], _Written, Keys, dict[str, str]], None]


def _person_data(values: dict[str, Any]) -> PersonData:
    return PersonData(
        full_name=values["ho_ten"],
        aliases=values["ten_khac"] or "",
        citizen_id=values["so_cccd"] or "",
        old_id_number=values["so_cmnd"] or "",
        phone=values["dien_thoai"] or "",
        address=values["dia_chi"] or "",
        family_contact=values["lien_he_gia_dinh"] or "",
        birth_date=values["ngay_sinh"].isoformat() if values["ngay_sinh"] else "",
        residence_commune=values["xa_cu_tru"],
        sex=values["gioi_tinh"],
        birth_year=values["nam_sinh"],
        birth_year_estimated=bool(values["nam_sinh_uoc_tinh"]),
        ethnicity=values["dan_toc"] or "",
    )


def _case_data(values: dict[str, Any]) -> CaseData:
    return CaseData(
        category=values["doi_tuong"],
        managed_record=bool(values["ho_so_quan_ly"]),
        status=values["trang_thai"],
        opened_on=values["ngay_mo"],
        closed_on=values["ngay_dong"],
        organisation=values["co_quan_quan_ly"],
        assigned_to=values["can_bo_phu_trach"],
        notes=values["ghi_chu"] or "",
    )


def _people_cases(
    actor: User, values: dict[str, Any], written: _Written, keys: Keys, decisions: dict[str, str]
) -> None:
    person_key = values["ma_nguoi"]
    if person_key not in written.people:
        decision = decisions.get(person_key, NEW_PERSON)
        if decision != NEW_PERSON:
            person = access.get_person_for_user(actor, UUID(decision), "change")
        else:
            person = person_register(
                actor=actor,
                data=_person_data(values),
                # The file's person numbers say who is who: people this import has just
                # written under other numbers are other people, namesakes or not.
                different_from=WrittenIds(
                    written.people, [c.person_id for c in keys.candidates.get(person_key, [])]
                ),
            )
        written.people[person_key] = person.pk
    else:
        person = access.get_person_for_user(
            actor, written.people[person_key], "change", record_read=False
        )
    case = case_open(actor=actor, person=person, data=_case_data(values))
    written.case_ids[values["ma_ho_so"]] = case.pk


def _episode(values: dict[str, Any], case_ids: IdMap) -> TreatmentEpisode:
    """Build an episode as the file ends it (its outcome and end, if any)."""
    return TreatmentEpisode(
        case_id=_ref(case_ids, values["ma_ho_so"], "ma_ho_so"),
        modality=values["hinh_thuc"],
        provider=values["co_so"],
        started_on=values["ngay_bat_dau"],
        planned_end_on=values["ngay_ket_thuc_du_kien"],
        outcome=values["ket_qua"],
        ended_on=values["ngay_ket_thuc"],
    )


def _episodes(
    actor: User, values: dict[str, Any], written: _Written, keys: Keys, decisions: dict[str, str]
) -> None:
    episode = _episode(values, written.case_ids)
    # Opened as ongoing, its stages recorded, then ended: the order the forms allow.
    episode.outcome, episode.ended_on = Outcome.ONGOING, None
    record_add(actor=actor, record=episode)
    written.episodes[values["ma_dot"]] = episode.pk
    for number in range(1, 6):
        started = values[f"giai_doan_{number}_bat_dau"]
        if started is None:
            continue
        stage = EpisodeStage(
            episode=episode,
            stage=number,
            started_on=started,
            ended_on=values[f"giai_doan_{number}_ket_thuc"],
        )
        stage_record(actor=actor, stage=stage, if_version=OVERRIDE)
    if values["ket_qua"] != Outcome.ONGOING:
        episode.refresh_from_db()
        episode.outcome = values["ket_qua"]
        episode.ended_on = values["ngay_ket_thuc"]
        record_change(actor=actor, record=episode, if_version=OVERRIDE)


def _screening(
    actor: User, values: dict[str, Any], written: _Written, keys: Keys
) -> tuple[Screening, Result]:
    """Build a screening as on paper (its scores, no answers) and its result."""
    code, version = values["cong_cu"]
    scores = tuple(
        SubjectScore(subject=item, score=score, level=level)
        for item, score, level in keys.scores(values["ma_sang_loc"])
    )
    screening = Screening(
        case_id=_ref(written.case_ids, values["ma_ho_so"], "ma_ho_so"),
        instrument=code,
        instrument_version=version,
        screened_on=values["ngay_sang_loc"],
        screener=values["nguoi_sang_loc"] or actor,
        answers="{}",  # the paper form's answers are not in the register, only its scores
        score=values["diem"],
        level=values["ket_qua"] or "",
        injecting=values["tiem_chich"] or "",
    )
    result = Result(
        instrument=code,
        version=version,
        answers={},
        free_text=frozenset(),
        scores=scores,
        total=values["diem"],
        level=values["ket_qua"],
    )
    return screening, result


def _screenings(
    actor: User, values: dict[str, Any], written: _Written, keys: Keys, decisions: dict[str, str]
) -> None:
    screening, result = _screening(actor, values, written, keys)
    screening_record(actor=actor, screening=screening, result=result)


def _scores(
    actor: User, values: dict[str, Any], written: _Written, keys: Keys, decisions: dict[str, str]
) -> None:
    """Item scores are written with their screening (``_screenings``)."""


def _services(
    actor: User, values: dict[str, Any], written: _Written, keys: Keys, decisions: dict[str, str]
) -> None:
    record_add(actor=actor, record=_service(values, written.case_ids))


def _service(values: dict[str, Any], case_ids: IdMap) -> ServiceRecord:
    return ServiceRecord(
        case_id=_ref(case_ids, values["ma_ho_so"], "ma_ho_so"),
        service_type=values["loai_dich_vu"],
        status=values["trang_thai"],
        due_on=values["ngay_hen"],
        delivered_on=values["ngay_cung_cap"],
        provider=values["don_vi_cung_cap"],
        responsible=values["can_bo"],
        amount=values["so_tien"],
        note=values["ghi_chu"] or "",
    )


def _shelter_stay(values: dict[str, Any], case_ids: IdMap) -> ShelterStay:
    return ShelterStay(
        case_id=_ref(case_ids, values["ma_ho_so"], "ma_ho_so"),
        shelter=values["nha_nhan_ai"],
        entered_on=values["ngay_vao"],
        left_on=values["ngay_ra"],
    )


def _shelter(
    actor: User, values: dict[str, Any], written: _Written, keys: Keys, decisions: dict[str, str]
) -> None:
    stay = _shelter_stay(values, written.case_ids)
    record_add(actor=actor, record=stay, checks=(shelter_stay_check,))


def _period(actor: User, values: dict[str, Any], case_ids: IdMap) -> PostRehabPeriod:
    return PostRehabPeriod(
        case_id=_ref(case_ids, values["ma_ho_so"], "ma_ho_so"),
        officer=values["can_bo"] or actor,
        started_on=values["ngay_bat_dau"],
        planned_end_on=values["ngay_ket_thuc_du_kien"],
        ended_on=values["ngay_ket_thuc"],
        outcome=values["ket_qua"],
    )


def _post_rehab(
    actor: User, values: dict[str, Any], written: _Written, keys: Keys, decisions: dict[str, str]
) -> None:
    period = _period(actor, values, written.case_ids)
    record_add(actor=actor, record=period, checks=(postrehab_check,), after=(postrehab_after,))


def _prescription(
    actor: User, values: dict[str, Any], written: _Written
) -> tuple[UUID, Prescription]:
    """Return a prescription row's episode id and its prescription (not yet checked)."""
    prescription = Prescription(
        starts_on=values["ngay_hieu_luc"],
        dose_mg=values["lieu_mg"],
        phase=values["giai_doan"],
        take_home_days=values["so_ngay_mang_ve"] or 0,
        split_parts=int(values["chia_lieu"] or 1),
        prescriber=values["bac_si"] or actor,
    )
    return _ref(written.episodes, values["ma_dot"], "ma_dot"), prescription


def _prescriptions(
    actor: User, values: dict[str, Any], written: _Written, keys: Keys, decisions: dict[str, str]
) -> None:
    episode_id, prescription = _prescription(actor, values, written)
    prescription_record(actor=actor, episode_id=episode_id, prescription=prescription)


def _doses(
    actor: User, values: dict[str, Any], written: _Written, keys: Keys, decisions: dict[str, str]
) -> None:
    episode_id = _ref(written.episodes, values["ma_dot"], "ma_dot")
    first: datetime.date = values["thang"]
    for day in range(1, 32):
        cell = values[f"ngay_{day}"]
        if cell is None:
            continue
        kind, mg = cell
        try:
            dose_record(
                actor=actor,
                episode_id=episode_id,
                day=first.replace(day=day),
                kind=kind,
                dose_mg=mg,
                acknowledged=True,
            )
        except ValidationError as error:  # placed on its day's cell
            code = bulk_records.error_code(error)
            raise _RefFailed(f"ngay_{day}", " ".join(error.messages), code) from None


_WRITERS: dict[str, Writer] = {
    PEOPLE_CASES.key: _people_cases,
    EPISODES.key: _episodes,
    SCREENINGS.key: _screenings,
    SCREENING_SCORES.key: _scores,
    SERVICES.key: _services,
    SHELTER_STAYS.key: _shelter,
    POST_REHAB.key: _post_rehab,
    PRESCRIPTIONS.key: _prescriptions,
    DOSES.key: _doses,
}


@dataclass
class _Batch:
    """What every sheet's batch writer needs besides its rows."""

    actor: User
    written: _Written
    keys: Keys
    decisions: dict[str, str]
    import_id: UUID
    refused: list[bulk_records.CellProblem]  # the dosing sheet's refused cells


def _people_cases_batch(b: _Batch, rows: bulk.Rows) -> bulk.Rows:
    candidates = b.keys.candidates
    bulk.people_cases(
        actor=b.actor,
        rows=rows,
        people=b.written.people,
        case_ids=b.written.case_ids,
        candidates={
            v["ma_nguoi"]: [c.person_id for c in candidates.get(v["ma_nguoi"], [])]
            for _n, v in rows
        },
        decisions=b.decisions,
        new_person=NEW_PERSON,
        person_data=_person_data,
        case_data=_case_data,
        import_id=b.import_id,
    )
    return []


def _services_batch(b: _Batch, rows: bulk.Rows) -> bulk.Rows:
    ids = b.written.case_ids
    bulk.services(actor=b.actor, rows=rows, case_ids=ids, build=_service, import_id=b.import_id)
    return []


def _doses_batch(b: _Batch, rows: bulk.Rows) -> bulk.Rows:
    bulk_records.doses(
        actor=b.actor,
        rows=rows,
        episode_ids=b.written.episodes,
        import_id=b.import_id,
        refused=b.refused,
    )
    return []


# Sheets written a batch at a time: each returns the rows it leaves to the row-by-row path
# (the actions), which also takes a whole batch that cannot settle (D44, D54, D61).
_BATCHED: dict[str, Callable[[_Batch, bulk.Rows], bulk.Rows]] = {
    PEOPLE_CASES.key: _people_cases_batch,
    EPISODES.key: lambda b, rows: bulk_records.episodes(
        actor=b.actor,
        rows=rows,
        ids=b.written.episodes,
        build=lambda values: _episode(values, b.written.case_ids),
        import_id=b.import_id,
    ),
    SCREENINGS.key: lambda b, rows: bulk_records.screenings(
        actor=b.actor,
        rows=rows,
        build=lambda values: _screening(b.actor, values, b.written, b.keys),
        import_id=b.import_id,
    ),
    SERVICES.key: _services_batch,
    SHELTER_STAYS.key: lambda b, rows: bulk_records.shelter_stays(
        actor=b.actor,
        rows=rows,
        build=lambda values: _shelter_stay(values, b.written.case_ids),
        import_id=b.import_id,
    ),
    POST_REHAB.key: lambda b, rows: bulk_records.post_rehab(
        actor=b.actor,
        rows=rows,
        build=lambda values: _period(b.actor, values, b.written.case_ids),
        import_id=b.import_id,
    ),
    PRESCRIPTIONS.key: lambda b, rows: bulk_records.prescriptions(
        actor=b.actor,
        rows=rows,
        build=lambda values: _prescription(b.actor, values, b.written),
        import_id=b.import_id,
    ),
    DOSES.key: _doses_batch,
}


# --- The import as a row of its own, run by the background worker -------------------


def import_run(*, import_id: UUID, path: reading.Source) -> RegisterImport:
    """Run a queued import (the worker's task): progress is committed as it goes."""
    row = RegisterImport.objects.select_related("created_by").get(pk=import_id)
    _progress_write(import_id, status=ImportStatus.RUNNING, done=0)

    def progress(sheet: str, done: int) -> None:
        _progress_write(import_id, status=ImportStatus.RUNNING, done=done)

    try:
        outcome = register_import(
            actor=row.created_by,
            path=path,
            dry_run=row.dry_run,
            decisions=row.decisions,
            import_id=row.pk,
            progress=progress,
        )
    except Exception:
        RegisterImport.objects.filter(pk=import_id).update(
            status=ImportStatus.FAILED, finished_at=timezone.now()
        )
        raise
    if outcome.problems:
        status = ImportStatus.REFUSED
    else:
        status = ImportStatus.CHECKED if row.dry_run else ImportStatus.DONE
    row.status = status
    row.rows_total = outcome.total
    row.rows_done = outcome.total
    row.finished_at = timezone.now()
    row.report = outcome.as_json()
    row.save(update_fields=["status", "rows_total", "rows_done", "finished_at", "report"])
    return row


def _progress_write(import_id: UUID, *, status: str, done: int) -> None:
    """Commit the import's progress at once, on a connection of its own.

    The import's transaction is not committed until the end, so its own connection cannot
    show progress to the page or the command; a second connection can (PostgreSQL). SQLite
    (the demo) allows one writer at a time: there the row shows the end only.
    """
    connection = connections.create_connection("default")
    if connection.vendor != "postgresql":
        connection.close()
        if not transaction.get_connection().in_atomic_block:
            RegisterImport.objects.filter(pk=import_id).update(
                status=status, rows_done=done, progress_at=timezone.now()
            )
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE registers_registerimport SET status = %s, rows_done = %s, "
                "progress_at = now() WHERE id = %s",
                [status, done, import_id],
            )
    except DatabaseError:
        pass  # progress is a courtesy: the import itself goes on
    finally:
        connection.close()
