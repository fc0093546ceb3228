"""Check a register file row by row, before anything is written (the import's first pass).

Each cell is read by its type (``cells``), each code looked up (in the importer's scope for
communes and responsible organisations), each row checked against its own rules and against
the file (keys, references, duplicate rows, one person's rows agreeing). Every problem is a
``Problem`` naming the sheet, the row and the column, in Vietnamese. What the second pass
needs is kept small: the keys of the file, the screenings' item scores and the people the
file may share with the system (``Candidate``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.models import User
from cases import access
from cases.choices import CaseStatus, ClientCategory, UnitLevel
from cases.citizen_id import validate_citizen_id
from cases.models import AdministrativeUnit, Organisation
from core import normalize
from services.instruments import registry as instruments
from services.models import Modality, ServiceStatus, ServiceType
from services.models.victims import SHELTER_TYPE

from . import cells, selectors
from .format import (
    DOSES,
    EPISODES,
    ORGANISATION_SEPARATOR,
    PEOPLE_CASES,
    POST_REHAB,
    PRESCRIPTIONS,
    SCREENING_SCORES,
    SCREENINGS,
    SERVICES,
    SHELTER_STAYS,
    STATIC_CODES,
    CodeSource,
    Column,
    HeaderMatch,
    Sheet,
    Type,
    header_key,
)
from .keystore import KeyStore, Kind, TextMap
from .reading import is_blank

# The personal columns: rows with one person number must agree on them.
PERSON_COLUMNS = (
    "ho_ten",
    "ten_khac",
    "so_cccd",
    "so_cmnd",
    "gioi_tinh",
    "nam_sinh",
    "nam_sinh_uoc_tinh",
    "ngay_sinh",
    "dan_toc",
    "dien_thoai",
    "dia_chi",
    "lien_he_gia_dinh",
    "xa_cu_tru",
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (sheet, row, column) and why, in Vietnamese."""

    sheet: str  # the sheet's Vietnamese name (or the file's own name for an unknown sheet)
    row: int  # 0: the whole sheet or file
    column: str  # the column's Vietnamese header; "": the whole row
    message: str
    code: str
    outside_scope: bool = False


@dataclass(frozen=True)
class Candidate:
    """A person already in the system the file's person may be (the importer decides)."""

    person_key: str
    row: int
    person_id: str
    short_id: str
    reason: str  # "citizen_id", "name_year_commune" or "name_year"


class Keys:
    """The file's keys, kept between the passes (no personal data), in a temporary table
    of the import's own (``keystore.KeyStore``, D61), not in Python: memory stays flat
    whatever the file's length. Close it when the import ends."""

    def __init__(self) -> None:
        self.store = KeyStore()
        self.case_categories = TextMap(self.store, Kind.CASE)  # case number → category
        self.episodes = TextMap(self.store, Kind.EPISODE)  # episode number → modality
        self.screenings = TextMap(self.store, Kind.SCREENING)  # screening number → row
        # Person number → its candidate matches; only people someone matches.
        self.candidates: dict[str, list[Candidate]] = {}

    def close(self) -> None:
        self.store.close()

    def person_first(self, key: str, digest: bytes, row: int) -> tuple[bytes, int]:
        """Keep a person number's personal digest (8 bytes) and first row unless kept;
        return the kept ones."""
        kept = self.store.setdefault(Kind.PERSON, self.store.digest(key), digest + row.to_bytes(4))
        return kept[:8], int.from_bytes(kept[8:])

    def person_row(self, key: str) -> int:
        """Return the first row of a person number (0 if the file has none)."""
        return self.person_row_of(self.store.digest(key))

    def person_row_of(self, digest: bytes) -> int:
        """Return the first row of the person number of this stored digest (0: none)."""
        found = self.store.get(Kind.PERSON, digest)
        return int.from_bytes(found[8:]) if found is not None else 0

    def scores(self, screening: str) -> list[tuple[str, int, str]]:
        """Return a screening's item scores (item, score, level), in the file's order."""
        return self.store.scores(screening)


