"""The import's fast write path for treatment records: episodes, screenings, prescriptions
and the monthly dosing sheet, a batch at a time (decisions D44, D54).

As ``registers.bulk`` does for people, cases and services: each batch is built and checked
with the owning app's own code (the models' ``clean``, ``services.methadone.actions``'
``prescription_prepare`` and ``dose_checked``, ``selectors.dose_facts``), its scope checked
once, saved in bulk with history where the model keeps history, and recorded as one
``register_import_rows`` event naming the people and records it wrote. Rows a batch cannot
take (an episode with stages, a second prescription of one episode) are returned to the
caller, which writes them one by one through the actions; a batch that cannot settle raises
and is written row by row.

The dosing sheet is the one large sheet (a clinic's month: a row per patient, a cell per
day; 1,000,000 doses for 100 clinics). A batch of its rows is written a day at a time:
the counter's facts of that day for every episode of the batch in one query
(``selectors.dose_facts``), each cell checked as the counter checks a dose
(``dose_checked``: a dose other than the prescription's is refused, and the refusal
recorded), then one insert of the day's doses. A refused cell is reported on its row and
day column and nothing of the import is written; safety before convenience.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.capabilities import can
from accounts.models import User, account_of
from audit import actions as audit
from cases import dues
from services.actions import checkin_dates, postrehab_check
from services.instruments.base import Result
from services.methadone import actions as methadone
from services.methadone import rules
from services.methadone import selectors as methadone_selectors
from services.methadone.capabilities import DOSE_RECORD, PRESCRIPTION_RECORD
from services.methadone.models import Dose, DoseKind, Prescription
from services.models import (
    FollowUp,
    FollowUpKind,
    PostRehabPeriod,
    Screening,
    ScreeningScore,
    ShelterStay,
    TreatmentEpisode,
)

from .bulk import Rows, Unsettled, _clean, _constraints_now, _save, cases_to_add_to
from .events import REGISTER_IMPORT_ROWS
from .keystore import IdMap

# (row, column key, message, code): a refused cell of the dosing sheet.
CellProblem = tuple[int, str, str, str]


def _event(actor: User, import_id: UUID, sheet: str, rows: Rows, **detail: Any) -> None:
    audit.record(
        actor=actor,
        action=REGISTER_IMPORT_ROWS,
        object_type="registerimport",
        object_id=import_id,
        detail={"import": str(import_id), "sheet": sheet, "rows": [rows[0][0], rows[-1][0]]}
        | detail,
    )


def episodes(
    *,
    actor: User,
    rows: Rows,
    ids: IdMap,
    build: Callable[[dict[str, Any]], TreatmentEpisode],
    import_id: UUID,
) -> Rows:
    """Write the batch's episodes without stages at once (as ``record_add``, then the
    outcome as ``record_change`` would set it); return the rows with stages."""
    has_stages = [
        (n, values)
        for n, values in rows
        if any(values[f"giai_doan_{s}_bat_dau"] for s in range(1, 6))
    ]
    plain = [(n, values) for n, values in rows if (n, values) not in has_stages]
    if not plain:
        return has_stages
    built = [(values["ma_dot"], build(values)) for _n, values in plain]
    cases = cases_to_add_to(actor, {episode.case_id for _k, episode in built})
    recorder = account_of(actor)
    for _key, episode in built:
        episode.case = cases[episode.case_id]
        episode.person_id = episode.case.person_id  # what TreatmentEpisode.save copies
        episode.recorded_by = recorder
        _clean(episode)  # durations by law; a facility episode's overlap with those stored
    _save(TreatmentEpisode, [episode for _k, episode in built], actor, f"import-{import_id}")
    _constraints_now()  # overlaps within the batch: the exclusion constraint
    dues.cases_refresh(case_ids=cases)
    _event(
        actor,
        import_id,
        "dot_dieu_tri",
        plain,
        people=sorted({str(case.person_id) for case in cases.values()}),
        records=[str(episode.pk) for _k, episode in built],
    )
    ids.update({key: episode.pk for key, episode in built})
    return has_stages


def screenings(
    *,
    actor: User,
    rows: Rows,
    build: Callable[[dict[str, Any]], tuple[Screening, Result]],
    import_id: UUID,
) -> Rows:
    """Write the batch's screenings and their item scores at once (``screening_record``)."""
    built = [build(values) for _n, values in rows]
    cases = cases_to_add_to(actor, {screening.case_id for screening, _r in built})
    recorder = account_of(actor)
    scores: list[ScreeningScore] = []
    for screening, result in built:
        screening.case = cases[screening.case_id]
        screening.recorded_by = recorder
        _clean(screening)
        scores.extend(
            ScreeningScore(
                screening=screening, item=entry.subject, score=entry.score, level=entry.level
            )
            for entry in result.scores
        )
    for score in scores:
        _clean(score)
    _save(Screening, [screening for screening, _r in built], actor, f"import-{import_id}")
    _save(ScreeningScore, scores, actor, f"import-{import_id}")
    _constraints_now()
    dues.cases_refresh(case_ids=cases)
    _event(
        actor,
        import_id,
        "sang_loc",
        rows,
        people=sorted({str(case.person_id) for case in cases.values()}),
        records=[str(screening.pk) for screening, _r in built],
    )
    return []


