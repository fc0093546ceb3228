"""A dose follows its prescription (issue 23.1): at the counter, on the list, in bulk.

Each test names the boundary it holds: a dose other than the prescribed one is refused
(naming the prescriber), a documented split passes, a run of missed days that calls for a
reduced dose or a restart blocks the dose until a prescriber acts, an assessment needs the
dosing nurse's confirmation, and a prescriber's one-day dose is recorded with its event and
history. Source: 4066/QĐ-BYT (31/12/2024) and 3140/QĐ-BYT (2010), missed doses.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone, translation

from audit.models import Event
from cases.events import CaseAction
from cases.models import Person
from services.methadone import actions
from services.methadone.actions import DoseRow
from services.methadone.events import MethadoneAction
from services.methadone.models import Dose, DoseKind, DoseOverride, Phase, Prescription
from services.models import TreatmentEpisode
from tests.conftest import World
from tests.factories import make_case, make_person
from tests.methadone.support import days_ago, methadone_episode


def _written_long_ago(episode: TreatmentEpisode) -> None:
    """Date the episode's orders back to its start (the support helper writes them now)."""
    then = timezone.now() - datetime.timedelta(days=100)
    Prescription.objects.filter(episode=episode).update(created_at=then)


def _last_dosed(episode: TreatmentEpisode, days: int, by: Any) -> None:
    Dose.objects.create(
        episode=episode,
        given_on=days_ago(days),
        kind=DoseKind.OBSERVED,
        dose_mg=90,
        recorded_by=by,
    )


@pytest.fixture
def episode(world: World, lan_person: Person) -> TreatmentEpisode:
    """90 mg a day, written 100 days ago; last dosed yesterday."""
    found = methadone_episode(
        lan_person, clinic=world.orgs["clinic_a"], by=world.users["lan"], dose=90
    )
    _written_long_ago(found)
    _last_dosed(found, 1, world.users["lan"])
    return found


def _tap(world: World, episode: TreatmentEpisode, **values: object) -> Dose:
    return actions.dose_record(
        actor=world.users["mai"], episode_id=episode.pk, day=days_ago(0),
        kind=values.pop("kind", DoseKind.OBSERVED), **values,  # type: ignore[arg-type]
    )  # fmt: skip


def _refused(world: World, episode: TreatmentEpisode, **values: object) -> str:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        _tap(world, episode, **values)
    assert not Dose.objects.filter(episode=episode, given_on=days_ago(0)).exists()
    with translation.override("en"):
        return " ".join(refused.value.messages)


def test_regression_a_dose_other_than_the_prescription_is_refused_naming_the_prescriber(
    world: World, episode: TreatmentEpisode
) -> None:
    """Regression (issue 23.1): "observed 180 mg" on a 90 mg prescription was stored. It is
    refused at the counter, the message names the prescriber, and the refusal is an event."""
    message = _refused(world, episode, dose_mg=Decimal(180))
    assert "not the prescribed dose" in message
    assert world.users["lan"].display_name in message
    event = Event.objects.get(action=MethadoneAction.DOSE_REFUSED)
    assert event.detail["code"] == "dose_not_prescribed" and event.actor == world.users["mai"]
    assert event.person_id == episode.person_id
    _refused(world, episode, dose_mg=Decimal("89.9"))
    assert _tap(world, episode, dose_mg=Decimal(90)).dose_mg == Decimal(90)


def test_a_take_home_dose_follows_the_prescription_too(world: World, lan_person: Person) -> None:
    found = methadone_episode(
        lan_person,
        clinic=world.orgs["clinic_a"],
        by=world.users["lan"],
        dose=80,
        take_home_days=2,
    )
    _written_long_ago(found)
    _last_dosed(found, 1, world.users["lan"])
    assert "not the prescribed" in _refused(
        world, found, kind=DoseKind.TAKE_HOME, dose_mg=Decimal(160)
    )


def test_a_documented_split_lets_the_counter_give_one_part(
    world: World, episode: TreatmentEpisode
) -> None:
    Prescription.objects.filter(episode=episode).update(split_parts=2)
    assert "not the prescribed" in _refused(world, episode, dose_mg=Decimal(40))
    assert _tap(world, episode, dose_mg=Decimal(45)).dose_mg == Decimal(45)


def test_regression_restart_blocks_the_one_tap_dose_until_a_prescriber_acts(
    world: World, lan_person: Person
) -> None:
    """Regression (issue 23.1): a patient flagged "missed 5 days: restart induction" on 70 mg
    was given 70 mg with one tap (or 140 mg typed). Refused, whatever the amount; a
    prescriber's one-day dose (recorded, with its event and history) then lets that dose only."""
    found = methadone_episode(
        lan_person, clinic=world.orgs["clinic_a"], by=world.users["lan"], dose=70
    )
    _written_long_ago(found)
    _last_dosed(found, 6, world.users["lan"])  # days 5..1 missed
    message = _refused(world, found)
    assert "induction must restart" in message and world.users["lan"].display_name in message
    _refused(world, found, dose_mg=Decimal(140))
    _refused(world, found, dose_mg=Decimal(70), acknowledged=True)
    override = actions.dose_override_record(
        actor=world.users["lan"],
        episode_id=found.pk,
        day=days_ago(0),
        dose_mg=Decimal(30),
        reason="Khởi liều lại sau 5 ngày bỏ liều",
    )
    event = Event.objects.get(action=MethadoneAction.DOSE_OVERRIDE_RECORDED)
    assert event.object_id == str(override.pk) and event.person_id == found.person_id
    assert override.history.count() == 1
    # 70 mg is no longer the day's dose; one tap gives the prescriber's 30 mg.
    assert "not the prescribed" in _refused(world, found, dose_mg=Decimal(70))
    assert _tap(world, found).dose_mg == Decimal(30)