class Lookups:
    """The code lists of one import, resolved once each, in the importer's scope."""

    def __init__(self, actor: User, *, today: datetime.date) -> None:
        self.actor = actor
        self.today = today
        profile = access.profile_of(actor)
        # The province of the importer: a person's commune must lie in it (as in the form).
        self.province_path = (
            "/" + profile.scope_unit.path.split("/")[1] + "/" if profile is not None else None
        )
        self.own_organisations = {org.pk for org in access.case_organisations(actor)}
        self._units: dict[str, AdministrativeUnit | None] = {}
        self._organisations: dict[str, dict[str, Organisation]] = {}
        self._users: dict[str, User | None] = {}
        self.service_types = {st.code: st for st in ServiceType.objects.filter(is_active=True)}
        self.instruments = {
            f"{each.code} {each.version}": (each.code, each.version) for each in instruments.all()
        }
        self._static = {source: _variants(codes) for source, codes in STATIC_CODES.items()}

    def unit(self, code: str) -> AdministrativeUnit | None:
        if code not in self._units:
            self._units[code] = AdministrativeUnit.objects.filter(code=code, is_active=True).first()
        return self._units[code]

    def organisation(self, written: str) -> Organisation | None:
        unit_code, _sep, name = written.partition(ORGANISATION_SEPARATOR)
        unit_code = unit_code.strip()
        if unit_code not in self._organisations:
            self._organisations[unit_code] = {
                header_key(org.name): org
                for org in Organisation.objects.filter(
                    unit__code=unit_code, is_active=True
                ).select_related("type")
            }
        return self._organisations[unit_code].get(header_key(name))

    def user(self, username: str) -> User | None:
        if username not in self._users:
            self._users[username] = User.objects.filter(username=username, is_active=True).first()
        return self._users[username]

    def static(self, source: CodeSource, written: str) -> str | None:
        return self._static[source].get(header_key(written))


def _variants(codes: tuple[tuple[str, Any], ...]) -> dict[str, str]:
    """Map a code, its Vietnamese and its English label (compared as headers) to the code."""
    found: dict[str, str] = {}
    for language in ("en", "vi"):
        with translation.override(language):
            for code, label in codes:
                found[header_key(str(label))] = code
    for code, _label in codes:
        found[header_key(code)] = code
    return found


Report = Callable[[str, str, str], None]  # (column key, message, code)