def _clinic_episodes(actor: User, capability: str, ids: set[UUID]) -> dict[UUID, TreatmentEpisode]:
    """Return the open methadone episodes of the importer's clinic among ``ids`` (the scope
    of ``dose_record`` and ``prescription_record``); unsettled if one is outside it, so the
    row-by-row path refuses it and records the denial as the form does."""
    rows = methadone_selectors.clinic_episodes(actor, capability=capability)
    found = {e.pk: e for e in rows.filter(pk__in=ids).select_related("case", "case__person")}
    if set(found) != ids:
        raise Unsettled
    return found


def prescriptions(
    *,
    actor: User,
    rows: Rows,
    build: Callable[[dict[str, Any]], tuple[UUID, Prescription]],
    import_id: UUID,
) -> Rows:
    """Write at once the batch's first prescription of each episode that has none yet,
    checked by ``prescription_prepare`` (the guideline's rules, the prescriber); return the
    other rows (an episode's later orders read the earlier ones: row by row)."""
    if can(actor, DOSE_RECORD) and not can(actor, PRESCRIPTION_RECORD):
        raise Unsettled  # a nurse: prescription_record refuses and records the denial
    built = [(n, values, *build(values)) for n, values in rows]
    ids = {episode_id for _n, _v, episode_id, _p in built}
    found = _clinic_episodes(actor, PRESCRIPTION_RECORD, ids)
    counts: dict[UUID, int] = defaultdict(int)
    for _n, _v, episode_id, _p in built:
        counts[episode_id] += 1
    # An episode with an order or a dose already goes row by row (the rules read them).
    prescribed = set(
        Prescription.objects.filter(episode_id__in=ids).values_list("episode_id", flat=True)
    ) | set(Dose.objects.filter(episode_id__in=ids).values_list("episode_id", flat=True))
    alone = {e for e, count in counts.items() if count == 1 and e not in prescribed}
    rest = [(n, values) for n, values, episode_id, _p in built if episode_id not in alone]
    written = [(n, values, found[e], p) for n, values, e, p in built if e in alone]
    if not written:
        return rest
    for _n, _values, episode, prescription in written:
        methadone.prescription_prepare(
            actor=actor, episode=episode, prescription=prescription, first_order=True
        )
        prescription.case = episode.case
        _clean(prescription)
    _save(Prescription, [p for _n, _v, _e, p in written], actor, f"import-{import_id}")
    _constraints_now()
    dues.cases_refresh(case_ids={episode.case_id for _n, _v, episode, _p in written})
    _event(
        actor,
        import_id,
        "chi_dinh_methadone",
        [(n, v) for n, v, _e, _p in written],
        people=sorted({str(episode.person_id) for _n, _v, episode, _p in written}),
        records=[str(p.pk) for _n, _v, _e, p in written],
    )
    return rest


