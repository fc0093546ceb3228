"""The records a case accumulates over the last years, for the scale generator (optional).

``bench.scale_data.grow(…, records=RecordMix())`` calls ``for_chunk`` for each chunk of
generated people: treatment episodes by modality (community, facility, methadone with its
prescriptions and recent doses), screenings with their scores, delivered services (Nhà Nhân ái
services and receptions for returned victims, shelter stays), post-rehab periods, vocational
support and referrals with their consent and steps, spread over the ``years`` before the day
of the run. The proportions are in ``RecordMix`` and ``bench/README.md``.

Everything here draws on its own random generator (seeded by the chunk), so turning it on
leaves the people, cases, services and follow-ups of the plain dataset unchanged. Encrypted
fields go through the app's own field (as the people do); no history or audit rows.
"""

from __future__ import annotations

import datetime
import json
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

from cases.choices import CaseStatus, ClientCategory
from cases.models import Case, Person
from referrals.models import Consent, ConsentMethod, Referral, ReferralStep, State
from services.instruments.dsm5_sud_v1 import CRITERIA, DSM5_SUD_V1
from services.methadone.models import Dose, DoseKind, Phase, Prescription
from services.models import (
    IdentificationStatus,
    IncomeBand,
    Modality,
    Outcome,
    PostRehabOutcome,
    PostRehabPeriod,
    Reception,
    Screening,
    ScreeningScore,
    ServiceRecord,
    ServiceStatus,
    ShelterStay,
    TreatmentEpisode,
    VocationalKind,
    VocationalOutcome,
    VocationalSupport,
)

DRUGS = (
    ClientCategory.ADDICTION,
    ClientCategory.DRUG_USER,
    ClientCategory.HIGH_RISK,
    ClientCategory.POST_REHAB,
)
# Delivered services by who receives them: (catalogue code, weight). Victims get the law's
# support list (Nhà Nhân ái and commune services); the others counselling and health.
VICTIM_SERVICES = [
    ("essential_needs", 25),
    ("hardship_allowance", 15),
    ("travel", 10),
    ("medical", 15),
    ("psychological", 15),
    ("legal_aid", 10),
    ("education_vocational", 5),
    ("loan", 5),
]
DRUG_SERVICES = [
    ("counselling", 40),
    ("prevention", 20),
    ("hiv_testing", 15),
    ("family_support", 10),
    ("medical", 10),
    ("psychological", 5),
]
OTHER_SERVICES = [("counselling", 50), ("medical", 20), ("psychological", 20), ("legal_aid", 10)]
AMOUNTS = [300_000, 500_000, 1_000_000, 1_500_000, 2_000_000, 3_000_000]
EPISODE_ENDINGS = [
    (Outcome.COMPLETED, 50),
    (Outcome.DROPPED_OUT, 25),
    (Outcome.RELAPSED, 15),
    (Outcome.TRANSFERRED, 10),
]
POSTREHAB_ENDINGS = [
    (PostRehabOutcome.COMPLETED, 70),
    (PostRehabOutcome.RELAPSED, 20),
    (PostRehabOutcome.MOVED, 10),
]
VOCATIONAL_KINDS = [
    (VocationalKind.TRAINING, 50),
    (VocationalKind.JOB_PLACEMENT, 25),
    (VocationalKind.LOAN, 15),
    (VocationalKind.APPRENTICESHIP, 10),
]
VOCATIONAL_ENDINGS = [
    (VocationalOutcome.COMPLETED, 45),
    (VocationalOutcome.EMPLOYED, 35),
    (VocationalOutcome.DROPPED_OUT, 20),
]
# The last state a generated referral reached, and its weight.
REFERRAL_STATES = [
    (State.COMPLETED, 50),
    (State.ACCEPTED, 15),
    (State.DECLINED, 10),
    (State.SENT, 15),
    (State.REVOKED, 5),
    (State.DRAFT, 5),
]
# Where a case of each category is referred: organisation keys or groups of bench.scale_data.
REFERRAL_TARGETS: dict[str, list[str]] = {
    ClientCategory.ADDICTION: ["clinic", "health_1", "health_2", "rehab_1"],
    ClientCategory.DRUG_USER: ["clinic", "health_1", "health_2"],
    ClientCategory.HIGH_RISK: ["health_1", "health_2"],
    ClientCategory.POST_REHAB: ["vocational", "health_1"],
    ClientCategory.TRAFFICKING_VICTIM: ["shelter_1", "shelter_2", "legal", "health_1"],
    ClientCategory.PROSTITUTION_SUPPORT: ["health_1", "legal", "vocational"],
}
REFERRAL_SERVICE = {
    "clinic": "opioid_substitution",
    "health_1": "medical",
    "health_2": "medical",
    "rehab_1": "counselling",
    "vocational": "education_vocational",
    "shelter_1": "essential_needs",
    "shelter_2": "essential_needs",
    "legal": "legal_aid",
}
PLACES = ["Cửa khẩu Móng Cái", "Cửa khẩu Lào Cai", "Cửa khẩu Hữu Nghị", "Cửa khẩu Tây Trang"]


