"""Methadone figures on a small hand-made dataset whose expected values are worked out here.

Today is 15/11/2026 for the figures (yesterday, 14/11, ends every window). All episodes are
methadone episodes at clinic A, held by clinic A (lan's), unless said otherwise.

E1 (started 20/09/2026, open). Rows: observed every day from 19/09 (one day *before* the
start: not expected, not counted) to 15/11 (today: outside every window), except
  01/10 no row; 31/10 no row; 01/11 "did not come" row; 02/11 take-home; 03/11 "did not come".
  30 days (16/10–14/11): expected 30; not dosed 31/10, 01/11, 03/11 → dosed 27 → 90.0 %.
  90 days (17/08–14/11): expected 20/09–14/11 = 11 + 31 + 14 = 56; not dosed 01/10, 31/10,
  01/11, 03/11 → dosed 52 → 52/56 = 92.857… → 92.9 %.
  Runs: 01/10 (1 day); 31/10–01/11 (2 days, across the month boundary); 03/11 (1 day).
  Time in treatment: 20/09–15/11 = 11 + 31 + 15 = 57 days.
E2 (started 01/10/2026, ended 20/10/2026, dropped out). Observed 16/10, 18/10, 20/10 and 25/10
  (after the end: not counted). 30 days: expected 16/10–20/10 = 5, dosed 3 → 60.0 %.
E3 (started today): no expected day → no adherence figure (None, not 0 %).
H (started 10/06/2026, open): observed every day 16/10–14/11 → 30/30 = 100 %.

Retention (months 12/2024 … 11/2026; 6 months ready for months up to 04/2026, whose last day
+ 6 months ≤ today; 12 months for months up to 10/2025). Month 03/2025:
  a 10/03/2025 open                          6: retained   12: retained
  b 31/03/2025 ended 30/09/2025 dropped out  6: retained (mark 30/09, clamped; the end day
                                              counts)       12: not
  c 01/03/2025 ended 31/08/2025 dropped out  6: not (mark 01/09)  12: not
  d 15/03/2025 ended 15/05/2025 transferred  left out of both cohorts
  e 20/03/2025 ended 01/12/2025 transferred  6: retained   12: left out (transferred before)
  f 05/03/2025 ended 05/01/2026 died         6: retained   12: not
  → enrolled 6; 6 months 4/5 = 80.0 %; 12 months 1/4 = 25.0 %.
Month 02/2026: g 01/02/2026 ended 03/11/2026 completed → 6 months 1/1 = 100 %, 12 not ready.
Month 06/2026: H → enrolled 1, 6 months not ready. 11/2024: one episode, outside the table.
Counts today: in treatment E1, E3, a, H and the one of 11/2024 = 5 (E2, the others ended);
new this month E3 = 1; stopped this month g = 1.
Distribution (in treatment yesterday): a and 11/2024's (no rows) 0 % → < 50; E1 90 % →
80–94; H 100 % → ≥ 95. E2 (60 %) ended before yesterday: not counted; E3 started today: not.
Not counted anywhere: a methadone episode at clinic B, a facility episode at clinic A.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from audit.models import Event
from services.methadone import charts, figures
from services.methadone.models import Dose, DoseKind
from services.models import TreatmentEpisode
from tests.conftest import World
from tests.factories import make_case, make_person
from tests.test_every_form_survives_bad_input import BAD_VALUES

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 11, 15)
OBSERVED, TAKE_HOME, MISSED = DoseKind.OBSERVED, DoseKind.TAKE_HOME, DoseKind.MISSED


def _days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


class Clinic:
    """Builds patients with a case held by a clinic and one episode each."""

    def __init__(self, world: World, org: str = "clinic_a", user: str = "lan") -> None:
        self.world, self.org, self.user = world, world.orgs[org], world.users[user]

    def episode(
        self,
        started: datetime.date,
        ended: datetime.date | None = None,
        outcome: str = "ongoing",
        *,
        modality: str = "methadone",
        name: str = "Đỗ Văn Mẫu",
    ) -> TreatmentEpisode:
        person = make_person(
            full_name=name, residence_commune=self.world.units["c1"], registered_by=self.org
        )
        case = make_case(person=person, organisation=self.org)
        return TreatmentEpisode.objects.create(
            case=case,
            modality=modality,
            provider=self.org,
            started_on=started,
            ended_on=ended,
            outcome=outcome if ended else "ongoing",
            recorded_by=self.user,
        )

    def doses(self, episode: TreatmentEpisode, days: Mapping[datetime.date, int]) -> None:
        Dose.objects.bulk_create(
            Dose(
                episode=episode,
                given_on=day,
                kind=kind,
                recorded_by=self.user,
                dose_mg=None if kind == MISSED else 60 + day.day % 3 * 5,
            )
            for day, kind in days.items()
        )


@pytest.fixture
def e1(world: World) -> TreatmentEpisode:
    clinic = Clinic(world)
    episode = clinic.episode(D(2026, 9, 20))
    days = dict.fromkeys(_days(D(2026, 9, 19), TODAY), OBSERVED)
    del days[D(2026, 10, 1)], days[D(2026, 10, 31)]
    days |= {D(2026, 11, 1): MISSED, D(2026, 11, 2): TAKE_HOME, D(2026, 11, 3): MISSED}
    clinic.doses(episode, days)
    return episode


@pytest.fixture
def dataset(world: World, e1: TreatmentEpisode) -> dict[str, TreatmentEpisode]:
    clinic = Clinic(world)
    found = {"e1": e1}
    found["e2"] = clinic.episode(D(2026, 10, 1), D(2026, 10, 20), "dropped_out")
    clinic.doses(found["e2"], dict.fromkeys([D(2026, 10, d) for d in (16, 18, 20, 25)], OBSERVED))
    found["e3"] = clinic.episode(TODAY)
    found["h"] = clinic.episode(D(2026, 6, 10))
    clinic.doses(found["h"], dict.fromkeys(_days(D(2026, 10, 16), D(2026, 11, 14)), OBSERVED))
    march = [
        ("a", D(2025, 3, 10), None, "ongoing"),
        ("b", D(2025, 3, 31), D(2025, 9, 30), "dropped_out"),
        ("c", D(2025, 3, 1), D(2025, 8, 31), "dropped_out"),
        ("d", D(2025, 3, 15), D(2025, 5, 15), "transferred"),
        ("e", D(2025, 3, 20), D(2025, 12, 1), "transferred"),
        ("f", D(2025, 3, 5), D(2026, 1, 5), "died"),
        ("g", D(2026, 2, 1), D(2026, 11, 3), "completed"),
        ("old", D(2024, 11, 30), None, "ongoing"),
    ]
    for key, started, ended, outcome in march:
        found[key] = clinic.episode(started, ended, outcome)
    # Neither counts for clinic A: another clinic's patient, and another modality.
    Clinic(world, "clinic_b", "tuan").episode(D(2025, 3, 12))
    clinic.episode(D(2025, 3, 12), modality="facility_voluntary")
    return found


def _clinic_a(world: World) -> Any:
    return figures.methadone_episodes(
        TreatmentEpisode.objects.all(), clinic_id=world.orgs["clinic_a"].pk
    )


# --- one patient ------------------------------------------------------------------------------


def test_adherence_counts_take_home_not_missed_rows_nor_days_without_a_row(
    e1: TreatmentEpisode,
) -> None:
    """30 days: 27 of 30 (90.0 %); 90 days: 52 of 56 (92.9 %), as worked out above."""
    thirty, ninety = figures.adherence(e1, today=TODAY)
    assert (thirty.days, thirty.dosed, thirty.expected, thirty.percent) == (30, 27, 30, 90.0)
    assert (ninety.days, ninety.dosed, ninety.expected, ninety.percent) == (90, 52, 56, 92.9)


def test_adherence_of_an_ended_episode_stops_at_its_end(
    dataset: dict[str, TreatmentEpisode],
) -> None:
    """E2: 3 of its 5 expected days (16–20/10); the row after its end does not count."""
    thirty, _ninety = figures.adherence(dataset["e2"], today=TODAY)
    assert (thirty.dosed, thirty.expected, thirty.percent) == (3, 5, 60.0)


def test_no_expected_day_gives_no_figure_not_zero(dataset: dict[str, TreatmentEpisode]) -> None:
    """E3 started today: nothing is expected yet, so there is no adherence figure."""
    for found in figures.adherence(dataset["e3"], today=TODAY):
        assert (found.expected, found.percent) == (0, None)
    assert figures.missed_runs(dataset["e3"], today=TODAY) == []
    assert figures.time_in_treatment(dataset["e3"], today=TODAY) == 1


def test_missed_runs_cross_the_month_boundary(e1: TreatmentEpisode) -> None:
    """Runs in the last 90 days: 01/10; 31/10–01/11 (a no-row day, then a missed row); 03/11."""
    runs = [(r.first, r.last, r.days) for r in figures.missed_runs(e1, today=TODAY)]
    assert runs == [
        (D(2026, 10, 1), D(2026, 10, 1), 1),
        (D(2026, 10, 31), D(2026, 11, 1), 2),
        (D(2026, 11, 3), D(2026, 11, 3), 1),
    ]


def test_the_demo_fallback_finds_the_same_runs(e1: TreatmentEpisode) -> None:
    """The SQLite path (Python over at most 90 dates) agrees with generate_series."""
    span = figures.expected_window(e1, days=90, today=TODAY)
    assert span is not None
    assert figures._runs_portable(e1, span) == figures.missed_runs(e1, today=TODAY)


def test_dose_series_has_one_entry_per_expected_day(e1: TreatmentEpisode) -> None:
    """56 expected days; 01/10 has no row, 01/11 a missed row, 02/11 a take-home."""
    series = {day.day: day for day in figures.dose_series(e1, today=TODAY)}
    assert len(series) == 56 and min(series) == D(2026, 9, 20) and max(series) == D(2026, 11, 14)
    assert (series[D(2026, 10, 1)].kind, series[D(2026, 10, 1)].dose_mg) == (None, None)
    assert (series[D(2026, 11, 1)].kind, series[D(2026, 11, 1)].dose_mg) == (MISSED, None)
    assert series[D(2026, 11, 2)].kind == TAKE_HOME and series[D(2026, 11, 2)].dose_mg == 70


def test_time_in_treatment(dataset: dict[str, TreatmentEpisode]) -> None:
    """E1: 20/09–15/11 is 57 days; E2: 01/10–20/10 is 20 days (both ends included)."""
    assert figures.time_in_treatment(dataset["e1"], today=TODAY) == 57
    assert figures.time_in_treatment(dataset["e2"], today=TODAY) == 20


def test_dose_chart_is_accessible_svg(e1: TreatmentEpisode) -> None:
    """The chart has a title and description it is labelled by, and no inline style."""
    with translation.override("en"):
        svg = str(charts.dose_chart(figures.dose_series(e1, today=TODAY)))
    assert svg.startswith('<svg class="chart" role="img"')
    assert 'aria-labelledby="dose-chart-title dose-chart-desc"' in svg
    assert '<title id="dose-chart-title">' in svg and "52 of 56" in svg
    assert "style=" not in svg and "<script" not in svg


# --- one clinic -------------------------------------------------------------------------------


def test_clinic_counts(world: World, dataset: dict[str, TreatmentEpisode]) -> None:
    """In treatment today E1, E3, a, H and the one of 11/2024; new E3; stopped g."""
    counts = figures.clinic_counts(_clinic_a(world), today=TODAY)
    assert (counts.in_treatment, counts.new_this_month, counts.stopped_this_month) == (5, 1, 1)


def test_adherence_distribution(world: World, dataset: dict[str, TreatmentEpisode]) -> None:
    """< 50 %: a and the 11/2024 one (no rows); 80–94 %: E1; ≥ 95 %: H. E2 and E3 are out."""
    buckets = figures.adherence_distribution(_clinic_a(world), today=TODAY)
    assert [(b.low, b.high, b.patients) for b in buckets] == [
        (0, 50, 2),
        (50, 80, 0),
        (80, 95, 1),
        (95, None, 1),
    ]
    portable = figures._distribution_portable(
        _clinic_a(world), first=D(2026, 10, 16), last=D(2026, 11, 14)
    )
    assert portable == [b.patients for b in buckets]


def test_retention_table(world: World, dataset: dict[str, TreatmentEpisode]) -> None:
    """03/2025: 6 months 4/5 = 80 %, 12 months 1/4 = 25 %; 02/2026 100 % at 6, 12 not ready."""
    table = {row.month: row for row in figures.retention_table(_clinic_a(world), today=TODAY)}
    assert len(table) == 24 and min(table) == D(2024, 12, 1) and max(table) == D(2026, 11, 1)
    march = table[D(2025, 3, 1)]
    assert march.enrolled == 6
    assert (march.cohort[6], march.retained[6], march.percent_6) == (5, 4, 80.0)
    assert (march.cohort[12], march.retained[12], march.percent_12) == (4, 1, 25.0)
    february = table[D(2026, 2, 1)]
    assert (february.enrolled, february.percent_6, february.percent_12) == (1, 100.0, None)
    june = table[D(2026, 6, 1)]
    assert (june.enrolled, june.cohort[6], june.percent_6) == (1, None, None)
    # 04/2026 is the last month ready at 6 months (30/04 + 6 months ≤ today), 05/2026 not.
    assert table[D(2026, 4, 1)].cohort[6] == 0 and table[D(2026, 5, 1)].cohort[6] is None
    assert table[D(2025, 10, 1)].cohort[12] == 0 and table[D(2025, 11, 1)].cohort[12] is None
    assert table[D(2026, 11, 1)].enrolled == 1  # E3
    portable = figures._retention_portable(_clinic_a(world), first=D(2024, 12, 1), today=TODAY)
    assert portable[D(2025, 3, 1)] == (6, {6: 5, 12: 4}, {6: 4, 12: 1})


# --- the pages --------------------------------------------------------------------------------


def _today_episode(world: World) -> TreatmentEpisode:
    """A methadone episode of lan's clinic started 40 days ago, dosed on the last 10 days."""
    clinic = Clinic(world)
    today = timezone.localdate()
    episode = clinic.episode(today - datetime.timedelta(days=40), name="Hà Thị Riêng Tư")
    clinic.doses(episode, dict.fromkeys(_days(today - datetime.timedelta(days=10), today), 1))
    return episode


