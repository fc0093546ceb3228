"""Days waiting and overdue highlighting counted in working days (holidays off), the
start page's overdue count, and the supervisors' referral figures."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from calendar_days.workdays import is_working_day, working_days_between
from cases.models import Case
from referrals import figures, selectors
from referrals.models import Referral, State
from tests.conftest import World
from tests.referrals.test_views import SENT, make_referral, make_resident

# Reunification Day and Labour Day (30/4, 1/5) fall inside this window, and a weekend.
SENT_ON = datetime.date(2026, 4, 28)
DUE_ON = datetime.date(2026, 5, 5)
TODAY = datetime.date(2026, 5, 6)


@pytest.fixture
def commune_case(world: World) -> Case:
    return Case.objects.get(person=make_resident(world))


@pytest.fixture
def late(world: World, commune_case: Case, monkeypatch: Any) -> Referral:
    """A referral sent on 28/4/2026, due 5/5, unanswered on 6/5 (the holidays between)."""
    referral = make_referral(world, commune_case, steps=SENT)
    Referral.objects.filter(pk=referral.pk).update(sent_on=SENT_ON, answer_due_on=DUE_ON)
    monkeypatch.setattr(selectors, "today", lambda: TODAY)
    return Referral.objects.get(pk=referral.pk)


def test_the_window_holds_public_holidays(db: Any) -> None:
    assert not is_working_day(datetime.date(2026, 4, 30))
    assert not is_working_day(datetime.date(2026, 5, 1))


def test_days_waiting_skip_the_holidays_and_the_weekend(late: Referral) -> None:
    row = selectors.row_of(late, TODAY)
    calendar_days = (TODAY - SENT_ON).days
    assert row.days_waiting == working_days_between(SENT_ON, TODAY)
    assert row.days_waiting is not None and row.days_waiting <= calendar_days - 4
    assert row.overdue


def test_the_queue_highlights_the_overdue_row(world: World, late: Referral) -> None:
    page = world.client("tuan").get(reverse("referrals:queue"), {"tab": "waiting"})
    html = page.content.decode()
    assert 'class="overdue"' in html and 'data-testid="overdue"' in html
    assert [r.referral.pk for r in page.context["page"].rows if r.overdue] == [late.pk]


def test_not_overdue_on_its_due_day(world: World, late: Referral) -> None:
    assert not selectors.is_overdue(late, DUE_ON)


def test_an_answered_referral_is_no_longer_overdue(world: World, late: Referral) -> None:
    Referral.objects.filter(pk=late.pk).update(state=State.DECLINED)
    late.refresh_from_db()
    assert not selectors.is_overdue(late, TODAY)


def test_the_start_page_counts_the_overdue(world: World, late: Referral) -> None:
    for who in ("tuan", "minh", "hoa"):
        counts = {t.url.split("tab=")[1]: t.value for t in selectors.tallies(world.users[who])}
        assert counts["overdue"] == 1, who
    counts = {t.url.split("tab=")[1]: t.value for t in selectors.tallies(world.users["lan"])}
    assert counts["overdue"] == 0


def test_the_overdue_tab_lists_it(world: World, late: Referral) -> None:
    page = world.client("minh").get(reverse("referrals:queue"), {"tab": "overdue"})
    assert [r.referral.pk for r in page.context["page"].rows] == [late.pk]


# --- figures ------------------------------------------------------------------------------


def test_figures_count_sent_accepted_completed_and_the_median(
    world: World, commune_case: Case
) -> None:
    accepted = make_referral(world, commune_case, steps=(*SENT, ("accept", "tuan")))
    completed = make_referral(
        world, commune_case, steps=(*SENT, ("accept", "tuan"), ("complete", "tuan"))
    )
    make_referral(world, commune_case, steps=SENT)  # sent, no answer
    make_referral(world, commune_case)  # a draft is not counted
    day = datetime.date(2026, 3, 2)
    Referral.objects.filter(pk=accepted.pk).update(sent_on=day, answered_on=day.replace(day=4))
    Referral.objects.filter(pk=completed.pk).update(sent_on=day, answered_on=day.replace(day=8))
    Referral.objects.exclude(pk__in=[accepted.pk, completed.pk]).filter(
        sent_on__isnull=False
    ).update(sent_on=day)
    table = figures.referral_figures(
        viewer=world.users["hoa"],
        since=datetime.date(2026, 1, 1),
        until=datetime.date(2026, 12, 31),
    )
    assert (table.total.sent, table.total.accepted, table.total.completed) == (3, 2, 1)
    assert table.total.median_days == 4.0  # 2 and 6 days
    assert table.total.share_completed == 33.3
    assert [(r.label, r.sent) for r in table.by_organisation] == [("Methadone B", 3)]


def test_figures_are_the_supervisors_and_scoped_to_their_unit(
    world: World, commune_case: Case
) -> None:
    make_referral(world, commune_case, steps=SENT)
    assert world.client("hoa").get(reverse("referrals:figures")).status_code == 200
    for who in ("lan", "minh", "an"):
        assert world.client(who).get(reverse("referrals:figures")).status_code == 403
    # A supervisor of district 982 counts nobody living in commune 98101.
    from accounts.models import User
    from cases.models import StaffProfile

    StaffProfile.objects.filter(user=world.users["hoa"]).update(scope_unit=world.units["d2"])
    today = timezone.localdate()
    hoa = User.objects.get(username="hoa")
    table = figures.referral_figures(viewer=hoa, since=today.replace(month=1, day=1), until=today)
    assert table.total.sent == 0


def test_a_bad_period_shows_an_error_and_no_figures(world: World) -> None:
    page = world.client("hoa").get(
        reverse("referrals:figures"), {"since": "31/12/2026", "until": "01/01/2026"}
    )
    assert page.status_code == 200
    assert page.context["table"] is None and "until" in page.context["form"].errors
