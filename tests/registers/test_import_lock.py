"""A register import and registrations through the form at the same time (issue 27, D54;
PostgreSQL): the form is not held up for the whole import, and a citizen ID number
registered by both is still refused to one of them.

lan imports (clinic A); mai, lan's teammate, registers people through the form meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from cases.models import Person
from registers import bulk
from registers.actions import ImportOutcome
from tests.conftest import World
from tests.registers.import_files import xlsx
from tests.registers.test_import import person_row, run

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the import's locks are PostgreSQL's"
    ),
]

IMPORTED = "001090000011"  # the number of the file's person (person_row)


def form_data(world: World, citizen_id: str, name: str) -> dict[str, str]:
    return {
        "full_name": name,
        "citizen_id": citizen_id,
        "sex": "M",
        "birth_year": "1990",
        "ethnicity": "01",
        "residence_commune": str(world.units["c1"].pk),
    }


class PausedImport:
    """An import run in a thread of its own, stopped after its people are written (its
    transaction open) until ``go``."""

    def __init__(self, world: World, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.written = threading.Event()
        self.release = threading.Event()
        self.outcome: list[ImportOutcome | BaseException] = []
        people_cases = bulk.people_cases

        def pause_after(**kwargs: Any) -> None:
            people_cases(**kwargs)
            self.written.set()
            self.release.wait(timeout=60)

        monkeypatch.setattr(bulk, "people_cases", pause_after)

        def work() -> None:
            try:
                self.outcome.append(run(world, path))
            except BaseException as error:  # reported by the test
                self.outcome.append(error)
            finally:
                connection.close()

        self.thread = threading.Thread(target=work)

    def __enter__(self) -> PausedImport:
        self.thread.start()
        assert self.written.wait(timeout=60), "the import did not reach its people"
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(timeout=60)

    def finish(self) -> ImportOutcome:
        self.release.set()
        self.thread.join(timeout=60)
        [outcome] = self.outcome
        assert isinstance(outcome, ImportOutcome), outcome
        return outcome


@pytest.fixture
def no_waiting() -> Iterator[None]:
    """Make a registration that waits for a lock fail after 5 s instead of hanging."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '5s'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = 0")


def test_a_registration_through_the_form_goes_through_while_an_import_writes(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_waiting: None
) -> None:
    """Regression (D44 held the registrations' lock exclusively until the import committed,
    so the form waited for the whole import): mai registers a person with a citizen ID
    while lan's import has written its people and not committed."""
    path = xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": [person_row(can_bo_phu_trach="")]})
    with PausedImport(world, path, monkeypatch) as paused:
        response = world.client("mai").post(
            reverse("cases:person_create"), form_data(world, "001090000022", "Đỗ Văn Ba")
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        outcome = paused.finish()
    assert outcome.committed and outcome.problems == []
    assert Person.objects.count() == 2


def test_a_number_registered_through_the_form_meanwhile_is_refused_to_the_import(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_waiting: None
) -> None:
    """ASVS 2.1.1 (business logic: one person, one citizen ID): mai registers, through the
    form, the number lan's import has written but not committed; the import checks its
    numbers again before committing and refuses that row, so nothing of it is written
    and the number has one holder."""
    path = xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": [person_row(can_bo_phu_trach="")]})
    with PausedImport(world, path, monkeypatch) as paused:
        response = world.client("mai").post(
            reverse("cases:person_create"), form_data(world, IMPORTED, "Nguyễn Văn Khác")
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        outcome = paused.finish()
    assert not outcome.committed
    assert [(p.row, p.column, p.code) for p in outcome.problems] == [
        (2, "Số CCCD", "citizen_id_taken")
    ]
    holders = [p for p in Person.objects.all() if p.citizen_id == IMPORTED]
    assert [p.full_name for p in holders] == ["Nguyễn Văn Khác"]
