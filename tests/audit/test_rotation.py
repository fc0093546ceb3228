"""Key rotation: every value moves to the newest key, history included, and resumes."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from audit import chain, rotation
from audit.choices import AuditAction
from audit.models import Event, Link
from cases.actions import emergency_access_grant
from cases.models import Case, Person
from core import crypto
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
            full_name=f"Người Thử {n}",
            residence_commune=world.units["c1"],
            registered_by=world.orgs["clinic_a"],
        )
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
        assert {kid for fields in usage.values() for c in fields.values() for kid in c} == {"k2026"}
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
            rotation.rotate(by="test", batch_size=2, on_progress=stop_after_first_batch)
        partial = _totals(rotation.count_by_key())
        assert 0 < partial["k2026"] <= 2 * 4  # one batch of two rows, at most 4 values each
        assert partial["demo1"] > 0
        rotation.rotate(by="test", batch_size=2)
        after = _totals(rotation.count_by_key())
        assert set(after) == {"k2026"}
        assert after["k2026"] == partial["k2026"] + partial["demo1"]
    assert seen == [2]


def _totals(usage: dict[str, dict[str, dict[str, int]]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for fields in usage.values():
        for counts in fields.values():
            for kid, n in counts.items():
                totals[kid] = totals.get(kid, 0) + n
    return totals


# ── The breach runbook, step 2, on PostgreSQL ─────────────────────────────────────────────


def _read_every_encrypted_value() -> dict[tuple[str, str, str], str]:
    """Decrypt every encrypted value of every model, history and audit tables included."""
    values: dict[tuple[str, str, str], str] = {}
    for model, fields in rotation.encrypted_models():
        for row in model._default_manager.all():
            for field in fields:
                values[model._meta.label, str(row.pk), field.name] = getattr(row, field.attname)
    return values


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs the append-only triggers of PostgreSQL"
)
def test_runbook_rotation_with_emergency_reasons_keeps_the_chain_and_retires_the_old_key(
    world: World, lan_person: Person
) -> None:
    """ASVS 11.2.2: a leaked key can be retired; rotation keeps the audit chain intact.

    An emergency access writes an encrypted reason into the append-only event table; the
    rotation must still finish, the chain must still verify, and afterwards nothing needs
    the old key: every person, case, history row and event reads with the new key alone.
    """
    _make_people(world, 3)
    emergency_access_grant(
        actor=world.users["tuan"],
        person=lan_person,
        reason="Người bệnh chuyển viện cấp cứu, cần xem phác đồ",
    )
    before = _read_every_encrypted_value()
    assert Event.objects.exclude(reason=None).exists()
    assert {label for label, _, _ in before} >= {"audit.Event", "cases.HistoricalPerson"}

    out = io.StringIO()
    with override_settings(ENCRYPTION_KEY_RING=_ring(f"{NEW},{OLD}")):
        call_command("rotate_encryption_keys", "--batch-size", "2", stdout=out)
        report = out.getvalue()
        assert "older keys can be removed" in report
        # Every table and field is named, append-only ones included.
        for name in ("audit.Event.reason", "cases.HistoricalPerson.full_name", "cases.Case.notes"):
            assert name in report
        verified = io.StringIO()
        call_command("verify_audit_chain", stdout=verified)
        assert "audit chain intact" in verified.getvalue()

    with override_settings(ENCRYPTION_KEY_RING=_ring(NEW)):
        after = _read_every_encrypted_value()  # raises if any value still needs the old key
        assert {key: after[key] for key in before} == before
        assert chain.verify().ok
        usage = rotation.count_by_key()
        assert {kid for fields in usage.values() for c in fields.values() for kid in c} == {"k2026"}
    # The re-encryption of append-only rows is itself on the record.
    rekeyed = Event.objects.filter(action=AuditAction.REKEYED)
    assert {e.detail["table"] for e in rekeyed} >= {"audit_event", "cases_historicalperson"}
    assert all(e.detail["key"] == "k2026" and e.actor_id is None for e in rekeyed)


def test_status_names_every_field_that_still_needs_an_old_key(
    world: World, lan_person: Person
) -> None:
    """ASVS 11.2.2: before rotation, the report says which key each field still needs."""
    emergency_access_grant(
        actor=world.users["tuan"],
        person=lan_person,
        reason="Người bệnh chuyển viện cấp cứu, cần xem phác đồ",
    )
    out = io.StringIO()
    with override_settings(ENCRYPTION_KEY_RING=_ring(f"{NEW},{OLD}")):
        call_command("rotate_encryption_keys", "--status", stdout=out)
    report = out.getvalue()
    assert "Re-encrypting" not in report
    (needed,) = [line for line in report.splitlines() if line.startswith("Key ")]
    assert needed.startswith("Key 'demo1' is still needed for: ")
    for name in ("audit.Event.reason (1)", "cases.Person.full_name (1)", "cases.Case.notes (1)"):
        assert name in needed
    assert "cases.HistoricalPerson.full_name" in needed
    assert "can be removed" not in report


def test_verify_names_a_reason_whose_key_left_the_ring(world: World, lan_person: Person) -> None:
    """Dropping a key before rotating is reported as a missing key, not as tampering."""
    emergency_access_grant(
        actor=world.users["tuan"],
        person=lan_person,
        reason="Người bệnh chuyển viện cấp cứu, cần xem phác đồ",
    )
    chain.sequence()
    (event,) = Event.objects.exclude(reason=None)
    with override_settings(ENCRYPTION_KEY_RING=_ring(NEW)):
        verdict = chain.verify()
    assert verdict.first_break is not None
    position = Link.objects.get(event=event).position
    assert (verdict.first_break.seq, verdict.first_break.kind) == (position, "key")
    assert "'demo1'" in verdict.first_break.message
    assert chain.verify().ok