class SheetChecker:
    """Read and check the rows of one sheet; problems go to ``problems``."""

    def __init__(
        self,
        sheet: Sheet,
        match: HeaderMatch,
        lookups: Lookups,
        keys: Keys,
        problems: list[Problem],
    ) -> None:
        self.sheet = sheet
        self.match = match
        self.lookups = lookups
        self.keys = keys
        self.problems = problems
        # A whole row's digest → its first row; per unique column set, the digest of the
        # row's values in it → its first row: in the key store (keyed digests of 128
        # bits, not the texts), one sheet at a time.
        self.seen = keys.store
        self.seen.clear(Kind.SEEN)

    def problem(self, row: int, column: str, message: str, code: str, **extra: Any) -> None:
        header = self.sheet.column(column).vi if column else ""
        self.problems.append(Problem(self.sheet.vi, row, header, message, code, **extra))

    def read(self, number: int, raw: list[Any]) -> dict[str, Any] | None:
        """Return the row's values by column key, or None if a cell could not be read."""
        before = len(self.problems)
        present = [
            (column, raw[position] if position < len(raw) else None)
            for position, column in enumerate(self.match.columns)
            if column is not None
        ]
        written = {column.key: cells.text(cell) for column, cell in present}
        if self._duplicates(number, written):
            return None  # a copy of an earlier row: its cells were reported there
        values: dict[str, Any] = {column.key: None for column in self.sheet.columns}
        for column, cell in present:
            if not written[column.key]:
                if column.required:
                    self.problem(number, column.key, "Ô này bắt buộc phải có.", "required")
                continue
            try:
                values[column.key] = self._value(column, cell, written[column.key], values)
            except cells.CellError as error:
                self.problem(number, column.key, error.message, error.code)
        if len(self.problems) > before:
            self._keep_key(written)
            return None
        return values

    def _keep_key(self, written: dict[str, str]) -> None:
        """Keep a refused row's key, so rows naming it are not refused a second time."""
        keys = self.keys
        if self.sheet is PEOPLE_CASES and written.get("ma_ho_so"):
            keys.case_categories.setdefault(written["ma_ho_so"], "")
        elif self.sheet is EPISODES and written.get("ma_dot"):
            keys.episodes.setdefault(written["ma_dot"], "")
        elif self.sheet is SCREENINGS and written.get("ma_sang_loc"):
            keys.screenings.setdefault(written["ma_sang_loc"], "0")

    def _value(self, column: Column, cell: Any, text: str, values: dict[str, Any]) -> Any:
        today = self.lookups.today
        match column.type:
            case Type.TEXT | Type.KEY | Type.PERSON | Type.REF:
                return text
            case Type.NAME:
                return cells.name(cell)
            case Type.DATE:
                future = today + datetime.timedelta(days=3660) if column.future else today
                return cells.date(cell, today=future)
            case Type.MONTH:
                return cells.month(cell, today=today)
            case Type.YEAR:
                return cells.year(cell, today=today)
            case Type.INTEGER:
                return cells.integer(cell)
            case Type.AMOUNT:
                return cells.amount(cell)
            case Type.DECIMAL:
                return cells.decimal(cell)
            case Type.BOOLEAN:
                return cells.boolean(cell)
            case Type.CITIZEN_ID:
                number = normalize.digits(text)
                if len(number) != 12 or number != text.replace(" ", ""):
                    raise cells.CellError(
                        f"Số CCCD “{text}” phải có đúng 12 chữ số.", "bad_citizen_id"
                    )
                return number
            case Type.OLD_ID:
                return cells.old_id(cell)
            case Type.PHONE:
                return cells.phone(cell)
            case Type.DOSE:
                return cells.dose(cell)
            case Type.USERNAME:
                user = self.lookups.user(text)
                if user is None:
                    raise cells.CellError(
                        f"Không có cán bộ nào có tên đăng nhập “{text}”.", "unknown_user"
                    )
                return user
            case Type.CODE:
                return self._code(column, text)
        raise AssertionError(column.type)  # pragma: no cover

    def _code(self, column: Column, text: str) -> Any:
        source = column.codes
        assert source is not None  # noqa: S101
        lookups = self.lookups
        found: Any
        if source is CodeSource.COMMUNE:
            found = lookups.unit(text)
            if found is None or found.level != UnitLevel.COMMUNE:
                raise cells.CellError(
                    f"Mã xã “{text}” không có trong danh mục đơn vị hành chính.",
                    "unknown_unit",
                )
            return found
        if source in (CodeSource.ORGANISATION, CodeSource.SHELTER):
            found = lookups.organisation(text)
            if found is None:
                raise cells.CellError(
                    f"Không có cơ quan “{text}”: ghi “mã đơn vị:tên cơ quan” như ở trang "
                    "Danh mục mã.",
                    "unknown_organisation",
                )
            if source is CodeSource.SHELTER and found.type.code != SHELTER_TYPE:
                raise cells.CellError(f"“{text}” không phải là một Nhà Nhân ái.", "not_shelter")
            return found
        if source is CodeSource.SERVICE_TYPE:
            found = lookups.service_types.get(text.strip().lower())
        elif source is CodeSource.INSTRUMENT:
            found = lookups.instruments.get(" ".join(text.lower().split()))
        else:
            found = lookups.static(source, text)
        if found is None:
            raise cells.CellError(
                f"Mã “{text}” không có trong danh mục “{column.vi}” (xem trang Danh mục mã).",
                "unknown_code",
            )
        return found

    def _duplicates(self, number: int, written: dict[str, str]) -> bool:
        """Report a row seen before (whole, or in its unique columns); True for a whole copy."""
        texts = [header_key(written.get(c.key, "")) for c in self.sheet.columns]
        first = self._first((), texts, number)
        if first != number:
            self.problem(number, "", f"Dòng này trùng hoàn toàn với dòng {first}.", "duplicate_row")
            return True
        for columns in self.sheet.unique:
            key = [header_key(written.get(c, "")) for c in columns]
            if not all(key):
                continue
            earlier = self._first(columns, key, number)
            if earlier != number:
                names = ", ".join(self.sheet.column(c).vi for c in columns)
                self.problem(
                    number,
                    columns[0],
                    f"Trùng với dòng {earlier} ({names}).",
                    "duplicate_row",
                )
        return False

    def _first(self, columns: tuple[str, ...], texts: list[str], number: int) -> int:
        """Return the first row whose cells in ``columns`` (all: none named) were ``texts``
        (this row's number if none was)."""
        digest = self.seen.digest("\x1e".join((self.sheet.key, *columns, "\x1d", *texts)))
        return int.from_bytes(self.seen.setdefault(Kind.SEEN, digest, number.to_bytes(4)))


