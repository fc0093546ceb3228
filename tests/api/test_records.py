"""The record kinds in the API (D58): every kind's list, read, and writes where the pages
allow them, through ``cases.access`` and the pages' own forms and actions.

ASVS 8.2.2 (data-level access through the owning case), 8.3.1 (server-side enforcement),
16.2.1 (each read and denial logged naming the person), 2.3.1 (business logic in order: the
dosing page's safety rules apply unchanged).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from api import records as api_records
from audit.models import Event
from cases import records
from cases.events import CaseAction
from cases.models import Case, Person
from services.methadone.events import MethadoneAction
from services.methadone.models import Dose, DoseKind, Prescription
from services.models import ServiceRecord, ServiceType, TreatmentEpisode
from tests.api.support import call, make_client
from tests.conftest import World
from tests.exampleapp.models import CaseNote
from tests.factories import make_case
from tests.methadone.support import days_ago, methadone_episode


def _denials(user_id: int, object_id: Any) -> int:
    return Event.objects.filter(
        action=CaseAction.DENIED, actor_id=user_id, object_id=str(object_id)
    ).count()


@pytest.fixture
def caseworker(world: World) -> tuple[Any, str]:
    """Clinic A's machine client (as mai: clinic A, district 1)."""
    return make_client(world, name="bo-records", rate=1_000_000)


def _episode(world: World, case: Case, **fields: Any) -> TreatmentEpisode:
    values: dict[str, Any] = {
        "modality": "facility_voluntary",
        "provider": world.orgs["clinic_a"],
        "started_on": datetime.date(2026, 11, 1),
    }
    return TreatmentEpisode.objects.create(
        case=case, recorded_by=world.users["lan"], **(values | fields)
    )


# --- the recipe: endpoints from the registration alone ------------------------------------


def test_every_recipe_type_with_an_api_spec_is_a_kind_and_the_example_app_is_one() -> None:
    """A type registered through the recipe with ``api=`` is served with no API code."""
    specs = [spec for spec in records.registered() if spec.api is not None]
    kinds = {kind.model: kind for kind in api_records.kinds()}
    assert {spec.model for spec in specs} <= set(kinds)
    assert CaseNote in kinds and kinds[CaseNote].path == "case-notes"
    for spec in specs:
        assert spec.api is not None
        kind = kinds[spec.model]
        assert (kind.path, kind.fields) == (spec.api.path, spec.api.fields)
        assert reverse(f"api:{kind.operation}_read", kwargs={kind.id_param: _an_id(kind)})
    # A test app's kind is served but not published in docs/api/openapi.json.
    assert not kinds[CaseNote].published


def _an_id(kind: api_records.Kind) -> Any:
    return 1 if kind.id_param == "dose_id" else "00000000-0000-4000-8000-000000000000"


def test_the_example_apps_notes_are_written_and_read_through_the_api(
    world: World, lan_person: Person, caseworker: tuple[Any, str]
) -> None:
    """tests/exampleapp declares its API in its registration: create, list, read, update
    with the version check (stale: 409 with the current version, nothing saved)."""
    client, token = caseworker
    case = Case.objects.get(person=lan_person)
    body = {"written_on": "2026-11-02", "topic": "home_visit", "text": "Khám lại"}
    created = call("post", f"/api/v1/cases/{case.pk}/case-notes", token, body)
    assert created.status_code == 201, created.content
    note = CaseNote.objects.get(pk=created.json()["id"])
    assert note.text == "Khám lại" and created.json()["version"] == note.version
    assert Event.objects.filter(action="casenote_added", object_id=str(note.pk)).count() == 1

    listed = call("get", f"/api/v1/cases/{case.pk}/case-notes", token).json()
    assert [r["id"] for r in listed["records"]] == [str(note.pk)] and not listed["more"]
    read = call("get", f"/api/v1/case-notes/{note.pk}", token)
    assert read.status_code == 200 and read.json()["text"] == "Khám lại"
    reads = Event.objects.filter(action=CaseAction.RECORD_READ, object_id=str(note.pk))
    assert reads.get().person_id == lan_person.pk

    changed = call(
        "put",
        f"/api/v1/case-notes/{note.pk}",
        token,
        body | {"text": "Khám lại lần hai", "version": note.version},
    )
    assert changed.status_code == 200, changed.content
    stale = call("put", f"/api/v1/case-notes/{note.pk}", token, body | {"version": note.version})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == note.version + 1
    note.refresh_from_db()
    assert note.text == "Khám lại lần hai"


