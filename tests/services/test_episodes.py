"""Treatment episodes and facility stages: the law's rules, the database's guard, the pages.

lan (caseworker, clinic A) holds the case of lan_person (born 1991); mai is her teammate;
tuan (clinic B) is the outsider; hoa (supervisor) reads only. Figures and their sources are
in docs/regulations.md.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from audit.models import Event
from cases.models import Case, Person
from services import regulations
from services.models import EpisodeStage, TreatmentEpisode
from tests.conftest import World
from tests.factories import make_case, make_person

pytestmark = pytest.mark.django_db

D = datetime.date
START = D(2026, 1, 15)


def _case(person: Person) -> Case:
    return Case.objects.filter(person=person).order_by("opened_on").first()  # type: ignore[return-value]


def _person(world: World, birth_year: int, *, estimated: bool = False) -> Person:
    person = make_person(
        birth_year=birth_year,
        birth_year_estimated=estimated,
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
    )
    make_case(person=person, organisation=world.orgs["clinic_a"], assigned_to=world.users["lan"])
    return person


def _episode(world: World, case: Case, modality: str, **fields: Any) -> TreatmentEpisode:
    values: dict[str, Any] = {"started_on": START, "provider": world.orgs["clinic_a"]}
    values.update(fields)
    return TreatmentEpisode(case=case, modality=modality, recorded_by=world.users["lan"], **values)


def _codes(episode: TreatmentEpisode | EpisodeStage) -> dict[str, list[str]]:
    """Return the refusal codes per field of a full validation (empty: accepted)."""
    try:
        episode.full_clean()
    except ValidationError as error:
        return {name: [e.code or "" for e in errors] for name, errors in error.error_dict.items()}
    return {}


def _saved(world: World, case: Case, modality: str, **fields: Any) -> TreatmentEpisode:
    episode = _episode(world, case, modality, **fields)
    assert _codes(episode) == {}
    episode.save()
    return episode


# ---------------------------------------------------------------------------------------
# Durations: just inside and just outside each end of each modality's range.

ADULT, MINOR, STRADDLING = 1991, 2010, 2008  # 34/35, 15/16 and 17/18 years old in 2026
BOUNDARIES = [
    # Voluntary at family or community: 6 to 12 months, whatever the age (Law 73, art. 30).
    ("community_voluntary", ADULT, D(2026, 7, 15), True),
    ("community_voluntary", ADULT, D(2026, 7, 14), False),
    ("community_voluntary", ADULT, D(2027, 1, 15), True),
    ("community_voluntary", ADULT, D(2027, 1, 16), False),
    ("community_voluntary", MINOR, D(2026, 7, 15), True),
    ("community_voluntary", MINOR, D(2026, 7, 14), False),
    ("community_voluntary", MINOR, D(2027, 1, 15), True),
    ("community_voluntary", MINOR, D(2027, 1, 16), False),
    # Voluntary at a facility: 6 to 12 months (Law 73, art. 31, cl. 1).
    ("facility_voluntary", ADULT, D(2026, 7, 15), True),
    ("facility_voluntary", ADULT, D(2026, 7, 14), False),
    ("facility_voluntary", ADULT, D(2027, 1, 15), True),
    ("facility_voluntary", ADULT, D(2027, 1, 16), False),
    ("facility_voluntary", MINOR, D(2026, 7, 15), True),
    ("facility_voluntary", MINOR, D(2026, 7, 14), False),
    ("facility_voluntary", MINOR, D(2027, 1, 15), True),
    ("facility_voluntary", MINOR, D(2027, 1, 16), False),
    # Compulsory, adult: 12 to 24 months (Law 15/2012/QH13, art. 95).
    ("facility_compulsory", ADULT, D(2027, 1, 15), True),
    ("facility_compulsory", ADULT, D(2027, 1, 14), False),
    ("facility_compulsory", ADULT, D(2028, 1, 15), True),
    ("facility_compulsory", ADULT, D(2028, 1, 16), False),
    # Compulsory, 12 to under 18: 6 to 12 months (Law 73, art. 33).
    ("facility_compulsory", MINOR, D(2026, 7, 15), True),
    ("facility_compulsory", MINOR, D(2026, 7, 14), False),
    ("facility_compulsory", MINOR, D(2027, 1, 15), True),
    ("facility_compulsory", MINOR, D(2027, 1, 16), False),
    # Born 2008, 17 or 18 at the start: either range is accepted, nothing outside both.
    ("facility_compulsory", STRADDLING, D(2026, 7, 15), True),
    ("facility_compulsory", STRADDLING, D(2026, 7, 14), False),
    ("facility_compulsory", STRADDLING, D(2028, 1, 15), True),
    ("facility_compulsory", STRADDLING, D(2028, 1, 16), False),
    # Methadone maintenance has no fixed end.
    ("methadone", ADULT, D(2026, 1, 16), True),
    ("methadone", ADULT, D(2036, 1, 15), True),
]


@pytest.mark.parametrize(("modality", "born", "planned_end", "allowed"), BOUNDARIES)
def test_planned_end_must_fall_in_the_modalitys_range(
    world: World, modality: str, born: int, planned_end: datetime.date, allowed: bool
) -> None:
    case = _case(_person(world, born))
    codes = _codes(_episode(world, case, modality, planned_end_on=planned_end))
    if allowed:
        assert codes == {}
    else:
        expected = "duration_uncertain_age" if born == STRADDLING else "duration"
        assert codes == {"planned_end_on": [expected]}


def test_a_completed_episode_is_checked_on_its_actual_end(world: World) -> None:
    case = _case(_person(world, ADULT))
    short = {"ended_on": D(2026, 7, 14), "planned_end_on": D(2026, 7, 15)}
    completed = _episode(world, case, "community_voluntary", outcome="completed", **short)
    assert _codes(completed) == {"ended_on": ["duration"]}
    # Dropping out early is a fact to record, not a duration to refuse.
    dropped = _episode(world, case, "community_voluntary", outcome="dropped_out", **short)
    assert _codes(dropped) == {}


def test_the_refusal_names_the_range_and_its_source(world: World) -> None:
    case = _case(_person(world, MINOR))
    episode = _episode(world, case, "facility_compulsory", planned_end_on=D(2027, 6, 1))
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        episode.full_clean()
    with translation.override("en"):
        message = str(refused.value.message_dict["planned_end_on"][0])
    assert "15/07/2026" in message and "15/01/2027" in message
    assert "Law 73/2021/QH14, article 33" in message and "under 18" in message


def test_an_estimated_year_of_birth_widens_the_age_and_says_so(world: World) -> None:
    """Born "about 2009": 15 to 18 at the start, so both compulsory ranges may apply."""
    case = _case(_person(world, 2009, estimated=True))
    adult_length = _episode(world, case, "facility_compulsory", planned_end_on=D(2028, 1, 15))
    assert _codes(adult_length) == {}
    too_long = _episode(world, case, "facility_compulsory", planned_end_on=D(2028, 2, 1))
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        too_long.full_clean()
    with translation.override("en"):
        message = str(refused.value.message_dict["planned_end_on"][0])
    assert "estimated" in message and "if under 18" in message and "if 18 or over" in message
    # The same year, not estimated (16 or 17): only the minors' range applies.
    exact = _episode(
        world, _case(_person(world, 2009)), "facility_compulsory", planned_end_on=D(2028, 1, 15)
    )
    assert _codes(exact) == {"planned_end_on": ["duration"]}


def test_months_are_calendar_months_and_end_of_month_is_clamped() -> None:
    assert regulations.add_months(D(2026, 8, 31), 6) == D(2027, 2, 28)
    assert regulations.add_months(D(2027, 8, 31), 6) == D(2028, 2, 29)
    assert regulations.add_months(D(2026, 1, 15), 24) == D(2028, 1, 15)


# ---------------------------------------------------------------------------------------
# One facility episode at a time.


def test_overlapping_facility_episodes_are_refused_with_the_other_dates(
    world: World, lan_person: Person
) -> None:
    case = _case(lan_person)
    _saved(world, case, "facility_voluntary", started_on=D(2026, 1, 15))
    second = _episode(world, case, "facility_compulsory", started_on=D(2026, 3, 1))
    assert _codes(second) == {"__all__": ["overlap"]}
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        second.full_clean()
    assert "15/01/2026" in refused.value.messages[0]


def test_overlap_is_checked_across_cases_and_organisations(
    world: World, lan_person: Person
) -> None:
    other_case = make_case(person=lan_person, organisation=world.orgs["clinic_b"])
    _saved(
        world,
        other_case,
        "facility_compulsory",
        started_on=D(2025, 6, 1),
        ended_on=D(2026, 2, 1),
        outcome="transferred",
    )
    inside = _episode(world, _case(lan_person), "facility_voluntary", started_on=D(2026, 1, 31))
    assert _codes(inside) == {"__all__": ["overlap"]}
    # Ranges are half-open: the next facility may take the person in on the day they leave.
    next_day = _episode(world, _case(lan_person), "facility_voluntary", started_on=D(2026, 2, 1))
    assert _codes(next_day) == {}


def test_community_and_methadone_episodes_may_overlap_a_facility_episode(
    world: World, lan_person: Person
) -> None:
    case = _case(lan_person)
    _saved(world, case, "facility_voluntary")
    assert _codes(_episode(world, case, "methadone")) == {}
    assert _codes(_episode(world, case, "community_voluntary")) == {}


def test_database_refuses_an_overlapping_facility_episode_when_the_check_is_bypassed(
    world: World, lan_person: Person
) -> None:
    """The exclusion constraint holds whatever code writes the row (no full_clean here)."""
    case = _case(lan_person)
    common = {"case": case, "provider": world.orgs["clinic_a"], "recorded_by": world.users["lan"]}
    TreatmentEpisode.objects.create(modality="facility_voluntary", started_on=START, **common)
    refused = pytest.raises(IntegrityError, match="episode_residential_no_overlap")
    with refused, transaction.atomic():
        TreatmentEpisode.objects.create(
            modality="facility_compulsory", started_on=D(2026, 5, 1), **common
        )
    # The same dates in a modality where the person does not live at the facility are fine.
    TreatmentEpisode.objects.create(modality="methadone", started_on=D(2026, 5, 1), **common)
    assert TreatmentEpisode.objects.count() == 2


def test_database_allows_back_to_back_facility_episodes(world: World, lan_person: Person) -> None:
    case = _case(lan_person)
    common = {"case": case, "provider": world.orgs["clinic_a"], "recorded_by": world.users["lan"]}
    TreatmentEpisode.objects.create(
        modality="facility_voluntary",
        started_on=START,
        ended_on=D(2026, 3, 1),
        outcome="transferred",
        **common,
    )
    TreatmentEpisode.objects.create(
        modality="facility_compulsory", started_on=D(2026, 3, 1), **common
    )
    assert TreatmentEpisode.objects.count() == 2


# ---------------------------------------------------------------------------------------
# Stages: order, dates, facility only, completion.


def _stage(episode: TreatmentEpisode, stage: int, started: datetime.date, **kw: Any) -> Any:
    return EpisodeStage(episode=episode, stage=stage, started_on=started, **kw)


def _stages(episode: TreatmentEpisode, *rows: tuple[int, datetime.date, Any]) -> None:
    for number, started, ended in rows:
        _stage(episode, number, started, ended_on=ended).save()


def test_a_stage_cannot_start_before_the_previous_stage_started(
    world: World, lan_person: Person
) -> None:
    episode = _saved(world, _case(lan_person), "facility_voluntary")
    _stages(episode, (2, D(2026, 2, 1), None))
    assert _codes(_stage(episode, 3, D(2026, 1, 31))) == {"started_on": ["stage_order"]}
    assert _codes(_stage(episode, 3, D(2026, 2, 1))) == {}
    # Nor may an earlier stage be recorded as starting after a later one.
    assert _codes(_stage(episode, 1, D(2026, 2, 2))) == {"started_on": ["stage_order"]}
    assert _codes(_stage(episode, 1, D(2026, 1, 15))) == {}


def test_a_stage_lies_within_the_episodes_dates(world: World, lan_person: Person) -> None:
    episode = _saved(
        world,
        _case(lan_person),
        "facility_voluntary",
        ended_on=D(2026, 3, 1),
        outcome="dropped_out",
    )
    assert _codes(_stage(episode, 1, D(2026, 1, 14))) == {"__all__": ["stage_outside"]}
    ends_after = _stage(episode, 1, D(2026, 1, 15), ended_on=D(2026, 3, 2))
    assert _codes(ends_after) == {"__all__": ["stage_outside"]}
    assert _codes(_stage(episode, 1, D(2026, 1, 15), ended_on=D(2026, 3, 1))) == {}


def test_stages_are_only_for_facility_episodes(world: World, lan_person: Person) -> None:
    episode = _saved(world, _case(lan_person), "methadone")
    assert _codes(_stage(episode, 1, START)) == {"__all__": ["not_facility"]}


def test_a_stage_is_recorded_once_per_episode(world: World, lan_person: Person) -> None:
    episode = _saved(world, _case(lan_person), "facility_voluntary")
    _stages(episode, (1, START, None))
    assert _codes(_stage(episode, 1, START)) == {"__all__": ["stage_repeated"]}


def test_voluntary_facility_episode_completes_only_after_stages_1_to_3_ended(
    world: World, lan_person: Person
) -> None:
    case = _case(lan_person)
    episode = _saved(world, case, "facility_voluntary", planned_end_on=D(2026, 8, 1))
    _stages(episode, (1, START, D(2026, 1, 20)), (2, D(2026, 1, 20), D(2026, 2, 10)))
    _stages(episode, (3, D(2026, 2, 10), None))
    episode.outcome, episode.ended_on = "completed", D(2026, 8, 1)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        episode.full_clean()
    with translation.override("en"):
        message = str(refused.value.messages[0])
    assert "Counselling and behaviour rehabilitation" in message and "Detox" not in message
    assert "article 29, clause 2" in message
    EpisodeStage.objects.filter(episode=episode, stage=3).update(ended_on=D(2026, 5, 1))
    assert _codes(episode) == {}


def test_compulsory_episode_completes_only_after_all_five_stages_ended(
    world: World, lan_person: Person
) -> None:
    episode = _saved(world, _case(lan_person), "facility_compulsory")
    _stages(episode, *[(n, D(2026, n, 15), D(2026, n + 1, 14)) for n in (1, 2, 3, 4)])
    episode.outcome, episode.ended_on = "completed", D(2027, 1, 15)
    assert _codes(episode) == {"__all__": ["stages_missing"]}
    _stages(episode, (5, D(2026, 6, 1), D(2027, 1, 15)))
    assert _codes(episode) == {}


def test_an_episode_cannot_be_moved_away_from_its_stages(world: World, lan_person: Person) -> None:
    episode = _saved(world, _case(lan_person), "facility_voluntary")
    _stages(episode, (1, D(2026, 1, 20), None))
    episode.started_on = D(2026, 1, 21)
    assert _codes(episode) == {"__all__": ["stage_outside"]}
    episode.started_on, episode.modality = START, "community_voluntary"
    assert _codes(episode) == {"__all__": ["stages_need_facility"]}


# ---------------------------------------------------------------------------------------
# The pages: who may record a stage, what is logged, what bad input does.


def _stage_post(client: Client, episode: TreatmentEpisode, **data: str) -> Any:
    values = {"stage": "1", "started_on": "20/01/2026", "ended_on": ""}
    values.update(data)
    return client.post(reverse("services:stage_add", args=[episode.pk]), values)


def test_caseworker_records_a_stage_and_sees_it_on_the_episode_and_timelines(
    world: World, lan_person: Person
) -> None:
    case = _case(lan_person)
    episode = _saved(world, case, "facility_voluntary")
    lan = world.client("lan")
    response = _stage_post(lan, episode, ended_on="25/01/2026")
    assert response.status_code == 302, response.context and response.context["form"].errors
    stage = EpisodeStage.objects.get()
    assert (stage.stage, stage.ended_on, stage.version) == (1, D(2026, 1, 25), 1)
    event = Event.objects.get(action="service_record_added", object_id=str(stage.pk))
    assert event.person_id == lan_person.pk and event.actor == world.users["lan"]
    assert stage.history.get().history_user == world.users["lan"]
    detail = lan.get(reverse("services:record_detail", args=["episode", episode.pk]))
    assert reverse("services:stage_edit", args=[stage.pk]) in detail.content.decode()
    episode_url = reverse("services:record_detail", args=["episode", episode.pk])
    for url in (
        reverse("cases:case_detail", args=[case.pk]),
        reverse("cases:person_detail", args=[lan_person.pk]),
    ):
        entries = lan.get(url).context["entries"]
        # Newest first: the stage, then the episode it belongs to, both linking to it.
        assert [(e.on, e.url) for e in entries if e.url == episode_url] == [
            (D(2026, 1, 20), episode_url),
            (START, episode_url),
        ]


def test_teammate_may_record_and_edit_a_stage(world: World, lan_person: Person) -> None:
    episode = _saved(world, _case(lan_person), "facility_voluntary")
    mai = world.client("mai")
    assert _stage_post(mai, episode).status_code == 302
    stage = EpisodeStage.objects.get()
    edit = reverse("services:stage_edit", args=[stage.pk])
    response = mai.post(
        edit, {"stage": "1", "started_on": "20/01/2026", "ended_on": "22/01/2026", "version": "1"}
    )
    assert response.status_code == 302
    stage.refresh_from_db()
    assert (stage.ended_on, stage.version) == (D(2026, 1, 22), 2)
    assert Event.objects.filter(action="service_record_changed", object_id=str(stage.pk)).exists()


@pytest.mark.parametrize("who", ["tuan", "hoa"])
def test_outsider_and_supervisor_cannot_record_a_stage_and_are_logged(
    world: World, lan_person: Person, who: str
) -> None:
    """ASVS 8.2.2, 8.3.1: a stage posted onto another clinic's episode (or by a read-only
    supervisor) is refused server-side, nothing is saved, and the denial is logged."""
    episode = _saved(world, _case(lan_person), "facility_voluntary")
    client = world.client(who)
    url = reverse("services:stage_add", args=[episode.pk])
    assert client.get(url).status_code == 404
    assert _stage_post(client, episode).status_code == 404
    assert not EpisodeStage.objects.exists()
    denials = Event.objects.filter(
        action="denied", actor=world.users[who], object_id=str(episode.pk)
    )
    assert denials.count() == 2


@pytest.mark.parametrize("who", ["tuan", "hoa"])
def test_outsider_and_supervisor_cannot_edit_a_stage_and_are_logged(
    world: World, lan_person: Person, who: str
) -> None:
    """ASVS 8.2.2, 8.3.1: an edit of another clinic's stage changes nothing and is logged."""
    episode = _saved(world, _case(lan_person), "facility_voluntary")
    _stages(episode, (1, D(2026, 1, 20), None))
    stage = EpisodeStage.objects.get()
    before = EpisodeStage.objects.filter(pk=stage.pk).values().get()
    url = reverse("services:stage_edit", args=[stage.pk])
    data = {"stage": "1", "started_on": "20/01/2026", "ended_on": "21/01/2026", "version": "1"}
    assert world.client(who).post(url, data).status_code == 404
    assert EpisodeStage.objects.filter(pk=stage.pk).values().get() == before
    assert Event.objects.filter(
        action="denied", actor=world.users[who], object_id=str(stage.pk)
    ).exists()


