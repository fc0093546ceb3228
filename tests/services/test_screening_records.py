"""Screenings recorded on a case: scored by the instrument, answers encrypted, scores in clear.

Scoring itself is tested against the published instruments in test_instrument_*.py; here
the form, the stored record, the timeline, and who may record one.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from audit.models import Event
from cases.models import Case, Person
from services.instruments import assist_v3_0
from services.instruments.substances import SUBSTANCES
from services.models import Screening, ScreeningScore
from tests.conftest import World
from tests.factories import make_case

pytestmark = pytest.mark.django_db

URL = "services:record_add"


def _assist_answers() -> dict[str, str]:
    """Alcohol daily with every consequence (39: high); nothing else ever used."""
    answers = {f"{s.code}_q1": "no" for s in SUBSTANCES}
    answers |= {
        "alcohol_q1": "yes",
        "alcohol_q2": "daily",
        "alcohol_q3": "daily",
        "alcohol_q4": "daily",
        "alcohol_q5": "daily",
        "alcohol_q6": "yes_recent",
        "alcohol_q7": "yes_recent",
        "q8": "no_never",
        "screened_on": "20/11/2026",
    }
    return answers


def test_caseworker_records_an_assist_screening(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    url = reverse(URL, args=[case.pk, "screening-assist"])
    response = world.client("lan").post(url, _assist_answers())
    assert response.status_code == 302, response.context["form"].errors
    screening = Screening.objects.get(case=case)
    assert (screening.instrument, screening.instrument_version) == ("assist", "3.0-2")
    assert screening.screener == world.users["lan"]
    assert screening.level == assist_v3_0.HIGH
    alcohol = ScreeningScore.objects.get(screening=screening, item="alcohol")
    assert (alcohol.score, alcohol.level) == (39, "high")
    assert ScreeningScore.objects.get(screening=screening, item="tobacco").score == 0
    assert alcohol.history.count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers FROM services_screening")
        (stored,) = cursor.fetchone()
    assert "daily" not in stored and "alcohol" not in stored
    assert Event.objects.get(action="service_record_added").person_id == lan_person.pk
    detail = reverse("services:record_detail", args=["screening-assist", screening.pk])
    page = world.client("lan").get(detail)
    assert page.status_code == 200
    assert page.context["screening"].scores[1][1] == 39  # alcohol, second in the list
    timeline = world.client("lan").get(reverse("cases:case_detail", args=[case.pk]))
    assert detail in timeline.content.decode()
    # The entry names the instrument once, then the result.
    (entry,) = [e for e in timeline.context["entries"] if e.url == detail]
    assert str(entry.kind) not in str(entry.title)
    assert str(entry.title) == str(assist_v3_0.RISK_LEVELS[assist_v3_0.HIGH])


def test_a_missing_answer_is_named_and_nothing_is_saved(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    answers = _assist_answers()
    del answers["alcohol_q3"]
    response = world.client("lan").post(reverse(URL, args=[case.pk, "screening-assist"]), answers)
    assert response.status_code == 200
    assert "alcohol_q3" in response.context["form"].errors
    assert response.context["form"]["alcohol_q2"].value() == "daily"  # the input is kept
    assert not Screening.objects.exists()


def test_a_screening_cannot_be_edited(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    world.client("lan").post(reverse(URL, args=[case.pk, "screening-assist"]), _assist_answers())
    screening = Screening.objects.get()
    edit = reverse("services:record_edit", args=["screening-assist", screening.pk])
    assert world.client("lan").get(edit).status_code == 404


def test_outsider_cannot_screen_another_clinics_person_and_is_logged(
    world: World, lan_person: Person
) -> None:
    """ASVS 8.2.2: a caseworker of clinic B posts a screening onto clinic A's case."""
    case = Case.objects.get(person=lan_person)
    url = reverse(URL, args=[case.pk, "screening-assist"])
    assert world.client("tuan").post(url, _assist_answers()).status_code == 404
    assert not Screening.objects.exists()
    assert Event.objects.filter(action="denied", actor=world.users["tuan"]).exists()


def test_the_needs_assessment_is_offered_to_victims_only(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)  # a drug case
    url = reverse(URL, args=[case.pk, "screening-needs"])
    assert world.client("lan").get(url).status_code == 403


def test_the_needs_assessment_names_the_services_to_offer_from_the_catalogue(
    world: World, lan_person: Person
) -> None:
    case = make_case(
        person=lan_person, organisation=world.orgs["clinic_a"], category="trafficking_victim"
    )
    domains = ["health", "psychological", "legal", "housing", "education_vocational"]
    answers = {f"{domain}_need": "none" for domain in [*domains, "family_safety"]}
    answers |= {"financial_need": "urgent", "screened_on": "20/11/2026"}
    url = reverse(URL, args=[case.pk, "screening-needs"])
    response = world.client("lan").post(url, answers)
    assert response.status_code == 302, response.context["form"].errors
    screening = Screening.objects.get(case=case)
    detail = reverse("services:record_detail", args=["screening-needs", screening.pk])
    services = world.client("lan").get(detail).context["screening"].services
    # Financial needs: the hardship allowance and a loan, as the catalogue names them.
    assert services == [("Trợ cấp khó khăn ban đầu", True), ("Hỗ trợ vay vốn", True)]