@dataclass(frozen=True)
class RecordMix:
    """What each case gets, and how often (shares are of the cases the rule names)."""

    years: int = 3  # records fall in the ``years`` before the day of the run
    methadone_share: float = 0.03  # of addiction cases a methadone clinic holds
    dose_days: int = 30  # doses of open methadone episodes, back from yesterday
    services_per_year: float = 3.0  # delivered services per year a case is open in the window
    second_screening: float = 0.3  # of screened cases
    vocational: dict[str, float] = field(
        default_factory=lambda: {
            ClientCategory.POST_REHAB: 0.30,
            ClientCategory.TRAFFICKING_VICTIM: 0.35,
            ClientCategory.ADDICTION: 0.05,
            ClientCategory.PROSTITUTION_SUPPORT: 0.20,
        }
    )
    referral_share: float = 0.08  # of cases open in the window


@dataclass(frozen=True)
class Context:
    """What the workers need beyond the World: catalogue ids, keys by organisation, today."""

    today: datetime.date
    service_types: dict[str, int]
    answer_days: dict[str, int]
    org_key: dict[uuid.UUID, str]  # organisation id -> key of bench.scale_data.ORGANISATIONS
    orgs: dict[str, uuid.UUID]
    staff: dict[str, list[int]]
    clinic_of_district: dict[int, str]
    supervisor: int
    scored: list[
        tuple[str, int | None, str, list[tuple[str, int, str]]]
    ]  # answers, total, level, items


def scored_answers() -> list[tuple[str, int | None, str, list[tuple[str, int, str]]]]:
    """Return the DSM-5 screening of each possible number of criteria met (scored once)."""
    out = []
    for met in range(len(CRITERIA) + 1):
        answers = {"substance": "opioids", "supervised": "no"}
        answers |= {c.code: "yes" if n < met else "no" for n, c in enumerate(CRITERIA)}
        result = DSM5_SUD_V1.score(answers)
        items = [(s.subject, s.score, s.level) for s in result.scores]
        out.append((json.dumps(dict(result.answers)), result.total, result.level or "", items))
    return out


@dataclass
class Batch:
    """The rows of one chunk, by model, in the order they must be written."""

    rows: dict[type[models.Model], list[Any]] = field(default_factory=dict)

    def add(self, obj: models.Model) -> None:
        self.rows.setdefault(type(obj), []).append(obj)

    def counts(self) -> dict[str, int]:
        return {m._meta.label: len(r) for m, r in self.rows.items()}


ORDER: list[type[models.Model]] = [
    TreatmentEpisode,
    Prescription,
    Dose,
    Screening,
    ScreeningScore,
    ServiceRecord,
    Reception,
    ShelterStay,
    PostRehabPeriod,
    VocationalSupport,
    Consent,
    Referral,
    ReferralStep,
]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([k for k, _w in weighted], [w for _k, w in weighted])[0]