def test_a_form_refusal_is_a_422_with_the_field_and_nothing_is_saved(
    world: World, lan_person: Person, caseworker: tuple[Any, str]
) -> None:
    client, token = caseworker
    case = Case.objects.get(person=lan_person)
    body = {"written_on": "2026-11-02", "topic": "home_visit", "text": "x", "responsible": "tuan"}
    refused = call("post", f"/api/v1/cases/{case.pk}/case-notes", token, body)
    assert refused.status_code == 422  # tuan is clinic B's: not among the form's choices
    assert list(refused.json()["fields"]) == ["responsible"]
    # A value outside the schema (a topic no form offers) is a 400 before any form.
    assert (
        call(
            "post", f"/api/v1/cases/{case.pk}/case-notes", token, body | {"topic": "no-such-topic"}
        ).status_code
        == 400
    )
    assert not CaseNote.objects.exists()


# --- scope and parts ----------------------------------------------------------------------


def test_another_clinics_case_and_records_are_404_and_a_denial(
    world: World, lan_person: Person, tuan_person: Person, caseworker: tuple[Any, str]
) -> None:
    """Clinic A's client asks for clinic B's case's episodes, one of them, and adds one:
    404 each, one denial each naming the client's account, nothing written."""
    client, token = caseworker
    theirs = Case.objects.get(person=tuan_person)
    episode = _episode(world, theirs, provider=world.orgs["clinic_b"])
    listed = call("get", f"/api/v1/cases/{theirs.pk}/treatment-episodes", token)
    assert listed.status_code == 404
    assert _denials(client.account_id, theirs.pk) == 1
    read = call("get", f"/api/v1/treatment-episodes/{episode.pk}", token)
    assert read.status_code == 404
    assert _denials(client.account_id, episode.pk) == 1
    body = {
        "modality": "community_voluntary",
        "provider_id": str(world.orgs["clinic_a"].pk),
        "started_on": "2026-11-03",
    }
    added = call("post", f"/api/v1/cases/{theirs.pk}/treatment-episodes", token, body)
    assert added.status_code == 404
    assert _denials(client.account_id, theirs.pk) == 2
    changed = call("put", f"/api/v1/treatment-episodes/{episode.pk}", token, body | {"version": 1})
    assert changed.status_code == 404
    assert TreatmentEpisode.objects.filter(case=theirs).count() == 1


def test_a_parts_limited_receiver_lists_only_the_shared_parts(
    world: World, lan_person: Person
) -> None:
    """Tuan (clinic B) was shared "treatment" of lan's case by a referral: he reads its
    episodes, not its service records or screenings (404 and a denial for one by id)."""
    from referrals.models import Referral
    from tests.test_authorization_matrix import _accept_parts

    case = Case.objects.get(person=lan_person)
    episode = _episode(world, case)
    service = ServiceRecord.objects.create(
        case=case,
        service_type=ServiceType.objects.get(code="counselling"),
        status="delivered",
        delivered_on=datetime.date(2026, 11, 1),
        recorded_by=world.users["lan"],
    )
    Referral.objects.create(
        case=case,
        from_organisation=world.orgs["clinic_a"],
        to_organisation=world.orgs["clinic_b"],
        service_type=ServiceType.objects.get(code="medical"),
        reason="Chuyển gửi thử",
        recorded_by=world.users["lan"],
        state="sent",
        sent_on=datetime.date(2026, 11, 1),
    )
    _accept_parts(world, lan_person, ("treatment",))
    tuan = world.client("tuan")
    episodes = tuan.get(f"/api/v1/cases/{case.pk}/treatment-episodes").json()
    assert [r["id"] for r in episodes["records"]] == [str(episode.pk)]
    services = tuan.get(f"/api/v1/cases/{case.pk}/services").json()
    assert services["records"] == []
    assert tuan.get(f"/api/v1/services/{service.pk}").status_code == 404
    assert _denials(world.users["tuan"].pk, service.pk) == 1
    assert tuan.get(f"/api/v1/treatment-episodes/{episode.pk}").status_code == 200


