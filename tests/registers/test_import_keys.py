"""The import's file keys live in a temporary table of its own, not in Python (issue 27,
D61): memory stays flat whatever the file's length, and nothing the office typed is kept
as written.

lan (caseworker at clinic A) imports.
"""

from __future__ import annotations

import datetime
import tracemalloc
import uuid
from pathlib import Path

from registers import actions as import_actions
from registers.checking import Keys
from registers.keystore import IdMap, KeyStore, Kind, WrittenIds
from tests.conftest import World
from tests.registers.import_files import csv_zip
from tests.registers.test_import import TODAY, person_row, run


def _people(count: int) -> dict[str, list[dict[str, object]]]:
    rows = [
        person_row(ma_nguoi=f"NG{n:06d}", ma_ho_so=f"HS{n:06d}", so_cccd="", ho_ten=f"Lê Văn {n}")
        for n in range(1, count + 1)
    ]
    # One bad row at the end: the check reads every row, and nothing is written.
    rows.append(person_row(ma_nguoi="X", ma_ho_so="X", gioi_tinh="?"))
    return {"nguoi_ho_so": rows}


def test_checking_a_longer_file_does_not_grow_the_python_heap(world: World, tmp_path: Path) -> None:
    """The first pass keeps each row's keys (person number, case number, the row's digest
    for duplicate rows): in dictionaries they grew the heap by about 0.45 KB a row (37 MB
    at 100,000 rows, D54); in the key store, by nothing the row count shows."""
    path = csv_zip(tmp_path / "so.zip", _people(2_000))
    heap: dict[int, int] = {}

    def progress(_sheet: str, done: int) -> None:
        if done <= 2_001:  # the check's own reports
            heap[done] = tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        outcome = run(world, path, dry_run=True, progress=progress)
    finally:
        tracemalloc.stop()
    assert {p.code for p in outcome.problems} == {"unknown_code"}
    # Rows 1,000 and 2,000: the candidates' look-up has just taken its batch of 500
    # people at both (so neither holds a half batch's rows).
    grown = heap[2_000] - heap[1_000]
    # 1,000 rows more: about 500 KB in dictionaries; the store's pages are SQLite's own
    # (a 2 MB cache, then its file), outside the Python heap.
    assert grown < 100_000, f"{grown} bytes for 1,000 rows"


def test_the_key_store_holds_nothing_the_office_typed(world: World, tmp_path: Path) -> None:
    """A person number may be a citizen ID, a case number a name: the store keeps keyed
    digests of the keys (a secret per import, in memory only), never their text, since its
    pages may be spilled to a temporary file."""
    sheets = {
        "nguoi_ho_so": [
            person_row(ma_nguoi="001090000011", ma_ho_so="Hồ sơ Nguyễn Văn An"),
        ],
        "sang_loc": [
            {"ma_sang_loc": "SL-An", "ma_ho_so": "Hồ sơ Nguyễn Văn An", "cong_cu": "assist 3.0",
             "ngay_sang_loc": "01/12/2026", "diem": 12, "ket_qua": "trung bình"},
        ],
        "diem_sang_loc": [
            {"ma_sang_loc": "SL-An", "muc": "cannabis", "diem": 12, "muc_do": "moderate"},
        ],
    }  # fmt: skip
    path = csv_zip(tmp_path / "so.zip", sheets)
    keys = Keys()
    outcome = import_actions.ImportOutcome(sha256="", dry_run=True)
    try:
        import_actions._check(world.users["lan"], path, outcome, keys, TODAY, None)
        assert outcome.problems == []
        stored = repr(keys.store.dump()).encode()
        assert keys.person_row("001090000011") == 2
        assert keys.case_categories.get("Hồ sơ Nguyễn Văn An") == "addiction"
        assert keys.scores("SL-An") == [("cannabis", 12, "moderate")]
    finally:
        keys.close()
    for typed in ("001090000011", "Hồ sơ Nguyễn Văn An", "SL-An", "Nguyễn"):
        assert typed.encode() not in stored
        assert typed.encode("unicode_escape") not in stored
    # Another import's secret gives other digests: a digest says nothing across imports.
    one, other = KeyStore(), KeyStore()
    assert one.digest("001090000011") != other.digest("001090000011")
    one.close()
    other.close()


def test_the_ids_given_are_read_back_both_ways() -> None:
    """The second pass's maps: a key's id back as a UUID, and whether an id is one of the
    people this import wrote (for ``different_from`` and the check before commit)."""
    store = KeyStore()
    try:
        people = IdMap(store, Kind.PERSON_ID, written=Kind.WRITTEN_PERSON)
        cases = IdMap(store, Kind.CASE_ID)
        first, second, stranger = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        people["1"] = first
        people.update({"2": second})
        cases["1"] = stranger  # another kind: the same key is another entry
        assert people["1"] == first and people.get("2") == second and people.get("3") is None
        assert "1" in people and "3" not in people and len(people) == 2 and len(cases) == 1
        assert set(people.ids()) == {first, second}
        assert people.wrote(first) and not people.wrote(stranger)
        assert people.key_of(first) == store.digest("1")
        shown = WrittenIds(people, [str(stranger)])
        assert str(first) in shown and str(stranger) in shown
        assert str(uuid.uuid4()) not in shown and "not an id" not in shown
        assert len(shown) == 3 and set(shown) == {str(first), str(second), str(stranger)}
    finally:
        store.close()


def test_a_row_repeated_far_down_the_file_is_still_reported(world: World, tmp_path: Path) -> None:
    """Duplicate rows are found through the store's digests, whole or by unique column."""
    rows = _people(5)["nguoi_ho_so"][:-1]
    sheets = {"nguoi_ho_so": rows}
    rows.append(dict(rows[1]))  # row 3 again, as row 7
    rows.append(person_row(ma_nguoi="NG9", ma_ho_so=rows[2]["ma_ho_so"], ho_ten="Lê Thị Chín"))
    path = csv_zip(tmp_path / "so.zip", sheets)
    outcome = run(world, path, dry_run=True, today=datetime.date(2026, 12, 6))
    assert {(p.row, p.code) for p in outcome.problems} == {
        (7, "duplicate_row"),
        (8, "duplicate_row"),
    }
