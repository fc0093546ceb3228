"""Prescribing: the guideline's checks, the override reason, the prescriber, where it shows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from audit.models import Event
from cases.events import CaseAction
from cases.models import Case, Person
from services.methadone.events import MethadoneAction
from services.methadone.models import Prescription
from services.models import TreatmentEpisode
from tests.conftest import World
from tests.methadone.support import days_ago, methadone_episode


@pytest.fixture
def episode(world: World, lan_person: Person) -> TreatmentEpisode:
    """In treatment for 10 days at clinic A on 30 mg (induction)."""
    found = methadone_episode(
        lan_person, clinic=world.orgs["clinic_a"], by=world.users["lan"], started=10, dose=None
    )
    Prescription.objects.create(
        case=found.case,
        episode=found,
        starts_on=days_ago(10),
        dose_mg=30,
        phase="induction",
        prescriber=world.users["lan"],
        recorded_by=world.users["lan"],
    )
    return found


def _form(**values: Any) -> dict[str, str]:
    data = {
        "starts_on": days_ago(0).strftime("%d/%m/%Y"),
        "dose_mg": "40",
        "phase": "stabilisation",
        "take_home_days": "0",
        "prescriber": "",
        "reason": "Còn hội chứng cai",
        "override_reason": "",
    }
    return data | {k: str(v) for k, v in values.items()}


def test_an_increase_within_the_rules_is_saved_without_a_flag(
    world: World, episode: TreatmentEpisode
) -> None:
    url = reverse("methadone:prescription_add", args=[episode.pk])
    response = world.client("lan").post(url, _form())
    assert response.status_code == 302
    new = Prescription.objects.get(episode=episode, starts_on=days_ago(0))
    assert (new.dose_mg, new.rule_flags, new.prescriber) == (Decimal(40), [], world.users["lan"])
    assert new.review_due_on == days_ago(-5)
    old = Prescription.objects.get(episode=episode, starts_on=days_ago(10))
    assert old.review_due_on is None
    assert (
        Event.objects.filter(
            action=MethadoneAction.PRESCRIPTION_RECORDED, object_id=str(new.pk)
        ).count()
        == 1
    )


def test_a_breach_asks_for_a_reason_and_keeps_what_was_typed(
    world: World, episode: TreatmentEpisode
) -> None:
    """4066/QĐ-BYT dose adjustment: +20 mg at once breaks the 10 mg step."""
    url = reverse("methadone:prescription_add", args=[episode.pk])
    response = world.client("lan").post(url, _form(dose_mg="50", reason="Bệnh nhân yêu cầu"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="breaches"' in page
    assert 'value="50"' in page and "Bệnh nhân yêu cầu" in page
    assert not Prescription.objects.filter(starts_on=days_ago(0)).exists()


def test_with_an_override_reason_the_breach_is_saved_and_flagged(
    world: World, episode: TreatmentEpisode
) -> None:
    url = reverse("methadone:prescription_add", args=[episode.pk])
    data = _form(dose_mg="50", override_reason="Dung nạp cao, đã hội chẩn")
    assert world.client("lan").post(url, data).status_code == 302
    new = Prescription.objects.get(starts_on=days_ago(0))
    assert new.rule_flags == ["increase_too_large"]
    assert new.override_reason == "Dung nạp cao, đã hội chẩn"
    event = Event.objects.get(action=MethadoneAction.PRESCRIPTION_RECORDED)
    assert event.detail["flags"] == ["increase_too_large"]


def test_a_second_prescription_the_same_day_changes_that_days_order(
    world: World, episode: TreatmentEpisode
) -> None:
    """A prescription typed wrong is changed, not doubled; its history keeps the old dose."""
    url = reverse("methadone:prescription_add", args=[episode.pk])
    client = world.client("lan")
    client.post(url, _form())
    response = client.post(url, _form(dose_mg="35"))
    assert response.status_code == 302
    today = Prescription.objects.get(episode=episode, starts_on=days_ago(0))
    assert today.dose_mg == Decimal(35) and today.version == 2
    assert sorted(h.dose_mg for h in today.history.all()) == [Decimal(35), Decimal(40)]
    events = Event.objects.filter(action=MethadoneAction.PRESCRIPTION_RECORDED).order_by("at")
    assert [e.detail["replaced"] for e in events] == [False, True]


def test_the_prescriber_must_work_at_the_clinic(world: World, episode: TreatmentEpisode) -> None:
    url = reverse("methadone:prescription_add", args=[episode.pk])
    response = world.client("lan").post(url, _form(prescriber=world.users["tuan"].pk))
    assert response.status_code == 200
    assert "prescriber" in response.context["form"].errors
    assert not Prescription.objects.filter(starts_on=days_ago(0)).exists()


@pytest.mark.parametrize("who", ["tuan", "hoa", "minh"])
def test_who_does_not_prescribe_here_gets_404_and_is_logged(
    world: World, episode: TreatmentEpisode, who: str
) -> None:
    """ASVS 8.2.2: another clinic's caseworker, the supervisor and the commune officer cannot
    prescribe for clinic A's patient; nothing is saved and the refusal is logged."""
    url = reverse("methadone:prescription_add", args=[episode.pk])
    response = world.client(who).post(url, _form(override_reason="x"))
    assert response.status_code == 404
    assert Prescription.objects.count() == 1
    assert Event.objects.filter(
        action=CaseAction.DENIED, actor=world.users[who], object_id=str(episode.pk)
    ).exists()