# --- service records ----------------------------------------------------------------------


def test_an_episode_is_added_and_changed_through_the_pages_form_and_action(
    world: World, lan_person: Person, caseworker: tuple[Any, str]
) -> None:
    client, token = caseworker
    case = Case.objects.get(person=lan_person)
    body = {
        "modality": "methadone",
        "provider_id": str(world.orgs["clinic_a"].pk),
        "started_on": "2026-11-03",
    }
    added = call("post", f"/api/v1/cases/{case.pk}/treatment-episodes", token, body)
    assert added.status_code == 201, added.content
    episode = TreatmentEpisode.objects.get(pk=added.json()["id"])
    assert episode.recorded_by_id == client.account_id
    event = Event.objects.get(action="service_record_added", object_id=str(episode.pk))
    assert event.person_id == lan_person.pk
    # The form's own check: an end before the start is refused, input named.
    late = body | {"ended_on": "2026-10-01", "outcome": "completed", "version": episode.version}
    refused = call("put", f"/api/v1/treatment-episodes/{episode.pk}", token, late)
    assert refused.status_code == 422, refused.content
    ended = body | {"ended_on": "2026-11-20", "outcome": "completed", "version": episode.version}
    saved = call("put", f"/api/v1/treatment-episodes/{episode.pk}", token, ended)
    assert saved.status_code == 200, saved.content
    assert saved.json()["ended_on"] == "2026-11-20"
    stale = call("put", f"/api/v1/treatment-episodes/{episode.pk}", token, ended)
    assert stale.status_code == 409 and stale.json()["current_version"] == episode.version + 1


def test_a_supervisor_client_reads_but_never_writes(world: World, lan_person: Person) -> None:
    client, token = make_client(world, name="bo-supervisor", role="supervisor")
    case = Case.objects.get(person=lan_person)
    episode = _episode(world, case)
    assert call("get", f"/api/v1/cases/{case.pk}/treatment-episodes", token).status_code == 200
    body = {
        "modality": "community_voluntary",
        "provider_id": str(world.orgs["clinic_a"].pk),
        "started_on": "2026-11-03",
        "version": episode.version,
    }
    assert call("put", f"/api/v1/treatment-episodes/{episode.pk}", token, body).status_code == 404
    assert _denials(client.account_id, episode.pk) == 1
    added = call("post", f"/api/v1/cases/{case.pk}/treatment-episodes", token, body)
    assert added.status_code == 404
    assert TreatmentEpisode.objects.filter(case=case).count() == 1


def test_pages_follow_the_cursor_once_each_in_id_order(
    world: World, lan_person: Person, caseworker: tuple[Any, str]
) -> None:
    client, token = caseworker
    case = Case.objects.get(person=lan_person)
    made = sorted(
        str(_episode(world, case, modality="methadone", started_on=days_ago(n)).pk)
        for n in range(5)
    )
    seen: list[str] = []
    cursor = ""
    for _ in range(5):
        url = f"/api/v1/cases/{case.pk}/treatment-episodes?limit=2"
        page = call("get", url + (f"&cursor={cursor}" if cursor else ""), token).json()
        seen += [r["id"] for r in page["records"]]
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert seen == made
    bad = call("get", f"/api/v1/cases/{case.pk}/treatment-episodes?cursor=zz", token)
    assert bad.status_code == 400
    odd = call("get", f"/api/v1/cases/{case.pk}/treatment-episodes?cursor=12", token)
    assert odd.status_code == 422 and odd.json()["code"] == "bad_cursor"


# --- methadone doses ----------------------------------------------------------------------


@pytest.fixture
def dosing(world: World, lan_person: Person) -> TreatmentEpisode:
    """90 mg a day, written 100 days ago, last dosed yesterday (tests/methadone's set-up)."""
    episode = methadone_episode(
        lan_person, clinic=world.orgs["clinic_a"], by=world.users["lan"], dose=90
    )
    then = timezone.now() - datetime.timedelta(days=100)
    Prescription.objects.filter(episode=episode).update(created_at=then)
    Dose.objects.create(
        episode=episode,
        given_on=days_ago(1),
        kind=DoseKind.OBSERVED,
        dose_mg=90,
        recorded_by=world.users["lan"],
    )
    return episode