def _day_between(rng: random.Random, a: datetime.date, b: datetime.date) -> datetime.date:
    return a + datetime.timedelta(days=rng.randrange(max(1, (b - a).days + 1)))


def _months(day: datetime.date, months: int) -> datetime.date:
    return day + datetime.timedelta(days=round(months * 30.44))


class _Case:
    """One case's window: the days of the last ``years`` during which it was open."""

    def __init__(self, case: Case, person: Person, last: bool, ctx: Context, mix: RecordMix):
        self.case = case
        self.person = person
        self.last = last  # the person's latest case: the only one with residential records
        self.key = ctx.org_key[case.organisation_id]
        self.staff = ctx.staff[self.key][0] if case.assigned_to_id is None else case.assigned_to_id
        start = ctx.today - datetime.timedelta(days=round(365.25 * mix.years))
        self.since = max(case.opened_on, start)
        self.until = min(case.closed_on or ctx.today, ctx.today)
        self.open = case.status == CaseStatus.OPEN

    @property
    def in_window(self) -> bool:
        return self.since <= self.until


def for_chunk(
    rng: random.Random,
    ctx: Context,
    mix: RecordMix,
    people: list[Person],
    cases: list[Case],
) -> Batch:
    """Return the records of one chunk's cases (``cases`` in the order of ``people``)."""
    batch = Batch()
    by_person: dict[uuid.UUID, list[Case]] = {}
    for case in cases:
        by_person.setdefault(case.person_id, []).append(case)
    for person in people:
        theirs = by_person.get(person.id, [])
        for n, case in enumerate(theirs):
            window = _Case(case, person, n == len(theirs) - 1, ctx, mix)
            if window.in_window:
                _records(rng, ctx, mix, window, batch)
    return batch


def _records(rng: random.Random, ctx: Context, mix: RecordMix, w: _Case, batch: Batch) -> None:
    category = w.case.category
    if category == ClientCategory.ADDICTION:
        _episode(rng, ctx, mix, w, batch)
    if category in DRUGS:
        _screenings(rng, ctx, mix, w, batch)
    _services(rng, ctx, mix, w, batch)
    if category == ClientCategory.TRAFFICKING_VICTIM:
        _victim(rng, ctx, w, batch)
    if category == ClientCategory.POST_REHAB:
        _post_rehab(rng, ctx, w, batch)
    if rng.random() < mix.vocational.get(category, 0.0):
        _vocational(rng, ctx, w, batch)
    if rng.random() < mix.referral_share:
        _referral(rng, ctx, w, batch)


# --- treatment ------------------------------------------------------------------------------


def _modality(rng: random.Random, mix: RecordMix, w: _Case) -> str:
    if w.key.startswith("clinic_"):
        methadone = rng.random() < mix.methadone_share
        return Modality.METHADONE if methadone else Modality.COMMUNITY_VOLUNTARY
    if w.key in ("rehab_1", "rehab_2") and w.last:
        return Modality.FACILITY_COMPULSORY if rng.random() < 0.7 else Modality.FACILITY_VOLUNTARY
    if w.key == "rehab_private" and w.last:
        return Modality.FACILITY_VOLUNTARY
    return Modality.COMMUNITY_VOLUNTARY


def _episode(rng: random.Random, ctx: Context, mix: RecordMix, w: _Case, batch: Batch) -> None:
    modality = _modality(rng, mix, w)
    months = 18 if modality == Modality.FACILITY_COMPULSORY else 9
    started = _day_between(rng, w.since, min(w.until, w.since + datetime.timedelta(days=30)))
    if w.open and modality != Modality.METHADONE:
        # An ongoing residential or community episode began within its legal length.
        recent = ctx.today - datetime.timedelta(days=round(months * 30.44) - 15)
        started = max(started, _day_between(rng, recent, ctx.today))
    episode = TreatmentEpisode(
        id=_uuid(rng),
        case_id=w.case.id,
        person_id=w.person.id,
        modality=modality,
        provider_id=w.case.organisation_id,
        started_on=started,
        recorded_by_id=w.staff,
        planned_end_on=None if modality == Modality.METHADONE else _months(started, months),
    )
    if not w.open:
        episode.ended_on = max(started, w.until)
        episode.outcome = _pick(rng, EPISODE_ENDINGS)
    batch.add(episode)
    if modality == Modality.METHADONE:
        _methadone(rng, ctx, mix, w, episode, batch)


