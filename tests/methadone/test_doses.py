"""Recording a dose, the one-per-day constraint, corrections and a day's doses at once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from audit.models import Event
from cases.events import CaseAction
from cases.models import Person
from services.methadone import actions
from services.methadone.events import MethadoneAction
from services.methadone.models import Dose, DoseCorrection, DoseKind, Prescription
from services.models import TreatmentEpisode
from tests.conftest import World
from tests.methadone.support import days_ago, methadone_episode


@pytest.fixture
def episode(world: World, lan_person: Person) -> TreatmentEpisode:
    return methadone_episode(lan_person, clinic=world.orgs["clinic_a"], by=world.users["lan"])


def test_the_database_refuses_a_second_dose_the_same_day(
    world: World, episode: TreatmentEpisode
) -> None:
    """The constraint dose_once_per_day holds even when the action is bypassed."""
    lan = world.users["lan"]
    Dose.objects.create(
        episode=episode,
        given_on=days_ago(0),
        kind=DoseKind.OBSERVED,
        dose_mg=60,
        recorded_by=lan,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Dose.objects.create(
            episode=episode, given_on=days_ago(0), kind=DoseKind.MISSED, recorded_by=lan
        )
    assert Dose.objects.filter(episode=episode).count() == 1


def test_recording_the_prescribed_dose_writes_one_row_and_one_event(
    world: World, episode: TreatmentEpisode
) -> None:
    lan = world.users["lan"]
    dose = actions.dose_record(
        actor=lan,
        episode_id=episode.pk,
        day=days_ago(0),
        kind=DoseKind.OBSERVED,
    )
    assert dose.dose_mg == Decimal(60)  # the prescription's dose
    events = Event.objects.filter(action=MethadoneAction.DOSE_RECORDED, object_id=str(dose.pk))
    assert events.count() == 1
    assert events.get().person_id == episode.person_id


def test_a_second_dose_the_same_day_is_refused_with_a_clear_message(
    world: World, episode: TreatmentEpisode
) -> None:
    lan, mai = world.users["lan"], world.users["mai"]
    first = actions.dose_record(
        actor=lan,
        episode_id=episode.pk,
        day=days_ago(0),
        kind=DoseKind.OBSERVED,
    )
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        actions.dose_record(
            actor=mai,
            episode_id=episode.pk,
            day=days_ago(0),
            kind=DoseKind.MISSED,
        )
    with translation.override("en"):
        assert "correct it instead" in " ".join(refused.value.messages)
    assert list(Dose.objects.filter(episode=episode).values_list("pk", "kind")) == [
        (first.pk, DoseKind.OBSERVED)
    ]


def test_take_home_is_refused_when_the_prescription_allows_none(
    world: World, episode: TreatmentEpisode
) -> None:
    """4066/QĐ-BYT: take-home doses only when prescribed for an eligible patient."""
    with translation.override("en"), pytest.raises(ValidationError, match="no take-home"):
        actions.dose_record(
            actor=world.users["lan"],
            episode_id=episode.pk,
            day=days_ago(0),
            kind=DoseKind.TAKE_HOME,
        )
    assert not Dose.objects.exists()


def test_no_dose_without_a_prescription_in_force(world: World, lan_person: Person) -> None:
    bare = methadone_episode(
        lan_person, clinic=world.orgs["clinic_a"], by=world.users["lan"], dose=None
    )
    with translation.override("en"), pytest.raises(ValidationError, match="prescribe first"):
        actions.dose_record(
            actor=world.users["lan"], episode_id=bare.pk, day=days_ago(0), kind=DoseKind.OBSERVED
        )


def test_outsider_recording_a_dose_for_another_clinics_patient_is_refused_and_logged(
    world: World, episode: TreatmentEpisode
) -> None:
    """ASVS 8.2.2 (data-level access), 8.3.1: tuan, clinic B's caseworker, cannot record a
    dose for clinic A's patient: 404, no row, and a denial event naming him and the episode."""
    from django.http import Http404

    tuan = world.users["tuan"]
    with pytest.raises(Http404):
        actions.dose_record(
            actor=tuan,
            episode_id=episode.pk,
            day=days_ago(0),
            kind=DoseKind.OBSERVED,
        )
    assert not Dose.objects.exists()
    assert (
        Event.objects.filter(
            action=CaseAction.DENIED,
            actor=tuan,
            object_id=str(episode.pk),
        ).count()
        == 1
    )