def _dose(episode: TreatmentEpisode, **values: Any) -> dict[str, Any]:
    return {
        "episode_id": str(episode.pk),
        "given_on": days_ago(0).isoformat(),
        "kind": int(DoseKind.OBSERVED),
    } | values


def test_regression_a_dose_other_than_the_prescription_is_refused_through_the_api(
    world: World, dosing: TreatmentEpisode, caseworker: tuple[Any, str]
) -> None:
    """The dosing page's rule, unchanged: 180 mg on a 90 mg prescription is a 422 with the
    page's message naming the prescriber, a refusal event, and no dose; 90 mg is recorded."""
    client, token = caseworker
    url = f"/api/v1/cases/{dosing.case_id}/methadone-doses"
    refused = call("post", url, token, _dose(dosing, dose_mg=180), HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 422, refused.content
    text = " ".join(m["message"] for m in refused.json()["fields"]["__all__"])
    assert "not the prescribed dose" in refused.json()["message"]["en"] + text
    assert world.users["lan"].display_name in text
    assert Event.objects.filter(action=MethadoneAction.DOSE_REFUSED).count() == 1
    assert not Dose.objects.filter(episode=dosing, given_on=days_ago(0)).exists()
    given = call("post", url, token, _dose(dosing, dose_mg=90))
    assert given.status_code == 201, given.content
    assert given.json()["dose_mg"] == 90.0 and given.json()["recorded_by"] == "api-bo-records"
    dose = Dose.objects.get(episode=dosing, given_on=days_ago(0))
    read = call("get", f"/api/v1/methadone-doses/{dose.pk}", token)
    assert read.status_code == 200 and read.json()["case_id"] == str(dosing.case_id)


def test_regression_a_restart_after_missed_days_is_refused_not_flagged(
    world: World, lan_person: Person, caseworker: tuple[Any, str]
) -> None:
    """Last dosed six days ago: induction must restart. The API refuses the one-tap dose
    (422, the page's message) whatever the amount; there is no flag to pass it."""
    client, token = caseworker
    episode = methadone_episode(
        lan_person, clinic=world.orgs["clinic_a"], by=world.users["lan"], dose=70
    )
    then = timezone.now() - datetime.timedelta(days=100)
    Prescription.objects.filter(episode=episode).update(created_at=then)
    Dose.objects.create(
        episode=episode, given_on=days_ago(6), kind=DoseKind.OBSERVED, dose_mg=70,
        recorded_by=world.users["lan"],
    )  # fmt: skip
    url = f"/api/v1/cases/{episode.case_id}/methadone-doses"
    for body in (_dose(episode), _dose(episode, dose_mg=70), _dose(episode, acknowledged=True)):
        refused = call("post", url, token, body, HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 422, refused.content
        text = " ".join(m["message"] for m in refused.json()["fields"]["__all__"])
        assert "induction must restart" in text
    assert not Dose.objects.filter(episode=episode, given_on=days_ago(0)).exists()


def test_a_dose_under_another_case_is_404_and_a_denial(
    world: World, dosing: TreatmentEpisode, tuan_person: Person, caseworker: tuple[Any, str]
) -> None:
    client, token = caseworker
    mine = make_case(
        person=Case.objects.get(pk=dosing.case_id).person,
        organisation=world.orgs["clinic_a"],
        category="post_rehab",
    )
    url = f"/api/v1/cases/{mine.pk}/methadone-doses"
    refused = call("post", url, token, _dose(dosing, dose_mg=Decimal(90)))
    assert refused.status_code == 404
    assert _denials(client.account_id, dosing.pk) == 1
    assert not Dose.objects.filter(episode=dosing, given_on=days_ago(0)).exists()


def test_a_parts_limited_receiver_cannot_write_a_shared_record(
    world: World, lan_person: Person
) -> None:
    """Tuan reads lan's case's episodes through the shared "treatment" part, but adding or
    changing one is the case's holder's: 404 and a denial each, nothing written."""
    from referrals.models import Referral
    from tests.test_authorization_matrix import _accept_parts

    case = Case.objects.get(person=lan_person)
    episode = _episode(world, case)
    Referral.objects.create(
        case=case,
        from_organisation=world.orgs["clinic_a"],
        to_organisation=world.orgs["clinic_b"],
        service_type=ServiceType.objects.get(code="medical"),
        reason="Chuyển gửi thử",
        recorded_by=world.users["lan"],
        state="sent",
        sent_on=datetime.date(2026, 11, 1),
    )
    _accept_parts(world, lan_person, ("treatment",))
    tuan, tuan_id = world.client("tuan"), world.users["tuan"].pk
    body = {
        "modality": "methadone",
        "provider_id": str(world.orgs["clinic_b"].pk),
        "started_on": "2026-11-03",
    }
    added = tuan.post(
        f"/api/v1/cases/{case.pk}/treatment-episodes", body, content_type="application/json"
    )
    assert added.status_code == 404 and _denials(tuan_id, case.pk) == 1
    changed = tuan.put(
        f"/api/v1/treatment-episodes/{episode.pk}",
        body | {"version": episode.version},
        content_type="application/json",
    )
    assert changed.status_code == 404 and _denials(tuan_id, episode.pk) == 1
    assert list(TreatmentEpisode.objects.filter(case=case)) == [episode]
    episode.refresh_from_db()
    assert episode.modality == "facility_voluntary"


def test_a_contact_note_is_changed_only_by_its_author_as_on_the_page(
    world: World, lan_person: Person, caseworker: tuple[Any, str]
) -> None:
    """The note page's rule through the API: lan's note is not the client's to change (403
    and a denial, nothing saved); the client's own note is, within the edit window."""
    from cases.models import ContactNote

    client, token = caseworker
    case = Case.objects.get(person=lan_person)
    theirs = ContactNote.objects.create(
        case=case,
        contacted_on=datetime.date(2026, 11, 1),
        text="Thăm nhà",
        author=world.users["lan"],
    )
    body = {"kind": theirs.kind, "contacted_on": "2026-11-01", "text": "Sửa", "present": ""}
    refused = call(
        "put", f"/api/v1/contact-notes/{theirs.pk}", token, body | {"version": theirs.version}
    )
    assert refused.status_code == 403
    assert _denials(client.account_id, theirs.pk) == 1
    theirs.refresh_from_db()
    assert theirs.text == "Thăm nhà"
    added = call("post", f"/api/v1/cases/{case.pk}/contact-notes", token, body)
    assert added.status_code == 201, added.content
    assert added.json()["author"] == client.account.username
    mine = added.json()["id"]
    changed = call(
        "put", f"/api/v1/contact-notes/{mine}", token, body | {"text": "Sửa lại", "version": 1}
    )
    assert changed.status_code == 200 and changed.json()["text"] == "Sửa lại"


def test_a_rows_address_is_its_read(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    episode = _episode(world, case)
    assert api_records.record_url(TreatmentEpisode, episode.pk) == (
        f"/api/v1/treatment-episodes/{episode.pk}"
    )
    assert api_records.record_url(Case, case.pk) is None


def test_a_kind_not_offered_to_the_cases_category_is_refused_and_logged(
    world: World, lan_person: Person, caseworker: tuple[Any, str]
) -> None:
    """The case page offers no treatment episode on a returned victim's case: nor does the
    API (403 and a denial naming the case, nothing written)."""
    from cases.choices import ClientCategory

    client, token = caseworker
    case = make_case(
        person=lan_person,
        organisation=world.orgs["clinic_a"],
        category=ClientCategory.TRAFFICKING_VICTIM,
    )
    body = {
        "modality": "methadone",
        "provider_id": str(world.orgs["clinic_a"].pk),
        "started_on": "2026-11-03",
    }
    refused = call("post", f"/api/v1/cases/{case.pk}/treatment-episodes", token, body)
    assert refused.status_code == 403
    assert _denials(client.account_id, case.pk) == 1
    assert not TreatmentEpisode.objects.filter(case=case).exists()