def _methadone(
    rng: random.Random,
    ctx: Context,
    mix: RecordMix,
    w: _Case,
    episode: TreatmentEpisode,
    batch: Batch,
) -> None:
    """Three prescriptions (induction, adjustment, maintenance), then the recent doses."""
    prescriber = ctx.staff[w.key][0]
    last = episode.ended_on or ctx.today
    orders = [
        (episode.started_on, Decimal(30), Phase.INDUCTION),
        (episode.started_on + datetime.timedelta(days=14), Decimal(60), Phase.STABILISATION),
        (
            episode.started_on + datetime.timedelta(days=42),
            Decimal(rng.randrange(70, 130, 10)),
            Phase.MAINTENANCE,
        ),
    ]
    in_force: list[tuple[datetime.date, Decimal]] = []
    for starts, dose, phase in orders:
        if starts > last:
            break
        batch.add(
            Prescription(
                id=_uuid(rng),
                case_id=w.case.id,
                episode_id=episode.id,
                starts_on=starts,
                dose_mg=dose,
                phase=phase,
                prescriber_id=prescriber,
                recorded_by_id=prescriber,
                rule_flags=[],
            )
        )
        in_force.append((starts, dose))
    if episode.ended_on is not None:
        return  # the dose table's own scale is bench.methadone's
    first = max(episode.started_on, ctx.today - datetime.timedelta(days=mix.dose_days))
    day = first
    while day < ctx.today:
        dose = [d for s, d in in_force if s <= day][-1]
        roll = rng.random()
        recent = (ctx.today - day).days <= 7  # a clean last week: no block at today's round
        if recent or roll < 0.95:
            batch.add(
                Dose(
                    episode_id=episode.id,
                    given_on=day,
                    kind=DoseKind.OBSERVED,
                    dose_mg=dose,
                    recorded_by_id=w.staff,
                )
            )
        elif roll < 0.98:
            batch.add(
                Dose(
                    episode_id=episode.id,
                    given_on=day,
                    kind=DoseKind.MISSED,
                    recorded_by_id=w.staff,
                )
            )
        day += datetime.timedelta(days=1)


def _screenings(rng: random.Random, ctx: Context, mix: RecordMix, w: _Case, batch: Batch) -> None:
    days = [_day_between(rng, w.since, min(w.until, w.since + datetime.timedelta(days=20)))]
    if rng.random() < mix.second_screening:
        days.append(_day_between(rng, days[0], w.until))
    for day in days:
        answers, total, level, items = rng.choice(ctx.scored)
        screening = Screening(
            id=_uuid(rng),
            case_id=w.case.id,
            recorded_by_id=w.staff,
            screener_id=w.staff,
            screened_on=day,
            instrument=DSM5_SUD_V1.code,
            instrument_version=DSM5_SUD_V1.version,
            answers=answers,
            score=total,
            level=level,
        )
        batch.add(screening)
        for item, score, item_level in items:
            batch.add(
                ScreeningScore(
                    id=_uuid(rng),
                    screening_id=screening.id,
                    item=item,
                    score=score,
                    level=item_level,
                )
            )


def _services(rng: random.Random, ctx: Context, mix: RecordMix, w: _Case, batch: Batch) -> None:
    years = ((w.until - w.since).days + 1) / 365.25
    count = min(12, _poisson(rng, mix.services_per_year * years))
    category = w.case.category
    menu = (
        VICTIM_SERVICES
        if category == ClientCategory.TRAFFICKING_VICTIM
        else DRUG_SERVICES
        if category in DRUGS
        else OTHER_SERVICES
    )
    for _ in range(count):
        code = _pick(rng, menu)
        batch.add(
            ServiceRecord(
                id=_uuid(rng),
                case_id=w.case.id,
                service_type_id=ctx.service_types[code],
                status=ServiceStatus.DELIVERED,
                delivered_on=_day_between(rng, w.since, w.until),
                provider_id=w.case.organisation_id,
                responsible_id=w.staff,
                recorded_by_id=w.staff,
                amount=_amount(rng, code),
            )
        )