def test_regression_reduce_blocks_until_a_new_prescription(
    world: World, episode: TreatmentEpisode
) -> None:
    """4066/QĐ-BYT missed doses, 4 days: reduce. No dose until the prescriber writes one."""
    Dose.objects.filter(episode=episode).delete()
    _last_dosed(episode, 5, world.users["lan"])  # days 4..1 missed
    assert "must be reduced" in _refused(world, episode, acknowledged=True)
    actions.prescription_record(
        actor=world.users["lan"],
        episode_id=episode.pk,
        prescription=Prescription(
            starts_on=days_ago(0),
            dose_mg=Decimal(45),
            phase=Phase.STABILISATION,
            reason="Giảm liều sau bỏ liều",
        ),
    )
    assert _tap(world, episode).dose_mg == Decimal(45)


def test_assess_needs_the_nurses_confirmation_which_the_event_keeps(
    world: World, episode: TreatmentEpisode
) -> None:
    """4066/QĐ-BYT missed doses, 3 days: assess before dosing."""
    Dose.objects.filter(episode=episode).delete()
    _last_dosed(episode, 4, world.users["lan"])  # days 3..1 missed
    assert "assess the patient" in _refused(world, episode)
    dose = _tap(world, episode, acknowledged=True)
    event = Event.objects.get(action=MethadoneAction.DOSE_RECORDED, object_id=str(dose.pk))
    assert event.detail["assessed"] is True


def test_did_not_come_is_always_recorded(world: World, lan_person: Person) -> None:
    found = methadone_episode(
        lan_person, clinic=world.orgs["clinic_a"], by=world.users["lan"], dose=70
    )
    _written_long_ago(found)
    _last_dosed(found, 10, world.users["lan"])
    assert _tap(world, found, kind=DoseKind.MISSED).kind == DoseKind.MISSED


def test_a_one_day_dose_needs_a_reason_and_the_prescribers_capability(
    world: World, episode: TreatmentEpisode
) -> None:
    """ASVS 8.2.1, 8.2.2: only a prescriber of the patient's clinic records a one-day dose;
    another clinic's caseworker gets 404 and a denial event, a supervisor the same."""
    with pytest.raises(ValidationError):
        actions.dose_override_record(
            actor=world.users["lan"],
            episode_id=episode.pk,
            day=days_ago(0),
            dose_mg=Decimal(45),
            reason="  ",
        )
    for outsider in ("tuan", "hoa"):
        with pytest.raises(Http404):
            actions.dose_override_record(
                actor=world.users[outsider],
                episode_id=episode.pk,
                day=days_ago(0),
                dose_mg=Decimal(180),
                reason="Tăng liều",
            )
        assert Event.objects.filter(
            action=CaseAction.DENIED, actor=world.users[outsider], object_id=str(episode.pk)
        ).exists()
    assert not DoseOverride.objects.exists()


def test_regression_the_bulk_path_applies_the_same_checks(
    world: World, episode: TreatmentEpisode
) -> None:
    """Regression (issue 23.1): ``doses_record_bulk`` stored any amount. A batch with one
    dose off the prescription, or one patient whose dose is blocked, saves nothing and says
    which; a batch of prescribed doses is saved (an amount left out is the prescribed one)."""
    lan, clinic = world.users["lan"], world.orgs["clinic_a"]
    person = make_person(residence_commune=world.units["c1"], registered_by=clinic)
    make_case(person=person, organisation=clinic)
    absent = methadone_episode(person, clinic=clinic, by=lan, dose=70)
    _written_long_ago(absent)
    _last_dosed(absent, 6, lan)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        actions.doses_record_bulk(
            actor=lan,
            clinic=clinic,
            day=days_ago(0),
            rows=[
                DoseRow(episode.pk, DoseKind.OBSERVED, Decimal(180)),
            ],
        )
    assert "not the prescribed" in " ".join(refused.value.messages)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        actions.doses_record_bulk(
            actor=lan,
            clinic=clinic,
            day=days_ago(0),
            rows=[
                DoseRow(episode.pk, DoseKind.OBSERVED, Decimal(90)),
                DoseRow(absent.pk, DoseKind.OBSERVED, Decimal(70)),
            ],
        )
    assert "induction must restart" in " ".join(refused.value.messages)
    assert not Dose.objects.filter(given_on=days_ago(0)).exists()
    assert Event.objects.filter(action=MethadoneAction.DOSE_REFUSED).count() == 2
    count = actions.doses_record_bulk(
        actor=lan,
        clinic=clinic,
        day=days_ago(0),
        rows=[
            DoseRow(episode.pk, DoseKind.OBSERVED),
            DoseRow(absent.pk, DoseKind.MISSED),
        ],
    )
    assert count == 2
    assert Dose.objects.get(episode=episode, given_on=days_ago(0)).dose_mg == Decimal(90)
