"""Every result level of every instrument is shown with that instrument's own label.

Regression for issue 23 item 3: ASSIST "moderate risk" was shown as "moderate substance use
disorder" (the DSM-5 label for the same code) on the screening page and the case timeline,
because the two instruments' labels shared one dictionary.
"""

from __future__ import annotations

import html

import pytest
from django.urls import reverse
from django.utils import translation

from cases.models import Case, Person
from services import instruments
from services.instruments.substances import SUBSTANCES
from services.models import Screening
from tests.conftest import World

pytestmark = pytest.mark.django_db

NO_SUBSTANCE = {f"{s.code}_q1": "no" for s in SUBSTANCES}
DSM5_CRITERIA = [
    "larger_longer",
    "cut_down",
    "time_spent",
    "craving",
    "role_failure",
    "social_problems",
    "activities_given_up",
    "hazardous_use",
    "health_problems",
    "tolerance",
    "withdrawal",
]


def _dsm5(met: int) -> dict[str, str]:
    answers = {"substance": "alcohol"}
    answers |= {code: "yes" if n < met else "no" for n, code in enumerate(DSM5_CRITERIA)}
    return answers


# (slug, instrument code, level code, the instrument's own label (English msgid), answers)
LEVELS = [
    ("screening-assist", "assist", "low", "Low risk", NO_SUBSTANCE),
    (
        "screening-assist", "assist", "moderate", "Moderate risk",
        # Cannabis weekly, nothing else: 4, moderate (not alcohol: 4–26).
        NO_SUBSTANCE | {"cannabis_q1": "yes", "cannabis_q2": "weekly", "cannabis_q3": "never",
                        "cannabis_q4": "never", "cannabis_q5": "never", "cannabis_q6": "no_never",
                        "cannabis_q7": "no_never", "q8": "no_never"},
    ),
    (
        "screening-assist", "assist", "high", "High risk",
        NO_SUBSTANCE | {"alcohol_q1": "yes", "alcohol_q2": "daily", "alcohol_q3": "daily",
                        "alcohol_q4": "daily", "alcohol_q5": "daily", "alcohol_q6": "yes_recent",
                        "alcohol_q7": "yes_recent", "q8": "no_never"},
    ),
    ("screening-dsm5", "dsm5_sud", "none", "No substance use disorder", _dsm5(1)),
    ("screening-dsm5", "dsm5_sud", "mild", "Mild substance use disorder", _dsm5(3)),
    ("screening-dsm5", "dsm5_sud", "moderate", "Moderate substance use disorder", _dsm5(5)),
    ("screening-dsm5", "dsm5_sud", "severe", "Severe substance use disorder", _dsm5(6)),
]  # fmt: skip


def test_the_table_covers_every_level_of_every_instrument() -> None:
    covered = {(code, level) for _, code, level, _, _ in LEVELS}
    defined = {(each.code, level) for each in instruments.current() for level in each.levels}
    assert covered == defined
    for _, code, level, label, _ in LEVELS:
        with translation.override("en"):
            assert str(instruments.latest(code).levels[level]) == label


def _others(code: str, level: str) -> set[str]:
    """Return the labels other instruments give a level (what must not be shown instead)."""
    return {label for _, other, lv, label, _ in LEVELS if other != code and lv == level}


@pytest.mark.parametrize(
    ("slug", "code", "level", "label", "answers"),
    LEVELS,
    ids=[f"{c}-{lv}" for _, c, lv, _, _ in LEVELS],
)
def test_every_level_is_shown_with_the_instruments_own_label(
    world: World,
    lan_person: Person,
    slug: str,
    code: str,
    level: str,
    label: str,
    answers: dict[str, str],
) -> None:
    case = Case.objects.get(person=lan_person)
    client = world.client("lan")
    posted = client.post(
        reverse("services:record_add", args=[case.pk, slug]),
        {**answers, "screened_on": "20/11/2026"},
    )
    assert posted.status_code == 302, posted.context["form"].errors
    screening = Screening.objects.get(case=case)
    assert (screening.instrument, screening.level) == (code, level)
    with translation.override("vi"):
        own = translation.gettext(label)
        others = {translation.gettext(text) for text in _others(code, level)}
    detail = client.get(reverse("services:record_detail", args=[slug, screening.pk]))
    page = html.unescape(detail.content.decode())
    assert f"{own}" in page
    assert not any(other in page for other in others), others
    timeline = client.get(reverse("cases:case_detail", args=[case.pk]))
    entries = [e for e in timeline.context["entries"] if str(screening.pk) in str(e.url)]
    assert [str(e.title) for e in entries] == [own]
    text = html.unescape(timeline.content.decode())
    assert own in text and not any(other in text for other in others)