def doses(
    *,
    actor: User,
    rows: Rows,
    episode_ids: IdMap,
    import_id: UUID,
    refused: list[CellProblem],
) -> None:
    """Write a batch of dosing-sheet rows a day at a time, each cell checked as the counter
    checks a dose; refused cells go to ``refused`` (row, column key, message, code) and are
    not written."""
    cells: dict[datetime.date, list[tuple[int, str, UUID, int, Decimal | None]]] = defaultdict(list)
    for number, values in rows:
        episode_id = episode_ids.get(values["ma_dot"])
        if episode_id is None:
            raise Unsettled  # its episode's row failed: the row path says so on this row
        first: datetime.date = values["thang"]
        for number_of_day in range(1, 32):
            cell = values[f"ngay_{number_of_day}"]
            if cell is not None:
                kind, mg = cell
                cells[first.replace(day=number_of_day)].append(
                    (number, f"ngay_{number_of_day}", episode_id, kind, mg)
                )
    if not cells:
        return
    wanted = {
        episode_id for day_cells in cells.values() for _n, _c, episode_id, _k, _m in day_cells
    }
    found = _clinic_episodes(actor, DOSE_RECORD, wanted)
    # In scope (checked once above): the run's facts read these episodes by id.
    run = methadone_selectors.DoseFactsRun(
        episodes=TreatmentEpisode.objects.filter(pk__in=found), first=min(cells), last=max(cells)
    )
    recorder = account_of(actor)
    limits = rules.Limits.from_settings()
    problems: list[CellProblem] = []
    written = 0
    kinds: dict[int, int] = defaultdict(int)
    for day in sorted(cells):
        day_cells = cells[day]
        # The counter's facts of the day (prescription in force, one-day dose, last dose
        # taken), as selectors.dose_facts reads them.
        facts = run.facts(day=day, episode_ids={cell[2] for cell in day_cells})
        batch: list[Dose] = []
        missed: list[tuple[TreatmentEpisode, datetime.date | None]] = []
        for number, column, episode_id, kind, mg in day_cells:
            episode = found[episode_id]
            try:
                amount = methadone.dose_checked(
                    actor=actor,
                    episode=episode,
                    day=day,
                    kind=kind,
                    dose_mg=mg,
                    facts=facts.get(episode_id),
                    acknowledged=True,  # the register is what the clinic gave: assessed
                )
            except ValidationError as error:
                problems.append((number, column, " ".join(error.messages), error_code(error)))
                continue
            batch.append(
                Dose(
                    episode_id=episode_id,
                    given_on=day,
                    kind=kind,
                    dose_mg=amount,
                    recorded_by=recorder,
                )
            )
            run.record(episode_id=episode_id, day=day, kind=kind, dose_mg=amount)
            kinds[kind] += 1
            if kind == DoseKind.MISSED:
                missed.append((episode, facts[episode_id].last_taken_on))
        dose_insert(batch)
        written += len(batch)
        for episode, last in missed:
            # What dose_record does after a no-show, only where the run is long enough
            # to call for it (most no-shows are a day or two).
            days = rules.missed_run(last_taken_on=last, started_on=episode.started_on, until=day)
            if rules.missed_action(run=days, limits=limits) is not rules.Missed.CONTINUE:
                methadone.missed_run_flag(episode=episode, day=day)
    _constraints_now()
    _event(
        actor,
        import_id,
        "so_cap_thuoc",
        rows,
        people=sorted({str(episode.person_id) for episode in found.values()}),
        episodes=sorted(str(pk) for pk in found),
        doses=written,
        kinds={str(kind): count for kind, count in sorted(kinds.items())},
    )
    refused.extend(problems)


def dose_insert(doses: list[Dose]) -> None:
    """Insert doses with PostgreSQL's COPY (a dose has no history row; the batch's event
    is its record), else ``bulk_create`` (SQLite, the demo)."""
    if not doses:
        return
    if connection.vendor != "postgresql":
        Dose.objects.bulk_create(doses)
        return
    now = timezone.now()
    columns = ("episode_id", "given_on", "kind", "dose_mg", "recorded_by_id", "recorded_at")
    sql = f"COPY {Dose._meta.db_table} ({', '.join(columns)}) FROM STDIN"  # noqa: S608
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for dose in doses:
            copy.write_row(
                (dose.episode_id, dose.given_on, dose.kind, dose.dose_mg,
                 dose.recorded_by_id, now)
            )  # fmt: skip


def error_code(error: ValidationError) -> str:
    """Return a refusal's code: its own, its first rule breach's, or its first message's."""
    code = getattr(error, "code", None)
    breaches = getattr(error, "breaches", None)
    if not code and breaches:
        code = breaches[0].code  # DoseRefused, RuleBreach: the rule that refused
    if not code and hasattr(error, "error_list"):
        code = next((e.code for e in error.error_list if getattr(e, "code", None)), None)
    return code or "refused"