def test_a_correction_keeps_the_old_value_and_is_audited(
    world: World, episode: TreatmentEpisode
) -> None:
    lan, mai = world.users["lan"], world.users["mai"]
    dose = actions.dose_record(
        actor=lan,
        episode_id=episode.pk,
        day=days_ago(1),
        kind=DoseKind.OBSERVED,
    )
    actions.dose_correct(
        actor=mai,
        dose_id=dose.pk,
        kind=DoseKind.OBSERVED,
        dose_mg=Decimal("55"),
        reason="Đổ thiếu 5 mg, đã ghi nhầm",
    )
    dose.refresh_from_db()
    assert (dose.kind, dose.dose_mg) == (DoseKind.OBSERVED, Decimal(55))
    correction = DoseCorrection.objects.get(dose=dose)
    assert (correction.old_kind, correction.old_dose_mg) == (DoseKind.OBSERVED, Decimal(60))
    assert (correction.new_kind, correction.new_dose_mg) == (DoseKind.OBSERVED, Decimal(55))
    assert correction.corrected_by == mai and correction.reason == "Đổ thiếu 5 mg, đã ghi nhầm"
    event = Event.objects.get(action=MethadoneAction.DOSE_CORRECTED)
    assert event.detail["correction"] == str(correction.pk)
    assert event.person_id == episode.person_id
    assert Dose.objects.count() == 1  # never a delete


def test_a_correction_needs_a_reason_and_a_change(world: World, episode: TreatmentEpisode) -> None:
    lan = world.users["lan"]
    dose = actions.dose_record(
        actor=lan,
        episode_id=episode.pk,
        day=days_ago(1),
        kind=DoseKind.OBSERVED,
    )
    with pytest.raises(ValidationError):
        actions.dose_correct(actor=lan, dose_id=dose.pk, kind=3, dose_mg=None, reason=" ")
    with translation.override("en"), pytest.raises(ValidationError, match="nothing to correct"):
        actions.dose_correct(
            actor=lan, dose_id=dose.pk, kind=1, dose_mg=Decimal(60), reason="Kiểm tra"
        )
    assert not DoseCorrection.objects.exists()


def test_an_outsider_cannot_correct_a_dose_and_is_logged(
    world: World, episode: TreatmentEpisode
) -> None:
    """ASVS 8.2.2: another clinic's nurse gets 404 on a dose, and a denial event."""
    from django.http import Http404

    dose = actions.dose_record(
        actor=world.users["lan"],
        episode_id=episode.pk,
        day=days_ago(1),
        kind=DoseKind.OBSERVED,
    )
    tuan = world.users["tuan"]
    with pytest.raises(Http404):
        actions.dose_correct(actor=tuan, dose_id=dose.pk, kind=3, dose_mg=None, reason="Sửa")
    dose.refresh_from_db()
    assert dose.kind == DoseKind.OBSERVED
    assert Event.objects.filter(
        action=CaseAction.DENIED, actor=tuan, object_id=str(dose.pk)
    ).exists()


def test_three_missed_days_make_the_prescription_due_for_review(
    world: World, episode: TreatmentEpisode
) -> None:
    """4066/QĐ-BYT missed doses: from the third day the prescriber must assess."""
    lan = world.users["lan"]
    actions.dose_record(actor=lan, episode_id=episode.pk, day=days_ago(3), kind=1)
    for n in (2, 1):
        actions.dose_record(actor=lan, episode_id=episode.pk, day=days_ago(n), kind=3)
    assert Prescription.objects.get().review_due_on is None
    actions.dose_record(actor=lan, episode_id=episode.pk, day=days_ago(0), kind=3)
    rx = Prescription.objects.get()
    assert (rx.review_due_on, rx.review_reason) == (days_ago(0), "missed_assess")