def check_row(checker: SheetChecker, number: int, values: dict[str, Any]) -> None:
    """Check a read row against its own rules and the file's keys."""
    rule = _RULES.get(checker.sheet.key)
    if rule is not None:
        rule(checker, number, values)


def _end_after(
    checker: SheetChecker, number: int, values: dict[str, Any], start: str, end: str
) -> None:
    if values[start] and values[end] and values[end] < values[start]:
        sheet = checker.sheet
        checker.problem(
            number,
            end,
            f"“{sheet.column(end).vi}” ({values[end]:%d/%m/%Y}) trước “{sheet.column(start).vi}”"
            f" ({values[start]:%d/%m/%Y}).",
            "end_before_start",
        )


def _ended_iff_outcome(
    checker: SheetChecker, number: int, values: dict[str, Any], ongoing: str = "ongoing"
) -> None:
    if values["ket_qua"] == ongoing and values["ngay_ket_thuc"]:
        checker.problem(
            number, "ket_qua", "Đã có ngày kết thúc thì kết quả không thể là “đang tiếp tục”.",
            "outcome_open",
        )  # fmt: skip
    if values["ket_qua"] not in (None, ongoing) and not values["ngay_ket_thuc"]:
        checker.problem(number, "ngay_ket_thuc", "Ghi ngày kết thúc khi đã có kết quả.", "no_end")


def _case_ref(checker: SheetChecker, number: int, values: dict[str, Any]) -> str | None:
    category = checker.keys.case_categories.get(values["ma_ho_so"])
    if category is None:
        checker.problem(
            number,
            "ma_ho_so",
            f"Không có hồ sơ mã “{values['ma_ho_so']}” ở trang “{PEOPLE_CASES.vi}”.",
            "unknown_ref",
        )
    return category


def _episode_ref(checker: SheetChecker, number: int, values: dict[str, Any]) -> None:
    modality = checker.keys.episodes.get(values["ma_dot"])
    if modality is None:
        checker.problem(
            number,
            "ma_dot",
            f"Không có đợt điều trị mã “{values['ma_dot']}” ở trang “{EPISODES.vi}”.",
            "unknown_ref",
        )
    elif modality and modality != Modality.METHADONE:
        checker.problem(
            number, "ma_dot", "Đợt điều trị này không phải điều trị methadone.", "not_methadone"
        )