def test_a_stage_out_of_order_is_explained_and_the_input_kept(
    world: World, lan_person: Person
) -> None:
    episode = _saved(world, _case(lan_person), "facility_voluntary")
    _stages(episode, (2, D(2026, 2, 1), None))
    response = _stage_post(world.client("lan"), episode, stage="3", started_on="31/01/2026")
    assert response.status_code == 200
    assert "started_on" in response.context["form"].errors
    assert 'value="31/01/2026"' in response.content.decode()
    assert EpisodeStage.objects.count() == 1


def test_bad_dates_re_render_with_the_input_kept(world: World, lan_person: Person) -> None:
    episode = _saved(world, _case(lan_person), "facility_voluntary")
    response = _stage_post(
        world.client("lan"), episode, stage="9", started_on="32/13/2026", ended_on="hôm qua"
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"stage", "started_on", "ended_on"} <= set(errors)
    page = response.content.decode()
    assert "32/13/2026" in page and "hôm qua" in page
    assert not EpisodeStage.objects.exists()


def test_the_stage_page_of_a_methadone_episode_sends_back_with_a_message(
    world: World, lan_person: Person
) -> None:
    episode = _saved(world, _case(lan_person), "methadone")
    response = _stage_post(world.client("lan"), episode)
    assert response.status_code == 302
    assert not EpisodeStage.objects.exists()


