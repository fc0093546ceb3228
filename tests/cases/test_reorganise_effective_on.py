"""reorganise_units --effective-on: the new map's first day as the decree gives it, not the
day the command runs (D62); refused after today or before the last run's day."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from cases.models import AdministrativeUnit
from cases.reorganisation_models import Reorganisation
from reports.oldmap import reorganisation_for
from reports.registry import Period
from tests.cases.test_reorganise import MAPPING, Map

pytestmark = pytest.mark.django_db

D = datetime.date


def _mapping(tmp_path: Path) -> Path:
    path = tmp_path / "mapping.csv"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def test_the_run_takes_effect_on_the_day_given(db: None, tmp_path: Path) -> None:
    """The 2025 map took effect on 1 July; an instance applying it later says so, and a
    period that started before that day is offered the old map."""
    Map()
    out = io.StringIO()
    call_command(
        "reorganise_units", str(_mapping(tmp_path)), "--effective-on", "2025-07-01", stdout=out
    )
    run = Reorganisation.objects.get()
    assert run.effective_on == D(2025, 7, 1)
    assert "Takes effect on 2025-07-01." in out.getvalue()
    assert reorganisation_for(Period(D(2025, 6, 1), D(2025, 6, 30))) == run
    assert reorganisation_for(Period(D(2025, 7, 1), D(2025, 7, 31))) is None


def test_without_the_option_the_run_takes_effect_today(db: None, tmp_path: Path) -> None:
    Map()
    call_command("reorganise_units", str(_mapping(tmp_path)), stdout=io.StringIO())
    assert Reorganisation.objects.get().effective_on == timezone.localdate()


@pytest.mark.parametrize("given", ["01/07/2025", "2025-02-30", "tomorrow"])
def test_a_day_not_written_yyyy_mm_dd_is_refused(db: None, tmp_path: Path, given: str) -> None:
    Map()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("reorganise_units", str(_mapping(tmp_path)), "--effective-on", given)
    assert not Reorganisation.objects.exists()


def test_a_day_after_today_is_refused_and_nothing_is_written(db: None, tmp_path: Path) -> None:
    Map()
    names = list(AdministrativeUnit.objects.values_list("code", "name"))
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    with pytest.raises(CommandError, match="after today"):
        call_command("reorganise_units", str(_mapping(tmp_path)), "--effective-on", tomorrow)
    assert not Reorganisation.objects.exists()
    assert list(AdministrativeUnit.objects.values_list("code", "name")) == names


def test_a_day_before_the_last_run_s_is_refused(db: None, tmp_path: Path) -> None:
    """Runs take effect in the order they are applied: the old-map choice reads the latest."""
    Map()
    Reorganisation.objects.create(
        applied_at=timezone.now(), effective_on=D(2025, 7, 1), by="ops", source="earlier.csv"
    )
    with pytest.raises(CommandError, match="2025-07-01"):
        call_command("reorganise_units", str(_mapping(tmp_path)), "--effective-on", "2025-06-30")
    assert Reorganisation.objects.count() == 1
