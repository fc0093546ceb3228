"""The ASSIST form asks substance by substance: Q1 first, then Q2–Q7 only for the substances
used, as radio groups, without JavaScript. Scoring is the instrument's, unchanged.

Regression for issue 23 item 10 (ASSIST): the form was one page of 70 dropdowns (13,270 px
at 360 px), 28 of them for a three-substance screen.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from cases.models import Case, Person
from services.models import Screening, ScreeningScore
from tests.conftest import World
from tests.services.test_instrument_assist import CODES, screening, used

pytestmark = pytest.mark.django_db


def _url(case: Case) -> str:
    return reverse("services:record_add", args=[case.pk, "screening-assist"])


def _form(content: str) -> str:
    """Return the screening form's HTML (not the page's language switcher)."""
    return content.split('data-testid="screening-form"', 1)[1].split("</form>", 1)[0]


def _radio_groups(content: str) -> set[str]:
    return set(re.findall(r'type="radio" name="([a-z0-9_]+)"', content))


def _first_step(*ever: str) -> dict[str, str]:
    answers = {f"{code}_q1": "yes" if code in ever else "no" for code in CODES}
    return answers | {"screened_on": "20/11/2026"}


def test_step_1_asks_only_which_substances_were_ever_used(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    page = _form(world.client("lan").get(_url(case)).content.decode())
    assert "<select" not in page
    assert _radio_groups(page) == {f"{code}_q1" for code in CODES}


def test_step_2_asks_questions_2_to_8_only_for_the_substances_used(
    world: World, lan_person: Person
) -> None:
    case = Case.objects.get(person=lan_person)
    data = _first_step("tobacco", "alcohol", "opioids") | {"step": "2"}
    response = world.client("lan").post(_url(case), data)
    assert response.status_code == 200 and not Screening.objects.exists()
    page = _form(response.content.decode())
    assert "<select" not in page
    asked = {f"{code}_q{n}" for code in ("alcohol", "opioids") for n in range(2, 8)}
    asked |= {f"tobacco_q{n}" for n in (2, 3, 4, 6, 7)}  # no Q5 for tobacco
    assert _radio_groups(page) == asked | {"q8", "q8_pattern"}
    assert len(asked) == 17
    # Step 1's answers travel with the page (nothing is kept on the server).
    assert 'type="hidden" name="alcohol_q1" value="yes"' in page
    assert 'type="hidden" name="cannabis_q1" value="no"' in page


def test_a_step_1_mistake_is_shown_on_step_1_with_the_answers_kept(
    world: World, lan_person: Person
) -> None:
    case = Case.objects.get(person=lan_person)
    data = _first_step("alcohol") | {"step": "2"}
    del data["cannabis_q1"]
    response = world.client("lan").post(_url(case), data)
    form = response.context["form"]
    assert form.step == 1 and list(form.errors) == ["cannabis_q1"]
    assert form["alcohol_q1"].value() == "yes"
    assert 'name="alcohol_q1" value="yes" id="id_alcohol_q1_1" checked' in response.content.decode()


def test_the_hand_scored_case_scores_right_through_the_two_steps(
    world: World, lan_person: Person
) -> None:
    """Opioids 33 high, tobacco 9 moderate, alcohol 3 low (test_instrument_assist's worked case)."""
    case = Case.objects.get(person=lan_person)
    answers = screening(
        used("opioids", "daily", "daily", "weekly", "monthly", q6="yes_recent", q7="yes_earlier"),
        used("tobacco", "daily", "once_twice", "never"),
        used("alcohol", "monthly", "never", "never", "never"),
        q8="yes_recent",
    ) | {"q8_pattern": "weekly_or_less", "screened_on": "20/11/2026"}
    response = world.client("lan").post(_url(case), answers)
    assert response.status_code == 302, response.context["form"].errors
    scores = dict(ScreeningScore.objects.values_list("item", "score"))
    assert (scores["opioids"], scores["tobacco"], scores["alcohol"]) == (33, 9, 3)
    assert Screening.objects.get().level == "high"


def test_a_skipped_question_left_answered_on_the_page_is_left_out(
    world: World, lan_person: Person
) -> None:
    """Radio answers cannot be cleared: Q3–Q5 of a substance whose Q2 became "never", and the
    injecting pattern after Q8 became "no", are hidden and not stored."""
    case = Case.objects.get(person=lan_person)
    answers: dict[str, Any] = screening(used("cannabis", "never", q7="yes_earlier"), q8="no_never")
    answers |= {"cannabis_q3": "weekly", "cannabis_q4": "daily", "q8_pattern": "weekly_or_less"}
    response = world.client("lan").post(_url(case), answers | {"screened_on": "20/11/2026"})
    assert response.status_code == 302, response.context["form"].errors
    assert ScreeningScore.objects.get(item="cannabis").score == 3
    stored = Screening.objects.get()
    assert "cannabis_q3" not in str(stored.answers) and "q8_pattern" not in str(stored.answers)


def test_nothing_ever_used_ends_after_step_1(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    client = world.client("lan")
    step2 = client.post(_url(case), _first_step() | {"step": "2"})
    assert _radio_groups(step2.content.decode()) == set()
    assert client.post(_url(case), _first_step()).status_code == 302
    assert Screening.objects.get().level == "low"


def test_going_back_to_step_1_keeps_the_step_2_answers(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    data = _first_step("alcohol") | {"alcohol_q2": "weekly", "step": "1"}
    page = world.client("lan").post(_url(case), data)
    assert page.context["form"].step == 1
    assert 'type="hidden" name="alcohol_q2" value="weekly"' in page.content.decode()