def _amount(rng: random.Random, code: str) -> int | None:
    with_amount = {
        "essential_needs",
        "travel",
        "medical",
        "education_vocational",
        "hardship_allowance",
        "loan",
    }
    return rng.choice(AMOUNTS) if code in with_amount else None


def _poisson(rng: random.Random, mean: float) -> int:
    """Return a Poisson draw (Knuth's method; the means here are small)."""
    limit, count, product = 2.718281828459045**-mean, 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


# --- victims, post-rehab, vocational ---------------------------------------------------------


def _victim(rng: random.Random, ctx: Context, w: _Case, batch: Batch) -> None:
    """The reception; a stay at the Nhà Nhân ái holding the case (its latest case only)."""
    received = w.since
    reception = Reception(
        id=_uuid(rng), case_id=w.case.id, recorded_by_id=w.staff, received_on=received,
        receiving_agency_id=w.case.organisation_id,
        identification_status=_pick(rng, [(IdentificationStatus.IDENTIFIED, 80),
                                           (IdentificationStatus.VERIFYING, 15),
                                           (IdentificationStatus.NOT_IDENTIFIED, 5)]),
    )  # fmt: skip
    reception.place = rng.choice(PLACES)
    reception.current_address = w.person.address or ""
    reception.contact = w.person.phone or ""
    batch.add(reception)
    if w.key.startswith("shelter_") and w.last:
        left = received + datetime.timedelta(days=rng.randrange(15, 90))
        batch.add(
            ShelterStay(
                id=_uuid(rng),
                case_id=w.case.id,
                person_id=w.person.id,
                recorded_by_id=w.staff,
                shelter_id=w.case.organisation_id,
                entered_on=received,
                left_on=None if left >= ctx.today else left,
            )
        )


def _commune_officer(ctx: Context, w: _Case) -> int:
    if w.key.startswith("commune_"):
        return w.staff
    return ctx.staff["commune_1"][0]


def _post_rehab(rng: random.Random, ctx: Context, w: _Case, batch: Batch) -> None:
    started = _day_between(rng, w.since, min(w.until, w.since + datetime.timedelta(days=15)))
    period = PostRehabPeriod(
        id=_uuid(rng),
        case_id=w.case.id,
        recorded_by_id=w.staff,
        officer_id=_commune_officer(ctx, w),
        started_on=started,
        planned_end_on=_months(started, 12),
    )
    if not w.open:
        period.ended_on = max(started, w.until)
        period.outcome = _pick(rng, POSTREHAB_ENDINGS)
    batch.add(period)


def _vocational(rng: random.Random, ctx: Context, w: _Case, batch: Batch) -> None:
    started = _day_between(rng, w.since, w.until)
    support = VocationalSupport(
        id=_uuid(rng),
        case_id=w.case.id,
        recorded_by_id=w.staff,
        kind=_pick(rng, VOCATIONAL_KINDS),
        provider_id=ctx.orgs["vocational"],
        started_on=started,
    )
    ended = started + datetime.timedelta(days=rng.randrange(60, 270))
    if ended < ctx.today:
        support.ended_on = ended
        support.outcome = _pick(rng, VOCATIONAL_ENDINGS)
        if support.outcome == VocationalOutcome.EMPLOYED:
            support.income_band = rng.choice(list(IncomeBand)[:3])
            support.employer = "Xưởng may Quy Mô"
    batch.add(support)


# --- referrals ------------------------------------------------------------------------------


def _target(rng: random.Random, ctx: Context, w: _Case) -> str:
    key = rng.choice(REFERRAL_TARGETS[w.case.category])
    if key == "clinic":
        key = ctx.clinic_of_district.get(rng.randrange(1, 7), "clinic_1")
    return key if key != w.key else "health_1" if w.key != "health_1" else "legal"