def _people_cases(checker: SheetChecker, number: int, values: dict[str, Any]) -> None:
    lookups = checker.lookups
    commune = values["xa_cu_tru"]
    if lookups.province_path is None or not commune.path.startswith(lookups.province_path):
        checker.problem(
            number,
            "xa_cu_tru",
            f"Xã “{commune.code}” nằm ngoài tỉnh bạn phụ trách: bạn không được nhập hồ sơ "
            "của người cư trú ở đó.",
            "outside_scope",
            outside_scope=True,
        )
    organisation = values["co_quan_quan_ly"]
    if organisation.pk not in lookups.own_organisations:
        checker.problem(
            number,
            "co_quan_quan_ly",
            f"Bạn chỉ được nhập hồ sơ do cơ quan mình quản lý, không phải “{organisation.name}”.",
            "outside_scope",
            outside_scope=True,
        )
    if values["so_cccd"]:
        try:
            validate_citizen_id(
                values["so_cccd"], sex=values["gioi_tinh"], birth_year=values["nam_sinh"]
            )
        except ValidationError as error:
            checker.problem(number, "so_cccd", _vi(error), "bad_citizen_id")
    born = values["ngay_sinh"]
    if born and born.year != values["nam_sinh"]:
        checker.problem(
            number, "ngay_sinh", f"Ngày sinh {born:%d/%m/%Y} không khớp năm sinh "
            f"{values['nam_sinh']}.", "birth_mismatch",
        )  # fmt: skip
    if values["ngay_mo"].year < values["nam_sinh"]:
        checker.problem(number, "ngay_mo", "Hồ sơ mở trước năm sinh.", "before_birth")
    _end_after(checker, number, values, "ngay_mo", "ngay_dong")
    if values["trang_thai"] == CaseStatus.CLOSED and not values["ngay_dong"]:
        checker.problem(number, "ngay_dong", "Hồ sơ đã đóng cần ngày đóng.", "no_end")
    if values["trang_thai"] != CaseStatus.CLOSED and values["ngay_dong"]:
        checker.problem(number, "ngay_dong", "Chỉ hồ sơ đã đóng mới có ngày đóng.", "end_but_open")
    _person_agrees(checker, number, values)
    checker.keys.case_categories[values["ma_ho_so"]] = values["doi_tuong"]


def _person_agrees(checker: SheetChecker, number: int, values: dict[str, Any]) -> None:
    personal = "\x1f".join(_plain(values[key]) for key in PERSON_COLUMNS)
    digest = checker.keys.store.digest(personal)[:8]  # keyed: nothing to guess from
    kept, first = checker.keys.person_first(values["ma_nguoi"], digest, number)
    if kept != digest:
        checker.problem(
            number,
            "ma_nguoi",
            f"Cùng mã người với dòng {first} nhưng thông tin cá nhân khác nhau.",
            "person_differs",
        )


def _plain(value: Any) -> str:
    if isinstance(value, AdministrativeUnit):
        return value.code
    return "" if value is None else str(value)


def _episodes(checker: SheetChecker, number: int, values: dict[str, Any]) -> None:
    category = _case_ref(checker, number, values)
    checker.keys.episodes[values["ma_dot"]] = values["hinh_thuc"]
    if category == ClientCategory.TRAFFICKING_VICTIM:
        checker.problem(
            number, "ma_ho_so", "Hồ sơ nạn nhân bị mua bán không có đợt điều trị.", "category"
        )
    _end_after(checker, number, values, "ngay_bat_dau", "ngay_ket_thuc")
    _end_after(checker, number, values, "ngay_bat_dau", "ngay_ket_thuc_du_kien")
    _ended_iff_outcome(checker, number, values)
    residential = values["hinh_thuc"] in (
        Modality.FACILITY_VOLUNTARY,
        Modality.FACILITY_COMPULSORY,
    )
    for stage in range(1, 6):
        start, end = f"giai_doan_{stage}_bat_dau", f"giai_doan_{stage}_ket_thuc"
        if (values[start] or values[end]) and not residential:
            checker.problem(
                number, start, "Chỉ cai nghiện tại cơ sở mới ghi giai đoạn.", "stage_not_facility"
            )
        if values[end] and not values[start]:
            checker.problem(
                number, start, "Giai đoạn có ngày kết thúc cần ngày bắt đầu.", "required"
            )
        _end_after(checker, number, values, start, end)


def _screenings(checker: SheetChecker, number: int, values: dict[str, Any]) -> None:
    _case_ref(checker, number, values)
    checker.keys.screenings[values["ma_sang_loc"]] = str(number)
    if values["tiem_chich"] and values["cong_cu"][0] != "assist":
        checker.problem(
            number, "tiem_chich", "Câu tiêm chích chỉ có ở công cụ ASSIST.", "injecting_not_assist"
        )


