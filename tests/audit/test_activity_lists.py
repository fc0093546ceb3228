"""List and search pages count as reads of every person they showed, for the activity flags."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from audit.selectors import unusual_activity
from cases.events import CaseAction
from tests.audit.test_auditor_pages import _event_at
from tests.conftest import World


def _weekday_at(hour: int) -> datetime:
    """The latest past weekday moment at this local hour."""
    today = timezone.localdate()
    moment = timezone.make_aware(datetime.combine(today, datetime.min.time())) + timedelta(
        hours=hour
    )
    while moment > timezone.now() or timezone.localtime(moment).isoweekday() >= 6:
        moment -= timedelta(days=1)
    return moment


def _people(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


def test_a_list_page_counts_each_person_it_showed(world: World) -> None:
    """ASVS 16.3.x: paging through lists that show names is reading those records: two
    case-list pages of 25 names each today, against a habit of none, is a volume flag."""
    lan = world.users["lan"]
    noon = _weekday_at(12)
    for _ in range(2):
        _event_at(noon, actor=lan, action=CaseAction.CASE_LIST, detail={"people": _people(25)})
    flags = {(f.username, f.kind): f for f in unusual_activity(viewer=world.users["an"])}
    assert flags[("lan", "volume")].count == 50


def test_a_search_at_night_is_an_off_hours_read(world: World) -> None:
    tuan = world.users["tuan"]
    _event_at(
        _weekday_at(23),
        actor=tuan,
        action=CaseAction.SEARCH,
        detail={"kind": "name", "people": _people(3)},
    )
    # A search that showed nobody is not a read.
    _event_at(_weekday_at(23), actor=world.users["minh"], action=CaseAction.SEARCH, detail={})
    flags = {(f.username, f.kind): f for f in unusual_activity(viewer=world.users["an"])}
    assert flags[("tuan", "off_hours")].count == 3
    assert ("minh", "off_hours") not in flags
