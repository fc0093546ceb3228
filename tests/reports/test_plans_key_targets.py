"""A target of one breakdown value (issue 25 item 2: Lào Cai 2.3, "the social-affairs sector
treats 1,650 = 41.13%"): stored on the target, looked up by ``target_for``, entered on the
target form, shown on the plan page and beside its row on the dashboard.

hoa supervises province 98; commune 98101 (c1) lies in district 981 (d1).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from audit.models import Event
from reports.events import PlanAction
from reports.models import Target
from reports.plans import key_targets, target_for
from reports.registry import Period
from tests.conftest import World
from tests.factories import make_case, make_person
from tests.reports import dashboard_fixtures
from tests.reports.plan_fixtures import SHARE, make_plan, make_target

YEAR_2025 = Period(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))


@pytest.mark.usefixtures("indicators")
def test_target_for_reads_a_keys_target_and_never_takes_it_for_the_total(world: World) -> None:
    u = world.units
    plan = make_plan(u["province"])
    make_target(plan, value=Decimal("70"))
    make_target(plan, value=Decimal("41.13"), breakdown="sex", key="F")
    make_target(plan, unit=u["d1"], value=Decimal("50"), breakdown="sex", key="F")
    # The total: the province's 70, never a key's.
    total = target_for(u["c1"], SHARE, YEAR_2025)
    assert total is not None and (total.value, total.key) == (Decimal("70"), "")
    # The key: commune 98101 takes its district's 50; commune 98201 the province's 41.13.
    own = target_for(u["c1"], SHARE, YEAR_2025, breakdown="sex", key="F")
    assert own is not None and (own.value, own.unit_id) == (Decimal("50"), u["d1"].pk)
    assert (own.breakdown, own.key) == ("sex", "F")
    other = target_for(u["c3"], SHARE, YEAR_2025, breakdown="sex", key="F")
    assert other is not None and other.value == Decimal("41.13")
    # No target for the other key, and key targets never stand in for one another.
    assert target_for(u["c1"], SHARE, YEAR_2025, breakdown="sex", key="M") is None
    # key_targets: every key target of the unit in one query, with the same rules.
    found = key_targets(u["c1"], YEAR_2025)
    assert {code: {k: t.value for k, t in keys.items()} for code, keys in found.items()} == {
        SHARE: {("sex", "F"): Decimal("50")}
    }


@pytest.mark.usefixtures("indicators")
def test_a_key_without_its_breakdown_is_refused_by_the_database(world: World) -> None:
    plan = make_plan(world.units["province"])
    with pytest.raises(IntegrityError), transaction.atomic():
        make_target(plan, key="F")
    # The same indicator, unit and year: one total target and one per key.
    make_target(plan)
    make_target(plan, breakdown="sex", key="F")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_target(plan, breakdown="sex", key="F", value=Decimal("60"))


def _data(world: World, **changes: Any) -> dict[str, str]:
    data = {
        "indicator": SHARE,
        "key": "sex:F",
        "unit": str(world.units["province"].pk),
        "year": "2025",
        "comparison": "at_least",
        "value": "41,13",
        "kind": "share",
        "clause": "2.3",
        "note": "",
    }
    data.update(changes)
    return data


@pytest.mark.usefixtures("indicators")
def test_a_supervisor_sets_a_target_for_one_breakdown_value(world: World) -> None:
    plan = make_plan(world.units["province"])
    client = world.client("hoa")
    response = client.post(reverse("reports:target_add", args=[plan.pk]), _data(world))
    assert response.status_code == 302
    target = Target.objects.get()
    assert (target.breakdown, target.key, target.value) == ("sex", "F", Decimal("41.13"))
    event = Event.objects.get(action=PlanAction.TARGET_ADDED)
    assert (event.detail["breakdown"], event.detail["key"]) == ("sex", "F")
    # The plan page names the value the target is for.
    page = client.get(reverse("reports:plan_detail", args=[plan.pk])).content.decode()
    assert "Nữ" in page or "Female" in page
    assert 'data-testid="target-key"' in page
    # The edit form opens on it, and choosing the total moves the target to the total.
    url = reverse("reports:target_edit", args=[target.pk])
    assert client.get(url).context["form"]["key"].value() == "sex:F"
    client.post(url, _data(world, key="", version="1"))
    target.refresh_from_db()
    assert (target.breakdown, target.key) == ("", "")


@pytest.mark.usefixtures("indicators")
def test_a_breakdown_the_indicator_lacks_or_an_unknown_value_is_refused(world: World) -> None:
    plan = make_plan(world.units["province"])
    client = world.client("hoa")
    url = reverse("reports:target_add", args=[plan.pk])
    # A value no breakdown has (a forged form).
    forged = client.post(url, _data(world, key="sex:X"))
    assert forged.status_code == 200 and forged.context["form"].errors["key"]
    assert forged.context["form"]["value"].value() == "41,13"  # the input is kept
    # A breakdown the indicator does not offer (the test indicators have no sector).
    lacking = client.post(url, _data(world, key="sector:Xã hội"))
    assert lacking.status_code == 200 and "key" in lacking.context["form"].errors
    # With a share over 100% too: both said at once, and nothing about a half-set value
    # ("choose both the breakdown and its value" was said as well).
    both = client.post(url, _data(world, key="sector:Xã hội", value="150"))
    errors = both.context["form"].errors
    assert set(errors) == {"key", "value"}, errors
    assert len(errors["key"]) == 1
    assert not Target.objects.exists()


@pytest.mark.usefixtures("indicators")
def test_each_choice_names_its_breakdown(world: World) -> None:
    """A closed list shows only the chosen option: "Xã hội" alone did not say it is a sector."""
    plan = make_plan(world.units["province"])
    page = world.client("hoa").get(reverse("reports:target_add", args=[plan.pk]))
    choices = dict(
        option
        for _group, options in page.context["form"].fields["key"].choices[1:]
        for option in options
    )
    assert choices["sector:Xã hội"] == "Ngành của cơ sở cung cấp: Xã hội"
    assert choices["sex:F"] == "Giới tính: Nữ"


# --- the dashboard: the key's figure beside its target ------------------------------------------

indicators_dashboard = dashboard_fixtures.indicators


def _resident(world: World, sex: str, *, treated: bool, commune: str = "c1") -> None:
    person = make_person(
        residence_commune=world.units[commune], registered_by=world.orgs["clinic_a"], sex=sex
    )
    if treated:
        make_case(
            person=person,
            organisation=world.orgs["clinic_a"],
            category="addiction",
            opened_on=datetime.date(2026, 3, 1),
        )


def test_the_dashboard_shows_a_keys_target_beside_its_figure(
    world: World, indicators_dashboard: Any
) -> None:
    """Worked by hand: commune 98101 has 3 women (2 treated) and 2 men (1 treated).

    TEST_ADDICTION (the share of residents treated) is 3 / 5 = 60,0% against the total's
    target ≥ 70%: not met. Women: 2 / 3 = 66,7% against their own target ≥ 60%: met.
    """
    for sex, treated in [("F", True), ("F", True), ("F", False), ("M", True), ("M", False)]:
        _resident(world, sex, treated=treated)
    code = dashboard_fixtures.ADDICTION.code
    plan = make_plan(world.units["province"], first_year=2026, last_year=2026)
    make_target(plan, indicator=code, year=2026, value=Decimal("70"))
    make_target(plan, indicator=code, year=2026, value=Decimal("60"), breakdown="sex", key="F")
    client = world.client("hoa")
    response = client.get(reverse("reports:dashboard"), {"period": "year", "year": "2026"})
    line = next(
        line
        for view, lines in response.context["sections"]
        for line, _url in lines
        if line.indicator.code == code
    )
    assert (line.total.text, line.target, line.status.code) == ("60,0%", "≥ 70%", "not_met")
    [key] = line.key_lines
    assert (key.figure.text, key.figure.detail, key.target, key.status.code) == (
        "66,7%",
        "2 / 3",
        "≥ 60%",
        "met",
    )
    assert key.label == "Giới tính: Nữ"
    page = response.content.decode()
    assert f'data-testid="key-{code}"' in page and "≥ 60%" in page
    # The indicator page shows it in its summary too.
    detail = client.get(
        reverse("reports:indicator"), {"code": code, "period": "year", "year": "2026"}
    )
    [shown] = detail.context["detail"].key_lines
    assert (shown.figure.text, shown.status.code) == ("66,7%", "met")


def test_a_keys_small_count_is_hidden_from_a_viewer_outside_the_unit(
    world: World, indicators_dashboard: Any
) -> None:
    """minh (commune 98101) looks at district 982: its figures come through suppression.

    Commune 98201 has 2 women treated of 3 and 3 men treated of 6. The women's row, a count
    of 2, is "< 5" under its own target as it is in the sex column: the key row may not
    show what the breakdown hides (and links to nobody).
    """
    for sex, treated in [("F", True), ("F", True), ("F", False)] + [("M", n < 3) for n in range(6)]:
        _resident(world, sex, treated=treated, commune="c3")
    code = dashboard_fixtures.ADDICTION.code
    plan = make_plan(world.units["province"], first_year=2026, last_year=2026)
    make_target(plan, indicator=code, year=2026, value=Decimal("60"), breakdown="sex", key="F")
    response = world.client("minh").get(
        reverse("reports:dashboard"), {"unit": "982", "period": "year", "year": "2026"}
    )
    line = next(
        line
        for view, lines in response.context["sections"]
        for line, _url in lines
        if line.indicator.code == code
    )
    [key] = line.key_lines
    assert (key.figure.text, key.figure.suppressed, key.figure.url) == ("< 5", True, None)
    assert key.status.code == "hidden"
    assert "2 / 3" not in response.content.decode()