def test_patient_page_shows_the_figures_and_records_the_read(world: World) -> None:
    """The owner's clinic sees the chart, adherence and runs; the read is an event."""
    episode = _today_episode(world)
    url = reverse("methadone:episode_figures", args=[episode.pk])
    response = world.client("lan").get(url)
    assert response.status_code == 200
    assert response.context["report"].adherence[0].percent == round(100 * 10 / 30, 1)
    assert b'role="img"' in response.content and b'data-testid="dose-table"' in response.content
    assert (
        Event.objects.filter(
            action="record_read", actor=world.users["lan"], object_id=str(episode.pk)
        ).count()
        == 1
    )


def test_patient_page_refuses_an_outsider_and_logs_it(world: World) -> None:
    """ASVS 8.2.2: tuan (clinic B) asks for clinic A's patient: 404 and a `denied` event."""
    episode = _today_episode(world)
    url = reverse("methadone:episode_figures", args=[episode.pk])
    response = world.client("tuan").get(url)
    assert response.status_code == 404
    assert (
        Event.objects.filter(
            action="denied", actor=world.users["tuan"], object_id=str(episode.pk)
        ).count()
        == 1
    )
    assert not Event.objects.filter(action="record_read", object_id=str(episode.pk)).exists()


def test_patient_page_refuses_a_non_methadone_episode(world: World) -> None:
    """ASVS 8.2.2: a facility episode in scope is not a methadone episode: 404 and logged."""
    episode = Clinic(world).episode(D(2026, 1, 15), modality="facility_voluntary")
    response = world.client("lan").get(reverse("methadone:episode_figures", args=[episode.pk]))
    assert response.status_code == 404
    assert Event.objects.filter(action="denied", object_id=str(episode.pk)).count() == 1


