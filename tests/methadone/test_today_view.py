"""The clinic's list of the day: who sees it, what it shows, one event per view, one tap."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from audit.models import Event
from cases.events import CaseAction
from cases.models import Person
from services.methadone.events import MethadoneAction
from services.methadone.models import Dose, DoseKind
from services.models import TreatmentEpisode
from tests.conftest import World
from tests.factories import make_case, make_person
from tests.methadone.support import days_ago, methadone_episode

TODAY = reverse("methadone:today")


@pytest.fixture
def clinic_a(world: World, lan_person: Person) -> list[TreatmentEpisode]:
    """Three patients in treatment at clinic A (lan's person first) and one at clinic B."""
    lan, clinic = world.users["lan"], world.orgs["clinic_a"]
    episodes = [methadone_episode(lan_person, clinic=clinic, by=lan, take_home_days=2)]
    for name in ("Giàng A Páo", "Lò Thị Mai"):
        person = make_person(
            full_name=name, residence_commune=world.units["c1"], registered_by=clinic
        )
        make_case(person=person, organisation=clinic)
        episodes.append(methadone_episode(person, clinic=clinic, by=lan))
    other = make_person(residence_commune=world.units["c3"], registered_by=world.orgs["clinic_b"])
    make_case(person=other, organisation=world.orgs["clinic_b"])
    methadone_episode(other, clinic=world.orgs["clinic_b"], by=world.users["tuan"])
    return episodes


def test_lan_lands_on_the_list_of_the_day(world: World, clinic_a: Any) -> None:
    response = world.client("lan").get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == TODAY


def test_the_list_shows_the_clinics_patients_only_with_one_event_naming_them(
    world: World, clinic_a: list[TreatmentEpisode]
) -> None:
    """One access event for the whole screen, naming every patient shown (ids, not names)."""
    response = world.client("lan").get(TODAY)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Trần Thị Bình" in page and "Giàng A Páo" in page and "Lò Thị Mai" in page
    assert "Lê Văn" not in page and len(response.context["screen"].rows) == 3
    events = Event.objects.filter(action=MethadoneAction.TODAY_VIEWED)
    assert events.count() == 1
    event = events.get()
    assert sorted(event.detail["people"]) == sorted(str(e.person_id) for e in clinic_a)
    assert "Bình" not in json.dumps(event.detail)
    assert not Event.objects.filter(action=CaseAction.RECORD_READ).exists()


def test_the_list_filters_on_the_server_without_javascript(
    world: World, clinic_a: list[TreatmentEpisode]
) -> None:
    response = world.client("lan").post(TODAY, {"q": "giang a pao"})
    rows = response.context["screen"].rows
    assert [row.name for row in rows] == ["Giàng A Páo"]
    event = Event.objects.get(action=MethadoneAction.TODAY_VIEWED)
    assert event.detail["people"] == [str(clinic_a[1].person_id)]


@pytest.mark.parametrize("who", ["hoa", "an", "quan", "minh"])
def test_people_who_do_not_dose_cannot_open_the_list(world: World, who: str) -> None:
    assert world.client(who).get(TODAY).status_code == 403


def test_one_tap_records_the_prescribed_dose(
    world: World, clinic_a: list[TreatmentEpisode]
) -> None:
    episode = clinic_a[0]
    url = reverse("methadone:dose_record", args=[episode.pk])
    response = world.client("lan").post(url, {"kind": DoseKind.OBSERVED})
    assert response.status_code == 302
    dose = Dose.objects.get(episode=episode)
    assert (dose.given_on, dose.dose_mg) == (days_ago(0), Decimal(60))
    page = world.client("lan").get(TODAY).content.decode()
    assert "Uống tại cơ sở" in page or "Observed at the clinic" in page


def test_the_tap_from_javascript_answers_the_new_row(
    world: World, clinic_a: list[TreatmentEpisode]
) -> None:
    episode = clinic_a[1]
    url = reverse("methadone:dose_record", args=[episode.pk])
    client = world.client("lan")
    answer = client.post(url, {"kind": DoseKind.MISSED}, headers={"X-Requested-With": "fetch"})
    assert answer.status_code == 200 and answer.json()["ok"] is True
    assert f'id="row-{episode.pk}"' in answer.json()["html"]
    again = client.post(url, {"kind": DoseKind.OBSERVED}, headers={"X-Requested-With": "fetch"})
    assert again.status_code == 409
    assert "correct it instead" in again.json()["error"] or "sửa" in again.json()["error"]
    assert Dose.objects.get(episode=episode).kind == DoseKind.MISSED


def test_a_refused_tap_without_javascript_shows_the_list_with_the_error_and_the_input(
    world: World, clinic_a: list[TreatmentEpisode]
) -> None:
    episode = clinic_a[0]
    url = reverse("methadone:dose_record", args=[episode.pk])
    response = world.client("lan").post(url, {"kind": DoseKind.OBSERVED, "dose_mg": "0"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="row-error"' in page and 'value="0"' in page
    assert not Dose.objects.exists()


def test_outsider_posting_a_dose_for_another_clinics_patient_gets_404_and_is_logged(
    world: World, clinic_a: list[TreatmentEpisode]
) -> None:
    """ASVS 8.2.2, 8.3.1: tuan (clinic B) posts a dose for clinic A's patient: 404, nothing
    written, one denial event naming him and the episode."""
    episode = clinic_a[0]
    url = reverse("methadone:dose_record", args=[episode.pk])
    tuan = world.users["tuan"]
    response = world.client("tuan").post(url, {"kind": DoseKind.OBSERVED})
    assert response.status_code == 404
    assert not Dose.objects.exists()
    denials = Event.objects.filter(action=CaseAction.DENIED, actor=tuan, object_id=str(episode.pk))
    assert denials.count() == 1


def test_missed_days_raise_a_flag_on_the_list(
    world: World, clinic_a: list[TreatmentEpisode]
) -> None:
    """4066/QĐ-BYT missed doses: a patient last dosed four days ago is flagged to reduce."""
    episode = clinic_a[2]
    Dose.objects.create(
        episode=episode,
        given_on=days_ago(5),
        kind=DoseKind.OBSERVED,
        dose_mg=60,
        recorded_by=world.users["lan"],
    )
    rows = {r.episode_id: r for r in world.client("lan").get(TODAY).context["screen"].rows}
    assert rows[episode.pk].missed_days == 4
    assert "4" in rows[episode.pk].missed_flag


def test_regression_a_refused_second_tap_says_why_and_keeps_the_typed_dose(
    world: World, clinic_a: list[TreatmentEpisode]
) -> None:
    """Regression: posting again for a patient already dosed today showed the list with no
    message and lost the typed dose; the row now says why and shows what was typed."""
    episode = clinic_a[0]
    url = reverse("methadone:dose_record", args=[episode.pk])
    client = world.client("lan")
    client.post(url, {"kind": DoseKind.OBSERVED})
    response = client.post(url, {"kind": DoseKind.OBSERVED, "dose_mg": "45"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="row-error"' in page and 'value="45"' in page
    assert Dose.objects.get(episode=episode).dose_mg == Decimal(60)


def test_regression_no_patient_name_reaches_a_url(
    world: World, clinic_a: list[TreatmentEpisode]
) -> None:
    """Regression (issue 22.11, ASVS 14.2.1: sensitive data not in URLs): the "find a patient"
    box was a GET form and a dose posted from a filtered list redirected to ``?q=<name>``, so
    patient names reached URLs, browser history and server logs. The box posts; the redirect
    after a dose carries no query (only the row's anchor); a name in ``?q=`` filters nothing."""
    client = world.client("lan")
    page = client.get(TODAY).content.decode()
    form = re.search(r"<form[^>]*role=\"search\"[^>]*>", page)
    assert form is not None and 'method="post"' in form.group(0)
    episode = clinic_a[1]
    url = reverse("methadone:dose_record", args=[episode.pk])
    response = client.post(url, {"kind": DoseKind.OBSERVED, "q": "Giàng A Páo"})
    assert response.status_code == 302
    assert "?" not in response["Location"] and "Gi" not in response["Location"]
    assert response["Location"] == f"{TODAY}#row-{episode.pk}"
    ignored = client.get(TODAY, {"q": "giang a pao"})
    assert len(ignored.context["screen"].rows) == 3


def _absent(episode: TreatmentEpisode, days: int, by: Any) -> None:
    """The patient last took a dose ``days`` ago; the order in force was written long ago."""
    import datetime

    from django.utils import timezone

    from services.methadone.models import Prescription

    Prescription.objects.filter(episode=episode).update(
        created_at=timezone.now() - datetime.timedelta(days=100)
    )
    Dose.objects.create(
        episode=episode,
        given_on=days_ago(days),
        kind=DoseKind.OBSERVED,
        dose_mg=60,
        recorded_by=by,
    )


def _row_html(page: str, episode: TreatmentEpisode) -> str:
    start = page.index(f'id="row-{episode.pk}"')
    return page[start : page.index("</li>", start)]


def test_regression_a_restart_patient_has_no_dose_button_and_a_tap_is_refused(
    world: World, clinic_a: list[TreatmentEpisode]
) -> None:
    """Regression (issue 23.1): "missed 5 days: restart induction" was only a tag, and one tap
    gave the full dose. The row now says no dose, names the prescriber and offers no dose
    button; a posted tap (without or with JavaScript) is refused and nothing is stored."""
    episode = clinic_a[2]
    _absent(episode, 6, world.users["lan"])
    client = world.client("mai")
    row = _row_html(client.get(TODAY).content.decode(), episode)
    assert 'data-testid="dose-blocked"' in row and 'data-testid="observed"' not in row
    assert world.users["lan"].display_name in row
    assert 'data-testid="missed"' in row  # "did not come" is still recorded
    url = reverse("methadone:dose_record", args=[episode.pk])
    page = client.post(url, {"kind": DoseKind.OBSERVED}).content.decode()
    assert 'data-testid="row-error"' in _row_html(page, episode)
    answer = client.post(url, {"kind": DoseKind.OBSERVED}, headers={"X-Requested-With": "fetch"})
    assert answer.status_code == 409 and world.users["lan"].display_name in answer.json()["error"]
    assert not Dose.objects.filter(episode=episode, given_on=days_ago(0)).exists()


def test_regression_a_typed_dose_off_the_prescription_is_refused_on_the_list(
    world: World, clinic_a: list[TreatmentEpisode]
) -> None:
    """Regression (issue 23.1): a dose posted with another amount (180 mg on 60 mg) was
    stored. Refused with the prescriber's name; the typed amount is kept on the row."""
    episode = clinic_a[1]
    url = reverse("methadone:dose_record", args=[episode.pk])
    response = world.client("mai").post(url, {"kind": DoseKind.OBSERVED, "dose_mg": "180"})
    row = _row_html(response.content.decode(), episode)
    assert 'data-testid="row-error"' in row and 'value="180"' in row
    assert world.users["lan"].display_name in row
    assert not Dose.objects.exists()


def test_the_assess_row_needs_the_box_ticked(
    world: World, clinic_a: list[TreatmentEpisode]
) -> None:
    """4066/QĐ-BYT missed doses, 3 days: the row asks for the assessment (a required box)."""
    episode = clinic_a[2]
    _absent(episode, 4, world.users["lan"])
    client = world.client("mai")
    row = _row_html(client.get(TODAY).content.decode(), episode)
    assert 'data-testid="assessed"' in row and "required" in row
    url = reverse("methadone:dose_record", args=[episode.pk])
    client.post(url, {"kind": DoseKind.OBSERVED})
    assert not Dose.objects.filter(given_on=days_ago(0)).exists()
    assert client.post(url, {"kind": DoseKind.OBSERVED, "acknowledged": "1"}).status_code == 302
    assert Dose.objects.get(episode=episode, given_on=days_ago(0)).dose_mg == Decimal(60)


def test_a_prescribers_one_day_dose_unblocks_the_row(
    world: World, clinic_a: list[TreatmentEpisode]
) -> None:
    """The prescriber records the day's dose on its page; the row then gives that dose."""
    from services.methadone.models import DoseOverride

    episode = clinic_a[2]
    _absent(episode, 6, world.users["lan"])
    url = reverse("methadone:dose_override", args=[episode.pk])
    client = world.client("lan")
    assert client.get(url).status_code == 200
    data = {"day": days_ago(0).strftime("%d/%m/%Y"), "dose_mg": "30", "reason": "Khởi liều lại"}
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"].endswith(f"#row-{episode.pk}")
    assert DoseOverride.objects.get(episode=episode).dose_mg == Decimal(30)
    row = _row_html(client.get(TODAY).content.decode(), episode)
    assert 'data-testid="observed"' in row and 'data-testid="one-day-note"' in row
    client.post(reverse("methadone:dose_record", args=[episode.pk]), {"kind": DoseKind.OBSERVED})
    assert Dose.objects.get(episode=episode, given_on=days_ago(0)).dose_mg == Decimal(30)
    page = client.get(reverse("methadone:episode", args=[episode.pk])).content.decode()
    assert 'data-testid="one-day-doses"' in page and "Khởi liều lại" in page


def test_an_outsider_cannot_write_a_one_day_dose_and_is_logged(
    world: World, clinic_a: list[TreatmentEpisode]
) -> None:
    """ASVS 8.2.2, 8.3.1: clinic B's caseworker gets 404, nothing written, a denial event."""
    from services.methadone.models import DoseOverride

    episode = clinic_a[0]
    url = reverse("methadone:dose_override", args=[episode.pk])
    data = {"day": days_ago(0).strftime("%d/%m/%Y"), "dose_mg": "180", "reason": "Tăng"}
    assert world.client("tuan").post(url, data).status_code == 404
    assert world.client("hoa").post(url, data).status_code == 404
    assert not DoseOverride.objects.exists()
    assert Event.objects.filter(
        action=CaseAction.DENIED, actor=world.users["tuan"], object_id=str(episode.pk)
    ).exists()


def test_the_list_reads_the_checks_without_a_query_per_row(
    world: World, clinic_a: list[TreatmentEpisode]
) -> None:
    """The checks (prescription, split, one-day dose, missed days, prescriber) come with the
    list's one query: three patients, blocked or not, cost what one does."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = world.client("mai")
    for episode in clinic_a[1:]:
        _absent(episode, 6, world.users["lan"])
    client.get(TODAY)  # warm the session and caches
    with CaptureQueriesContext(connection) as three:
        client.get(TODAY)
    TreatmentEpisode.objects.filter(pk__in=[e.pk for e in clinic_a[1:]]).update(
        ended_on=days_ago(0), outcome="completed"
    )
    with CaptureQueriesContext(connection) as one:
        client.get(TODAY)
    assert len(three) <= len(one) + 1  # + the prescribers' names, once for all rows


def test_the_search_box_survives_bad_input(world: World, clinic_a: list[TreatmentEpisode]) -> None:
    """A NUL byte, a very long text or markup in the box: the list, never a 500."""
    client = world.client("lan")
    for text in ("\x00pao", "x" * 10_000, "<script>alert(1)</script>"):
        response = client.post(TODAY, {"q": text})
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in response.content.decode()


def test_the_list_offers_prescribing_to_the_prescriber_only(
    world: World, clinic_a: list[TreatmentEpisode]
) -> None:
    """Issue 23.1: on a blocked row the nurse (mai, not a prescriber) gets no "One-day dose" or
    "New prescription" link, only the prescriber to call; the prescriber (lan) gets both."""
    episode = clinic_a[2]
    _absent(episode, 6, world.users["lan"])
    nurse = _row_html(world.client("mai").get(TODAY).content.decode(), episode)
    assert 'data-testid="one-day-dose"' not in nurse and "/prescriptions/add/" not in nurse
    assert world.users["lan"].display_name in nurse
    prescriber = _row_html(world.client("lan").get(TODAY).content.decode(), episode)
    assert 'data-testid="one-day-dose"' in prescriber
    assert 'data-testid="new-prescription"' in prescriber