def test_completing_an_episode_without_its_stages_is_refused_on_the_edit_page(
    world: World, lan_person: Person
) -> None:
    episode = _saved(world, _case(lan_person), "facility_voluntary", planned_end_on=D(2026, 8, 1))
    url = reverse("services:record_edit", args=["episode", episode.pk])
    response = world.client("lan").post(
        url,
        {
            "modality": "facility_voluntary",
            "provider": str(world.orgs["clinic_a"].pk),
            "started_on": "15/01/2026",
            "planned_end_on": "01/08/2026",
            "ended_on": "01/08/2026",
            "outcome": "completed",
            "version": "1",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    episode.refresh_from_db()
    assert (episode.outcome, episode.version) == ("ongoing", 1)


def test_an_overlapping_episode_posted_through_the_add_page_is_explained(
    world: World, lan_person: Person
) -> None:
    case = _case(lan_person)
    _saved(world, case, "facility_voluntary")
    url = reverse("services:record_add", args=[case.pk, "episode"])
    response = world.client("lan").post(
        url,
        {
            "modality": "facility_compulsory",
            "provider": str(world.orgs["clinic_a"].pk),
            "started_on": "01/03/2026",
            "planned_end_on": "01/03/2027",
            "outcome": "ongoing",
        },
    )
    assert response.status_code == 200
    assert "15/01/2026" in str(response.context["form"].non_field_errors())
    assert TreatmentEpisode.objects.count() == 1