def test_clinic_page_shows_counts_and_no_names(world: World) -> None:
    """Clinic staff see their clinic's counts; no patient name is on the page; one event."""
    _today_episode(world)
    response = world.client("lan").get(reverse("methadone:clinic_figures"))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["report"].counts.in_treatment == 1
    assert "Hà Thị Riêng Tư" not in html and "Riêng Tư" not in html
    assert "Methadone A" in html and 'data-testid="retention-table"' in html
    assert (
        Event.objects.filter(
            action="methadone_clinic_figures",
            actor=world.users["lan"],
            object_id=str(world.orgs["clinic_a"].pk),
        ).count()
        == 1
    )


def test_supervisor_chooses_among_the_clinics_of_the_subtree(world: World) -> None:
    """hoa (province) sees both clinics that provide methadone, and may pick clinic B."""
    _today_episode(world)
    Clinic(world, "clinic_b", "tuan").episode(timezone.localdate())
    client = world.client("hoa")
    response = client.get(reverse("methadone:clinic_figures"))
    assert response.status_code == 200
    assert [c.name for c in response.context["clinics"]] == ["Methadone A", "Methadone B"]
    url = reverse("methadone:clinic_figures") + f"?clinic={world.orgs['clinic_b'].pk}"
    assert client.get(url).context["report"].counts.in_treatment == 1