def test_a_days_doses_in_one_statement_with_one_event(
    world: World, lan_person: Person, django_assert_max_num_queries: object
) -> None:
    from services.methadone.actions import DoseRow
    from tests.factories import make_case, make_person

    lan = world.users["lan"]
    clinic = world.orgs["clinic_a"]
    episodes = [methadone_episode(lan_person, clinic=clinic, by=lan)]
    for _n in range(3):
        person = make_person(residence_commune=world.units["c1"], registered_by=clinic)
        make_case(person=person, organisation=clinic)
        episodes.append(methadone_episode(person, clinic=clinic, by=lan))
    rows = [DoseRow(e.pk, DoseKind.OBSERVED, Decimal(60)) for e in episodes[:3]]
    rows.append(DoseRow(episodes[3].pk, DoseKind.MISSED))
    count = actions.doses_record_bulk(actor=lan, clinic=clinic, day=days_ago(0), rows=rows)
    assert count == 4 and Dose.objects.count() == 4
    event = Event.objects.get(action=MethadoneAction.DOSES_RECORDED)
    assert sorted(event.detail["people"]) == sorted(str(e.person_id) for e in episodes)
    with pytest.raises(ValidationError):
        actions.doses_record_bulk(actor=lan, clinic=clinic, day=days_ago(0), rows=rows[:1])
    assert Dose.objects.count() == 4


def test_a_days_doses_for_another_clinic_are_refused_and_logged(
    world: World, episode: TreatmentEpisode
) -> None:
    """ASVS 8.2.2: tuan cannot write clinic A's day, even naming his own clinic."""
    from services.methadone.actions import DoseRow

    tuan = world.users["tuan"]
    rows = [DoseRow(episode.pk, DoseKind.OBSERVED, Decimal(60))]
    with pytest.raises(PermissionDenied):
        actions.doses_record_bulk(
            actor=tuan, clinic=world.orgs["clinic_b"], day=days_ago(0), rows=rows
        )
    assert not Dose.objects.exists()
    assert Event.objects.filter(action=CaseAction.DENIED, actor=tuan).exists()


@pytest.mark.parametrize(
    ("first", "then", "amount"),
    [(DoseKind.OBSERVED, DoseKind.MISSED, None), (DoseKind.MISSED, DoseKind.OBSERVED, "60")],
    ids=["observed-to-did-not-come", "did-not-come-to-observed"],
)
def test_regression_correcting_to_or_from_did_not_come_is_saved_not_a_500(
    world: World, episode: TreatmentEpisode, first: int, then: int, amount: str | None
) -> None:
    """Regression (issue 23.2): a correction to or from "did not come" answered 500 (the
    correction's empty amount failed its own validation and the page could not show it), so
    a mistaken tap could not be undone. The page now saves it and keeps the old value."""
    from django.urls import reverse

    dose = actions.dose_record(
        actor=world.users["lan"], episode_id=episode.pk, day=days_ago(1), kind=first
    )
    url = reverse("methadone:dose_correct", args=[dose.pk])
    data = {"kind": then, "dose_mg": amount or "", "reason": "Bấm nhầm nút"}
    response = world.client("lan").post(url, data)
    assert response.status_code == 302
    dose.refresh_from_db()
    assert dose.kind == then
    assert dose.dose_mg == (Decimal(amount) if amount else None)
    correction = DoseCorrection.objects.get(dose=dose)
    assert (correction.old_kind, correction.new_kind) == (first, then)
    assert Event.objects.filter(action=MethadoneAction.DOSE_CORRECTED).count() == 1
