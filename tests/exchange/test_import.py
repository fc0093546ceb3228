"""Taking in an exchange document (docs/exchange.md): once, later versions, and every
refusal writing nothing but its event. The second instance itself: test_second_instance.py.

These tests take a document of this database's own person in again as if from another
instance (``support.elsewhere``: another identity, re-signed), sent to clinic B's district,
where tuan imports it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import translation

from audit.models import Event as AccessEvent
from cases import timeline
from cases.models import Case, Person
from exchange import actions, signing
from exchange.models import ExchangeLink, ReceivedRecord
from tests.conftest import World
from tests.exchange.support import SOURCE, add_records, as_source, elsewhere, exported, raw

pytestmark = pytest.mark.django_db


def _document(world: World, person: Person, settings: Any, **kwargs: Any) -> dict[str, Any]:
    as_source(settings)
    add_records(world, person)
    return elsewhere(exported(world, person), **kwargs)


def _taken_in(world: World, document: dict[str, Any], **kwargs: Any) -> actions.ImportResult:
    return actions.document_import(actor=world.users["tuan"], raw=raw(document), **kwargs)


def _written() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Case.objects.count(),
        ReceivedRecord.objects.count(),
        ExchangeLink.objects.count(),
        Person.history.count(),
        Case.history.count(),
        ReceivedRecord.history.count(),
    )


def test_a_document_is_taken_in_with_history_naming_the_exchange(
    world: World, lan_person: Person, settings: Any
) -> None:
    document = _document(world, lan_person, settings)
    result = _taken_in(world, document)
    assert (result.created, result.updated, result.unchanged) == (1 + 1 + 4, 0, 0)
    assert result.person_id is not None
    person = Person.objects.get(pk=result.person_id)
    assert person.full_name == "Phạm Thị Dung"
    assert person.residence_commune.code == "98201"  # the transfer's commune
    assert person.registered_by == world.orgs["clinic_b"]
    case = Case.objects.get(person=person)
    assert case.organisation == world.orgs["clinic_b"]
    kinds = sorted(ReceivedRecord.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["episode", "referral", "screening", "service"]
    screening = ReceivedRecord.objects.get(case=case, kind="screening")
    assert json.loads(screening.data)["level"] == "high"
    reason = f"exchange:{SOURCE}"
    assert person.history.get().history_request_id == reason
    assert case.history.get().history_request_id == reason
    assert screening.history.get().history_request_id == reason
    shown = timeline.for_case(viewer=world.users["tuan"], case=case)
    with translation.override("en"):
        titles = sorted(str(e.title) for e in shown if str(e.kind) == "Received record")
    assert titles == [
        f"Referral ({SOURCE})",
        f"Screening ({SOURCE})",
        f"Service ({SOURCE})",
        f"Treatment episode ({SOURCE})",
    ]
    assert not [e for e in timeline.for_case(viewer=world.users["lan"], case=case)]
    event = AccessEvent.objects.get(action="exchange_imported")
    assert event.person_id == person.pk
    assert event.detail["source"] == SOURCE
    assert event.detail["document"] == document["document_id"]
    assert event.request_id == reason


def test_a_second_pull_of_the_same_document_changes_nothing(
    world: World, lan_person: Person, settings: Any
) -> None:
    document = _document(world, lan_person, settings)
    _taken_in(world, document)
    before = _written()
    again = _taken_in(world, elsewhere(exported(world, lan_person)))  # a new document id
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    assert _written() == before
    assert AccessEvent.objects.filter(action="exchange_imported").count() == 1


def test_a_later_version_at_the_source_updates_the_same_rows_but_not_the_case_status(
    world: World, lan_person: Person, settings: Any
) -> None:
    document = _document(world, lan_person, settings)
    first = _taken_in(world, document)
    later = json.loads(json.dumps(document))
    later["person"]["version"] += 1
    later["person"]["identity"]["phone"] = "0912000222"
    case = later["cases"][0]
    case["version"] += 1
    case["status"] = "closed"
    case["closed_on"] = "2026-11-30"
    episode = case["episodes"][0]
    episode.update(version=episode["version"] + 1, ended_on="2026-11-29", outcome="completed")
    result = _taken_in(world, signing.sign(later))
    assert (result.created, result.updated) == (0, 3)
    assert result.person_id == first.person_id
    assert first.person_id is not None
    person = Person.objects.get(pk=first.person_id)
    assert person.phone == "0912000222"
    # The case's own closure workflow closes it here, never a plain edit (D45).
    assert Case.objects.get(person=person).status == "open"
    received = ReceivedRecord.objects.get(kind="episode")
    assert json.loads(received.data)["outcome"] == "completed"
    assert Person.objects.count() == 2  # the original and the one taken in, no third


def test_a_dry_run_counts_and_writes_nothing(
    world: World, lan_person: Person, settings: Any
) -> None:
    document = _document(world, lan_person, settings)
    before = _written()
    result = _taken_in(world, document, dry_run=True)
    assert result.dry_run and result.created == 6
    assert _written() == before


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["person"]["identity"].update(full_name="Người Khác"),
        lambda d: d["cases"][0]["screenings"][0].update(level="low"),
        lambda d: d.update(transfer={"to_commune": "98202", "moved_on": "2026-11-20"}),
    ],
    ids=["identity", "record", "transfer"],
)
def test_a_tampered_document_is_refused_writes_nothing_and_is_logged(
    world: World, lan_person: Person, settings: Any, change: Any
) -> None:
    """ASVS 2.2.1 (input validated), 16.3.2 (refusals logged): one field changed after the
    source signed the document."""
    document = _document(world, lan_person, settings)
    change(document)
    before = _written()
    with pytest.raises(actions.ExchangeRefusedError) as refused:
        _taken_in(world, document)
    assert refused.value.code == "bad_signature"
    assert "signature does not match" in refused.value.message
    assert _written() == before
    event = AccessEvent.objects.get(action="exchange_refused")
    assert event.detail["reason"] == "bad_signature"


def test_a_document_from_an_untrusted_source_is_refused(
    world: World, lan_person: Person, settings: Any
) -> None:
    """ASVS 2.2.1, 16.3.2: a well-signed document from an instance not listed as trusted."""
    document = _document(world, lan_person, settings)
    settings.EXCHANGE_TRUSTED = {}
    with pytest.raises(actions.ExchangeRefusedError) as refused:
        _taken_in(world, document)
    assert refused.value.code == "unknown_source"
    assert not ExchangeLink.objects.exists()
    assert AccessEvent.objects.filter(action="exchange_refused").exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["person"].update(residence_commune="not-a-code"),
        lambda d: d["person"].update(nickname="extra field"),
        lambda d: d["person"]["identity"].update(full_name="NUL\x00byte"),
        lambda d: d.update(format_version=2),
        lambda d: d["cases"][0].pop("screenings"),
    ],
    ids=["code", "extra", "nul", "version", "missing"],
)
def test_a_schema_invalid_document_is_refused_with_the_field_named(
    world: World, lan_person: Person, settings: Any, change: Any
) -> None:
    """ASVS 2.2.1 (input validated against an allowlist), 16.3.2: signed by a trusted source
    and still refused when it does not fit the schema; nothing written."""
    document = _document(world, lan_person, settings)
    change(document)
    before = _written()
    with pytest.raises(actions.ExchangeRefusedError) as refused:
        _taken_in(world, signing.sign(document))
    assert refused.value.code == "invalid"
    assert "does not fit the exchange schema" in refused.value.message
    assert _written() == before
    assert AccessEvent.objects.get(action="exchange_refused").detail["reason"] == "invalid"


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b"\xff\xfe"])
def test_bytes_that_are_no_document_are_refused(world: World, body: bytes) -> None:
    with pytest.raises(actions.ExchangeRefusedError) as refused:
        actions.document_import(actor=world.users["tuan"], raw=body)
    assert refused.value.code in {"not_json", "invalid"}
    assert AccessEvent.objects.filter(action="exchange_refused").exists()


def test_a_document_for_a_commune_outside_the_importers_scope_is_refused_and_logged(
    world: World, lan_person: Person, settings: Any
) -> None:
    """ASVS 8.2.2 (data-level access), 16.3.2: tuan (district 982) is sent a person for
    commune 98102 (district 981): refused, a denial naming the commune, nothing written."""
    document = _document(world, lan_person, settings, to_commune="98102")
    before = _written()
    with pytest.raises(actions.ExchangeRefusedError) as refused:
        _taken_in(world, document)
    assert refused.value.code == "out_of_scope"
    assert "98102" in refused.value.message
    assert _written() == before
    denial = AccessEvent.objects.get(action="denied", actor=world.users["tuan"])
    assert denial.detail["commune"] == "98102"
    assert denial.detail["perm"] == "exchange_import" or "exchange_import" in str(denial.detail)


def test_a_document_without_the_identity_is_refused(
    world: World, lan_person: Person, settings: Any
) -> None:
    document = _document(world, lan_person, settings)
    document["person"]["identity"] = None
    with pytest.raises(actions.ExchangeRefusedError) as refused:
        _taken_in(world, signing.sign(document))
    assert refused.value.code == "identity_withheld"
    assert not ExchangeLink.objects.exists()


def test_a_person_already_on_file_is_refused_not_duplicated(
    world: World, lan_person: Person, settings: Any
) -> None:
    """ASVS 2.1.1 (one person, one citizen ID): the original's own document, sent to clinic
    B's district, names a citizen ID this database holds."""
    as_source(settings)
    document = exported(world, lan_person)
    document["transfer"] = {"to_commune": "98201", "moved_on": "2026-11-20"}
    before = _written()
    with pytest.raises(actions.ExchangeRefusedError) as refused:
        _taken_in(world, signing.sign(document))
    assert refused.value.code == "possible_duplicate"
    assert _written() == before