def _referral(rng: random.Random, ctx: Context, w: _Case, batch: Batch) -> None:
    """A referral with its consent and one step per transition it went through."""
    to = _target(rng, ctx, w)
    state = _pick(rng, REFERRAL_STATES)
    if state == State.SENT:  # still waiting: sent in the last three weeks
        created = ctx.today - datetime.timedelta(days=rng.randrange(1, 21))
        if not w.open:
            state = State.COMPLETED
    else:
        created = _day_between(rng, w.since, w.until)
    consent = Consent(
        id=_uuid(rng),
        case_id=w.case.id,
        recorded_by_id=w.staff,
        method=ConsentMethod.SIGNED,
        given_on=created,
    )
    batch.add(consent)
    code = REFERRAL_SERVICE.get(to, "counselling")
    referral = Referral(
        id=_uuid(rng),
        case_id=w.case.id,
        recorded_by_id=w.staff,
        from_organisation_id=w.case.organisation_id,
        to_organisation_id=ctx.orgs[to],
        service_type_id=ctx.service_types[code],
        state=state,
        parts=["identity", "screenings"],
        consent_id=consent.id,
    )
    referral.reason = "Cần hỗ trợ chuyên môn ngoài khả năng của đơn vị."
    receiver = ctx.staff[to][0]
    steps: list[tuple[str, State, State, int]] = []
    if state != State.DRAFT:
        steps += [
            ("submit", State.DRAFT, State.SUBMITTED, w.staff),
            ("approve", State.SUBMITTED, State.APPROVED, ctx.supervisor),
        ]
        if state != State.REVOKED:
            steps.append(("send", State.APPROVED, State.SENT, w.staff))
            referral.sent_on = created
            referral.answer_due_on = created + datetime.timedelta(days=ctx.answer_days[code] + 2)
    if state in (State.ACCEPTED, State.COMPLETED):
        steps.append(("accept", State.SENT, State.ACCEPTED, receiver))
        referral.answered_on = created + datetime.timedelta(days=rng.randrange(1, 5))
    if state == State.COMPLETED:
        steps.append(("complete", State.ACCEPTED, State.COMPLETED, receiver))
        referral.outcome = "Đã cung cấp dịch vụ."
        referral.closed_on = min(ctx.today, created + datetime.timedelta(days=rng.randrange(7, 60)))
    if state == State.DECLINED:
        steps.append(("decline", State.SENT, State.DECLINED, receiver))
        referral.answered_on = referral.closed_on = created + datetime.timedelta(days=2)
    if state == State.REVOKED:
        steps.append(("revoke", State.APPROVED, State.REVOKED, w.staff))
        referral.closed_on = created + datetime.timedelta(days=1)
    batch.add(referral)
    for action, source, target, actor in steps:
        batch.add(
            ReferralStep(
                id=_uuid(rng),
                referral_id=referral.id,
                action=action,
                from_state=source,
                to_state=target,
                actor_id=actor,
            )
        )


# --- writing --------------------------------------------------------------------------------


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    # A bigserial key (doses) is left to its sequence.
    return [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]


def _rows(model: type[models.Model], instances: list[Any]) -> Iterator[list[Any]]:
    fields = _columns(model)
    real = connections[DEFAULT_DB_ALIAS]  # not the proxy: a context-local look-up per column
    for obj in instances:
        yield [f.get_db_prep_save(f.pre_save(obj, True), real) for f in fields]


def copy(batch: Batch) -> None:
    """Write a chunk's records with COPY, parents first (inside the caller's transaction)."""
    quote = connection.ops.quote_name
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    for model in ORDER:
        instances = batch.rows.get(model)
        if not instances:
            continue
        columns = ", ".join(quote(str(f.column)) for f in _columns(model))
        table = quote(model._meta.db_table)
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as out:
            for row in _rows(model, instances):
                out.write_row(row)