def _scores(checker: SheetChecker, number: int, values: dict[str, Any]) -> None:
    key = values["ma_sang_loc"]
    if key not in checker.keys.screenings:
        checker.problem(
            number,
            "ma_sang_loc",
            f"Không có lần sàng lọc mã “{key}” ở trang “{SCREENINGS.vi}”.",
            "unknown_ref",
        )
        return
    checker.keys.store.score_add(key, number, values["muc"], values["diem"], values["muc_do"])


def _services(checker: SheetChecker, number: int, values: dict[str, Any]) -> None:
    _case_ref(checker, number, values)
    if values["trang_thai"] == ServiceStatus.PLANNED and not values["ngay_hen"]:
        checker.problem(number, "ngay_hen", "Dịch vụ đã hẹn cần ngày hẹn.", "required")
    if values["trang_thai"] == ServiceStatus.DELIVERED and not values["ngay_cung_cap"]:
        checker.problem(
            number, "ngay_cung_cap", "Dịch vụ đã cung cấp cần ngày cung cấp.", "required"
        )
    if values["ngay_cung_cap"] and values["ngay_cung_cap"] > checker.lookups.today:
        checker.problem(number, "ngay_cung_cap", "Ngày cung cấp ở tương lai.", "future")


def _shelter(checker: SheetChecker, number: int, values: dict[str, Any]) -> None:
    _case_ref(checker, number, values)
    _end_after(checker, number, values, "ngay_vao", "ngay_ra")


def _post_rehab(checker: SheetChecker, number: int, values: dict[str, Any]) -> None:
    _case_ref(checker, number, values)
    _end_after(checker, number, values, "ngay_bat_dau", "ngay_ket_thuc")
    _end_after(checker, number, values, "ngay_bat_dau", "ngay_ket_thuc_du_kien")
    _ended_iff_outcome(checker, number, values)


def _prescriptions(checker: SheetChecker, number: int, values: dict[str, Any]) -> None:
    _episode_ref(checker, number, values)


def _doses(checker: SheetChecker, number: int, values: dict[str, Any]) -> None:
    _episode_ref(checker, number, values)
    first: datetime.date = values["thang"]
    for day in range(1, 32):
        if values[f"ngay_{day}"] is None:
            continue
        try:
            on = first.replace(day=day)
        except ValueError:
            checker.problem(
                number, f"ngay_{day}", f"Tháng {first:%m/%Y} không có ngày {day}.", "no_such_day"
            )
            continue
        if on > checker.lookups.today:
            checker.problem(
                number, f"ngay_{day}", f"Ngày {on:%d/%m/%Y} là ngày trong tương lai.", "future"
            )


_RULES: dict[str, Callable[[SheetChecker, int, dict[str, Any]], None]] = {
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


def _vi(error: ValidationError) -> str:
    with translation.override("vi"):
        return " ".join(str(message) for message in error.messages)


def rows_of(
    checker: SheetChecker, rows: Iterator[tuple[int, list[Any]]]
) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """Yield (row number, values or None) of a sheet's rows after the header, checked."""
    for number, raw in rows:
        if is_blank(raw):
            continue
        values = checker.read(number, raw)
        if values is not None:
            before = len(checker.problems)
            check_row(checker, number, values)
            if len(checker.problems) > before:
                values = None
        yield number, values


def find_candidates(
    actor: User, entries: list[tuple[str, int, dict[str, Any]]]
) -> dict[str, list[Candidate]]:
    """Return, per person number, the people the importer may see whom that person may be.

    By citizen ID (its blind index, then the number itself), else by the name folded with
    and without diacritics, the year of birth and the sex (the rules of
    ``possible_duplicates``, the check the registration action refuses on), those of the
    same commune marked. ``entries`` are (person number, row, checked values), looked up a
    batch at a time (``selectors.candidate_people``).
    """
    rows = {key: number for key, number, _v in entries}
    found = selectors.candidate_people(
        viewer=actor, entries=[(key, values) for key, _n, values in entries]
    )
    return {
        key: [Candidate(key, rows[key], str(p.pk), p.short_id, why) for p, why in people]
        for key, people in found.items()
        if people  # most people of a file have none: no entry (memory at 100,000 rows)
    }