def _one_each(rows: Rows, built: list[Any], key: Callable[[Any], Any], taken: set[Any]) -> Rows:
    """Return the rows to leave to the row-by-row path: those whose ``key`` (a person, a
    case) has another row in the batch or a record already stored (``taken``); the
    actions' own checks compare them with the stored ones, one at a time."""
    counts: dict[Any, int] = defaultdict(int)
    for record in built:
        counts[key(record)] += 1
    return [
        (n, values)
        for (n, values), record in zip(rows, built, strict=True)
        if counts[key(record)] > 1 or key(record) in taken
    ]


def shelter_stays(
    *,
    actor: User,
    rows: Rows,
    build: Callable[[dict[str, Any]], ShelterStay],
    import_id: UUID,
) -> Rows:
    """Write at once the batch's shelter stays of people with no other stay (in the batch or
    stored); return the other rows (``shelter_stay_check`` compares their dates with the
    person's other stays, row by row)."""
    built = [build(values) for _n, values in rows]
    cases = cases_to_add_to(actor, {stay.case_id for stay in built})
    for stay in built:
        stay.case = cases[stay.case_id]
        stay.person_id = stay.case.person_id  # what ShelterStay.save copies
    people = {stay.person_id for stay in built}
    taken = set(
        ShelterStay.objects.filter(person_id__in=people).values_list("person_id", flat=True)
    )
    rest = _one_each(rows, built, lambda stay: stay.person_id, taken)
    left = {n for n, _v in rest}
    written = [(n, stay) for (n, _v), stay in zip(rows, built, strict=True) if n not in left]
    if not written:
        return rest
    recorder = account_of(actor)
    for _n, stay in written:
        stay.recorded_by = recorder
        _clean(stay)
    stays = [stay for _n, stay in written]
    _save(ShelterStay, stays, actor, f"import-{import_id}")
    _constraints_now()
    dues.cases_refresh(case_ids={stay.case_id for stay in stays})
    _event(
        actor,
        import_id,
        "luu_tru",
        [(n, v) for n, v in rows if n not in left],
        people=sorted({str(stay.person_id) for stay in stays}),
        records=[str(stay.pk) for stay in stays],
    )
    return rest


def post_rehab(
    *,
    actor: User,
    rows: Rows,
    build: Callable[[dict[str, Any]], PostRehabPeriod],
    import_id: UUID,
) -> Rows:
    """Write at once the batch's post-rehab periods of cases with no other period (in the
    batch or stored), each checked by ``postrehab_check`` once per commune and officer,
    with the check-ins an open period plans (``checkins_sync``); return the other rows."""
    built = [build(values) for _n, values in rows]
    cases = cases_to_add_to(actor, {period.case_id for period in built})
    for period in built:
        period.case = cases[period.case_id]
    taken = set(PostRehabPeriod.objects.filter(case_id__in=cases).values_list("case_id", flat=True))
    rest = _one_each(rows, built, lambda period: period.case_id, taken)
    left = {n for n, _v in rest}
    written = [(n, period) for (n, _v), period in zip(rows, built, strict=True) if n not in left]
    if not written:
        return rest
    recorder = account_of(actor)
    checked: set[tuple[Any, Any]] = set()
    checkins: list[FollowUp] = []
    for _n, period in written:
        period.recorded_by = recorder
        _clean(period)
        # The officer must serve the person's commune: one check per commune and officer
        # (the case has no other period: the check's other query finds none).
        pair = (period.case.person.residence_commune_id, period.officer_id)
        if pair not in checked:
            postrehab_check(period)
            checked.add(pair)
        if period.is_open:
            checkins.extend(
                FollowUp(
                    case=period.case,
                    period=period,
                    kind=FollowUpKind.POST_REHAB_CHECKIN,
                    due_on=due,
                    responsible_id=period.officer_id,
                    recorded_by=recorder,
                )
                for due in checkin_dates(period)
            )
    periods = [period for _n, period in written]
    _save(PostRehabPeriod, periods, actor, f"import-{import_id}")
    for checkin in checkins:
        _clean(checkin)
    _save(FollowUp, checkins, actor, f"import-{import_id}")
    _constraints_now()
    dues.cases_refresh(case_ids={period.case_id for period in periods})
    _event(
        actor,
        import_id,
        "sau_cai",
        [(n, v) for n, v in rows if n not in left],
        people=sorted({str(period.case.person_id) for period in periods}),
        records=[str(period.pk) for period in periods],
        checkins=[str(checkin.pk) for checkin in checkins],
    )
    return rest