def test_the_episode_page_and_the_case_timeline_show_the_prescriptions(
    world: World, episode: TreatmentEpisode
) -> None:
    page = world.client("hoa").get(reverse("methadone:episode", args=[episode.pk]))
    assert page.status_code == 200
    assert len(page.context["prescriptions"]) == 1 and not page.context["can_prescribe"]
    case = Case.objects.get(pk=episode.case_id)
    timeline = world.client("lan").get(reverse("cases:case_detail", args=[case.pk]))
    body = timeline.content.decode()
    assert reverse("methadone:episode", args=[episode.pk]) in body
    assert reverse("methadone:prescription_add", args=[episode.pk]) in body  # the Add… menu


def test_a_review_due_shows_on_the_prescribers_start_page(
    world: World, episode: TreatmentEpisode
) -> None:
    """ "Việc của tôi" lists the prescriptions whose review is due (an indexed dues source)."""
    Prescription.objects.filter(episode=episode).update(
        review_due_on=days_ago(1), review_reason="missed_reduce"
    )
    work = world.client("lan").get(reverse("cases:my_work")).context["work"]
    assert [item.record.episode_id for item in work.due] == [episode.pk]
    assert "reduce" in str(work.due[0].label) or "giảm" in str(work.due[0].label)
    mai_work = world.client("mai").get(reverse("cases:my_work")).context["work"]
    assert mai_work.due == []  # not her prescription


def test_regression_a_prescription_dated_year_9999_is_explained_not_a_server_error(
    world: World, episode: TreatmentEpisode
) -> None:
    """Regression: "in force from 31/12/9999" answered a 500 (date overflow computing the
    review day); it is now refused with a message and the input kept."""
    url = reverse("methadone:prescription_add", args=[episode.pk])
    client = world.client("lan")
    client.raise_request_exception = False
    response = client.post(url, _form(starts_on="31/12/9999"))
    assert response.status_code == 200
    assert "starts_on" in response.context["form"].errors
    assert 'value="31/12/9999"' in response.content.decode()


def test_a_split_dose_is_documented_on_the_prescription(
    world: World, episode: TreatmentEpisode
) -> None:
    """A prescription may document its daily dose in equal parts (the counter may give one)."""
    url = reverse("methadone:prescription_add", args=[episode.pk])
    response = world.client("lan").post(url, _form(split_parts=2))
    assert response.status_code == 302
    assert Prescription.objects.get(episode=episode, starts_on=days_ago(0)).split_parts == 2
    page = world.client("lan").get(reverse("methadone:episode", args=[episode.pk]))
    assert "2 phần bằng nhau" in page.content.decode()