@pytest.mark.parametrize("clinic", ["clinic_a", "not-a-uuid"])
def test_clinic_page_refuses_another_clinic_and_logs_it(world: World, clinic: str) -> None:
    """ASVS 8.2.2: tuan (clinic B) asks for clinic A's figures, or a malformed id: 404, logged."""
    _today_episode(world)
    wanted = str(world.orgs[clinic].pk) if clinic in world.orgs else clinic
    response = world.client("tuan").get(reverse("methadone:clinic_figures") + f"?clinic={wanted}")
    assert response.status_code == 404
    logged = wanted if clinic in world.orgs else ""  # a malformed id is not stored as typed
    denials = Event.objects.filter(action="denied", actor=world.users["tuan"], object_id=logged)
    assert denials.count() == 1
    assert denials.get().detail["malformed_id"] is (clinic not in world.orgs)
    assert not Event.objects.filter(action="methadone_clinic_figures").exists()


def test_clinic_page_without_a_clinic_says_so(world: World) -> None:
    """hoa's province has no methadone episode yet: a page that says so, no denial."""
    response = world.client("hoa").get(reverse("methadone:clinic_figures"))
    assert response.status_code == 200 and b'data-testid="no-clinic"' in response.content
    assert not Event.objects.filter(action="denied").exists()


@pytest.mark.parametrize("who", ["minh", "an", "quan"])
def test_clinic_page_is_refused_to_roles_without_the_capability(world: World, who: str) -> None:
    """ASVS 8.2.1: commune officers, auditors and administrators get 403."""
    assert world.client(who).get(reverse("methadone:clinic_figures")).status_code == 403


@pytest.mark.parametrize("value", list(BAD_VALUES.values()), ids=list(BAD_VALUES))
def test_clinic_choice_survives_bad_input(world: World, value: str) -> None:
    """ASVS 2.2.1: a bad ?clinic= value (a NUL byte answered 500) is an unknown clinic: 404
    and a `denied` event, never a server error; blank means "my first clinic"."""
    response = world.client("hoa").get(reverse("methadone:clinic_figures"), {"clinic": value})
    assert response.status_code == (200 if value == "" else 404)
    denials = Event.objects.filter(action="denied", actor=world.users["hoa"])
    assert denials.count() == (0 if value == "" else 1)
