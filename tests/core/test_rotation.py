"""Key rotation: every value moves to the newest key, history included, and resumes."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from cases.models import Case, Person
from core import crypto, rotation
from tests.conftest import World
from tests.factories import make_case, make_person

OLD = "demo1:yUdNYrEX7GbfHDXwSucoWxMcYO0Ro1dFfHP1T8KvP7A"
NEW = "k2026:HiayEgUtYGWiMrEIJbQiyf569zLOrxh-ClK_xPRJNoA"


def _ring(value: str) -> crypto.KeyRing:
    return crypto.parse_key_ring("test", value)


def _make_people(world: World, count: int) -> list[Person]:
    people = []
    for n in range(count):
        person = make_person(
            full_name=f"Người Thử {n}", residence_commune=world.units["c1"],
            registered_by=world.orgs["clinic_a"],
        )  # fmt: skip
        make_case(person=person, organisation=world.orgs["clinic_a"], notes=f"ghi chú {n}")
        person.address = f"Địa chỉ mới {n}"
        person.save()
        people.append(person)
    return people


def _everything_readable() -> list[str]:
    values = [p.full_name + p.address + p.citizen_id for p in Person.objects.all()]
    values += [h.full_name + h.address for h in Person.history.all()]
    values += [c.notes for c in Case.objects.all()] + [h.notes for h in Case.history.all()]
    return values


def test_rotation_then_old_key_can_be_removed(world: World) -> None:
    _make_people(world, 5)
    before = sorted(_everything_readable())
    out = io.StringIO()
    with override_settings(ENCRYPTION_KEY_RING=_ring(f"{NEW},{OLD}")):
        call_command("rotate_encryption_keys", "--batch-size", "2", stdout=out)
    assert "older keys can be removed" in out.getvalue()
    assert "cases.HistoricalPerson" in out.getvalue()
    with override_settings(ENCRYPTION_KEY_RING=_ring(NEW)):
        assert sorted(_everything_readable()) == before
        usage = rotation.count_by_key()
        assert {kid for counts in usage.values() for kid in counts} == {"k2026"}
    # And without the new key nothing decrypts any more: the data really moved.
    with override_settings(ENCRYPTION_KEY_RING=_ring(OLD)), pytest.raises(crypto.DecryptionError):
        _everything_readable()


class Interrupted(Exception):
    pass


def test_rotation_resumes_after_interruption(world: World) -> None:
    _make_people(world, 6)
    seen: list[int] = []

    def stop_after_first_batch(progress: rotation.Progress) -> None:
        seen.append(progress.done)
        raise Interrupted

    with override_settings(ENCRYPTION_KEY_RING=_ring(f"{NEW},{OLD}")):
        with pytest.raises(Interrupted):
            rotation.rotate(batch_size=2, on_progress=stop_after_first_batch)
        partial = _totals(rotation.count_by_key())
        assert 0 < partial["k2026"] <= 2 * 4  # one batch of two rows, at most 4 values each
        assert partial["demo1"] > 0
        rotation.rotate(batch_size=2)
        after = _totals(rotation.count_by_key())
        assert set(after) == {"k2026"}
        assert after["k2026"] == partial["k2026"] + partial["demo1"]
    assert seen == [2]


def _totals(usage: dict[str, dict[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for counts in usage.values():
        for kid, n in counts.items():
            totals[kid] = totals.get(kid, 0) + n
    return totals
