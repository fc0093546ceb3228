"""Generate the national-scale dataset of issue 10, reproducibly and in bulk.

One province (code 97) with 10 districts and 150 communes, 30 organisations of the types the
data migration loads, a few staff per organisation, and N people with ~1.3 cases each. People
and cases are model instances encrypted by the app's own fields (ciphertext bound to the row
UUID and the field label, blind indexes from ``BlindIndexField.pre_save``), written with
PostgreSQL ``COPY`` by worker processes. No history or audit rows are written for them.

The dataset grows in place: ``grow(to=…)`` adds people from the current count up to the
target, in chunks seeded by their position, so the same seed and sizes give the same people.
"""

from __future__ import annotations

import datetime
import itertools
import multiprocessing
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

from cases.choices import CaseStatus, ClientCategory, Role, Sex, UnitLevel
from cases.citizen_id import PROVINCE_CODES, century_sex_digit
from cases.models import (
    AdministrativeUnit,
    Case,
    Organisation,
    OrganisationType,
    Person,
    StaffProfile,
)
from cases.roles import staff_profile_save
from services.models import FollowUp, FollowUpKind, ServiceRecord, ServiceStatus, ServiceType

from . import scale_records

PROVINCE = "97"
DISTRICTS = 10
COMMUNES_PER_DISTRICT = 14
DIRECT_COMMUNES = 10  # 2-tier communes straight under the province: 10 × 14 + 10 = 150
CHUNK = 10_000
TODAY = datetime.date(2026, 11, 1)
FIRST_DAY = datetime.date(2012, 1, 1)
ID_BLOCK = 1_000_000  # citizen-ID serials are a bijection of the position within a block

# Actors measured by bench.scale: username, organisation key, role; each one's scope is the
# unit of their organisation (a district clinic, a commune, the provincial office).
ACTORS = {
    "caseworker": ("scale_caseworker", "clinic_1", Role.CASEWORKER),
    "commune officer": ("scale_commune_officer", "commune_1", Role.COMMUNE_OFFICER),
    "province supervisor": ("scale_supervisor", "social", Role.SUPERVISOR),
}

# key, name, type code, unit (p = province, dN = district N, cN = first commune of district N,
# xN = N-th commune straight under the province). Thirty in all.
ORGANISATIONS: list[tuple[str, str, str, str]] = [
    ("social", "Sở Y tế – Xã hội tỉnh Quy Mô", "social-affairs-office", "p"),
    ("rehab_1", "Cơ sở cai nghiện ma túy số 1", "rehab-public", "p"),
    ("rehab_2", "Cơ sở cai nghiện ma túy số 2", "rehab-public", "p"),
    ("rehab_private", "Cơ sở cai nghiện tư nhân Bình Minh", "rehab-private", "d1"),
    *[
        (f"clinic_{n}", f"Cơ sở điều trị methadone số {n}", "methadone-clinic", f"d{n}")
        for n in range(1, 7)
    ],
    *[(f"commune_{n}", f"UBND xã Quy Mô {n}", "commune-committee", f"c{n}") for n in range(1, 11)],
    ("commune_11", "UBND phường Quy Mô 11", "commune-committee", "x1"),
    ("commune_12", "UBND phường Quy Mô 12", "commune-committee", "x2"),
    ("shelter_1", "Nhà Nhân ái tỉnh Quy Mô", "nha-nhan-ai", "p"),
    ("shelter_2", "Nhà Nhân ái Hy Vọng", "nha-nhan-ai", "p"),
    ("vocational", "Trường Trung cấp nghề Quy Mô", "vocational-school", "p"),
    ("health_1", "Trung tâm Y tế huyện 7", "health-facility", "d7"),
    ("health_2", "Trung tâm Y tế huyện 8", "health-facility", "d8"),
    ("legal", "Trung tâm Trợ giúp pháp lý", "legal-aid", "p"),
    ("police_1", "Công an xã Quy Mô 9", "police", "c9"),
    ("police_2", "Công an xã Quy Mô 10", "police", "c10"),
]
STAFF_PER_ORG = 3

CATEGORY_WEIGHTS = {
    ClientCategory.ADDICTION: 45,
    ClientCategory.DRUG_USER: 25,
    ClientCategory.HIGH_RISK: 9,
    ClientCategory.POST_REHAB: 13,
    ClientCategory.TRAFFICKING_VICTIM: 4,
    ClientCategory.PROSTITUTION_SUPPORT: 4,
}
# Who holds a case of each category; "clinic" and "commune" mean the one near where the person
# lives when there is one, the other keys are groups picked from at random.
CATEGORY_HOLDERS: dict[str, list[tuple[str, int]]] = {
    ClientCategory.ADDICTION: [
        ("clinic", 50),
        ("rehab", 25),
        ("rehab_private", 5),
        ("commune", 15),
        ("health", 5),
    ],
    ClientCategory.DRUG_USER: [("commune", 60), ("police", 25), ("clinic", 15)],
    ClientCategory.HIGH_RISK: [("commune", 80), ("health", 20)],
    ClientCategory.POST_REHAB: [("commune", 70), ("rehab", 20), ("vocational", 10)],
    ClientCategory.TRAFFICKING_VICTIM: [("shelter", 60), ("commune", 25), ("legal", 15)],
    ClientCategory.PROSTITUTION_SUPPORT: [("social", 40), ("commune", 40), ("health", 20)],
}
GROUPS = {
    "rehab": ["rehab_1", "rehab_2"],
    "shelter": ["shelter_1", "shelter_2"],
    "health": ["health_1", "health_2"],
    "police": ["police_1", "police_2"],
    "vocational": ["vocational"],
    "legal": ["legal"],
    "social": ["social"],
    "rehab_private": ["rehab_private"],
}

SURNAMES = [
    ("Nguyễn", 300), ("Trần", 90), ("Lê", 80), ("Phạm", 60), ("Hoàng", 45), ("Vũ", 35),
    ("Phan", 30), ("Đặng", 20), ("Bùi", 20), ("Đỗ", 15), ("Hồ", 12), ("Ngô", 12),
    ("Dương", 10), ("Lý", 8), ("Lò", 30), ("Giàng", 30), ("Sùng", 20), ("Vàng", 20),
    ("Thào", 15), ("Hầu", 10), ("Má", 8), ("Lường", 10), ("Cầm", 8), ("Hà", 12),
]  # fmt: skip
MIDDLE = {
    Sex.MALE: [
        "Văn",
        "Văn",
        "Văn",
        "Đức",
        "Minh",
        "Quang",
        "Hữu",
        "Công",
        "Xuân",
        "Thanh",
        "Ngọc",
        "A",
        "Seo",
        "Mạnh",
        "Tiến",
    ],
    Sex.FEMALE: [
        "Thị",
        "Thị",
        "Thị",
        "Thu",
        "Ngọc",
        "Thanh",
        "Kim",
        "Mai",
        "Hồng",
        "Thùy",
        "Minh",
        "Phương",
        "Bích",
        "Diệu",
        "Hoài",
    ],
}
GIVEN = {
    Sex.MALE: ["An", "Anh", "Bình", "Cường", "Chiến", "Dũng", "Đạt", "Đông", "Giang", "Hải",
               "Hiếu", "Hòa", "Hùng", "Huy", "Khoa", "Khánh", "Kiên", "Lâm", "Long", "Lợi",
               "Mạnh", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài",
               "Thắng", "Thành", "Thông", "Tiến", "Trung", "Tuấn", "Tùng", "Việt", "Vinh",
               "Chứ", "Páo", "Sử", "Dình", "Lềnh"],
    Sex.FEMALE: ["An", "Anh", "Châu", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền",
                 "Hoa", "Hồng", "Huệ", "Hương", "Lan", "Liên", "Linh", "Loan", "Mai", "My",
                 "Nga", "Ngân", "Nhung", "Oanh", "Phương", "Quyên", "Quỳnh", "Thảo", "Thu",
                 "Thủy", "Trang", "Tuyết", "Vân", "Yến", "Dợ", "Mỷ", "Pằng", "Sua"],
}  # fmt: skip
ALIASES = ["Tí", "Tèo", "Bin", "Cu", "Bống", "Mèo", "Ku", "Tũn", "Đen", "Bé"]
RELATIONS = ["Mẹ", "Bố", "Vợ", "Chồng", "Anh trai", "Chị gái", "Em", "Con"]
ETHNICITY_WEIGHTS = {"01": 58, "02": 8, "03": 7, "08": 12, "09": 6, "07": 4, "25": 2, "06": 3}
NOTES = [
    "Theo dõi định kỳ hằng tháng.",
    "Đã kết nối với trạm y tế xã.",
    "Gia đình hỗ trợ tốt; cần tư vấn việc làm.",
    "Vắng mặt hai lần gặp gần nhất.",
]
# Birth-registration province codes: mostly this province's own, some from elsewhere. Each
# block of ID_BLOCK positions uses its own codes, so numbers never repeat across blocks.
_CODES = sorted(PROVINCE_CODES)


@dataclass(frozen=True)
class World:
    """The fixed part of the dataset: ids only, so worker processes inherit it cheaply."""

    province_id: int
    commune_ids: list[int]
    commune_names: list[str]
    commune_cum_weights: list[float]
    commune_district: list[int]  # 0 for a commune straight under the province
    orgs: dict[str, uuid.UUID]
    local_clinic: dict[int, str]  # district number -> clinic key
    local_committee: dict[int, str]  # commune index -> committee key
    district_committees: dict[int, list[str]]
    staff: dict[str, list[int]]  # organisation key -> user ids that may be assigned cases
    actors: dict[str, int]  # actor label -> user id


def _unit(
    code: str, name: str, level: str, parent: AdministrativeUnit | None
) -> AdministrativeUnit:
    unit, _created = AdministrativeUnit.objects.get_or_create(
        code=code, defaults={"name": name, "level": level, "parent": parent}
    )
    return unit


def _commune_code(district: int, n: int) -> str:
    return f"{PROVINCE}{district:02d}{n:02d}"


def ensure_world(seed: int) -> World:
    """Create (or find) the province, organisations, staff and actors; return their ids."""
    user_model = get_user_model()
    with transaction.atomic():
        province = _unit(PROVINCE, "Tỉnh Quy Mô (bench)", UnitLevel.PROVINCE, None)
        districts = {
            d: _unit(f"{PROVINCE}{d:02d}", f"Huyện Quy Mô {d}", UnitLevel.DISTRICT, province)
            for d in range(1, DISTRICTS + 1)
        }
        communes: list[tuple[AdministrativeUnit, int]] = []
        for d, district in districts.items():
            for n in range(1, COMMUNES_PER_DISTRICT + 1):
                name = f"Xã Quy Mô {d}-{n}"
                communes.append((_unit(_commune_code(d, n), name, UnitLevel.COMMUNE, district), d))
        for n in range(1, DIRECT_COMMUNES + 1):
            name = f"Phường Quy Mô {n}"
            communes.append((_unit(_commune_code(0, n), name, UnitLevel.COMMUNE, province), 0))
        index_of = {unit.code: i for i, (unit, _d) in enumerate(communes)}

        def place(ref: str) -> AdministrativeUnit:
            if ref == "p":
                return province
            if ref[0] == "d":
                return districts[int(ref[1:])]
            if ref[0] == "c":
                return communes[index_of[_commune_code(int(ref[1:]), 1)]][0]
            return communes[index_of[_commune_code(0, int(ref[1:]))]][0]

        types = {t.code: t for t in OrganisationType.objects.all()}
        orgs: dict[str, Organisation] = {}
        for key, name, kind, ref in ORGANISATIONS:
            orgs[key] = Organisation.objects.get_or_create(
                name=name, defaults={"type": types[kind], "unit": place(ref)}
            )[0]
        staff: dict[str, list[int]] = {}
        for key, _name, kind, _ref in ORGANISATIONS:
            role = Role.COMMUNE_OFFICER if kind == "commune-committee" else Role.CASEWORKER
            for n in range(1, STAFF_PER_ORG + 1):
                user = _staff(user_model, f"scale_{key}_{n}", orgs[key], role, orgs[key].unit)
                staff.setdefault(key, []).append(user.pk)
        actors: dict[str, int] = {}
        for label, (username, org_key, role) in ACTORS.items():
            org = orgs[org_key]
            user = _staff(user_model, username, org, role, org.unit)
            actors[label] = user.pk
            if role != Role.SUPERVISOR:
                staff[org_key].insert(0, user.pk)  # the measured actor holds cases too
    rng = random.Random(f"{seed}:communes")
    # Where people live is skewed (towns and lowland communes far more populous): Zipf-like
    # weights over a seeded shuffle of the communes, the 2-tier urban wards weighted up.
    ranks = list(range(1, len(communes) + 1))
    rng.shuffle(ranks)
    weights = [
        (3.0 if d == 0 else 1.0) / rank**0.7 for rank, (_u, d) in zip(ranks, communes, strict=True)
    ]
    cumulative = list(itertools.accumulate(weights))
    local_committee: dict[int, str] = {}
    district_committees: dict[int, list[str]] = {}
    for key, _name, kind, _ref in ORGANISATIONS:
        if kind == "commune-committee":
            i = index_of[orgs[key].unit.code]
            local_committee[i] = key
            district_committees.setdefault(communes[i][1], []).append(key)
    return World(
        province_id=province.pk,
        commune_ids=[u.pk for u, _d in communes],
        commune_names=[u.name for u, _d in communes],
        commune_cum_weights=cumulative,
        commune_district=[d for _u, d in communes],
        orgs={key: org.pk for key, org in orgs.items()},
        local_clinic={
            int(ref[1:]): key for key, _n, kind, ref in ORGANISATIONS if kind == "methadone-clinic"
        },
        local_committee=local_committee,
        district_committees=district_committees,
        staff=staff,
        actors=actors,
    )


def _staff(
    user_model: Any, username: str, org: Organisation, role: str, unit: AdministrativeUnit
) -> Any:
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create_user(username, password=None)
        # The profile's post_save signal puts the user in the role's group (cases.roles).
        staff_profile_save(
            actor=None,
            profile=StaffProfile(user=user, organisation=org, role=role, scope_unit=unit),
        )
    return user


# --- per-person generation (runs in worker processes) -----------------------------------


def _choice(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([k for k, _w in weighted], [w for _k, w in weighted])[0]


def _holder(rng: random.Random, world: World, category: str, commune: int) -> str:
    kind = _choice(rng, CATEGORY_HOLDERS[category])
    district = world.commune_district[commune]
    if kind == "clinic":
        clinics = sorted(world.local_clinic.values())
        return world.local_clinic.get(district) or rng.choice(clinics)
    if kind == "commune":
        if commune in world.local_committee:
            return world.local_committee[commune]
        nearby = world.district_committees.get(district)
        return rng.choice(nearby or sorted(world.local_committee.values()))
    return rng.choice(GROUPS[kind])


def _birth_year(rng: random.Random, category: str) -> int:
    centre, spread = (1998, 6) if category == ClientCategory.TRAFFICKING_VICTIM else (1988, 9)
    return min(2008, max(1950, round(rng.gauss(centre, spread))))


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _person_and_cases(rng: random.Random, world: World, position: int) -> tuple[Person, list[Case]]:
    category = rng.choices(list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values()))[0]
    female = rng.random() < (0.9 if category == ClientCategory.TRAFFICKING_VICTIM else 0.12)
    sex = Sex.FEMALE if female else Sex.MALE
    year = _birth_year(rng, category)
    commune = rng.choices(range(len(world.commune_ids)), cum_weights=world.commune_cum_weights)[0]
    first_holder = _holder(rng, world, category, commune)
    block, serial = divmod(position, ID_BLOCK)
    codes = _CODES[block * 6 : block * 6 + 6]
    code = codes[0] if rng.random() < 0.85 else rng.choice(codes[1:])
    person = Person(id=_uuid(rng))
    # Set after the id: the encrypted fields bind each ciphertext to the row's UUID.
    person.full_name = (
        f"{_choice(rng, SURNAMES)} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"
    )
    if rng.random() < 0.05:
        person.aliases = rng.choice(ALIASES)
    if rng.random() < 0.92:
        marker = century_sex_digit(birth_year=year, female=female)
        person.citizen_id = f"{code}{marker}{year % 100:02d}{(serial * 7919 + 4243) % ID_BLOCK:06d}"
    if rng.random() < 0.75:
        number = (position * 7_654_321 + 1_234_567) % 100_000_000
        person.phone = f"{rng.choice(['09', '03', '08'])}{number:08d}"
    if rng.random() < 0.95:
        person.address = f"Thôn {rng.randrange(1, 25)}, {world.commune_names[commune]}"
    if rng.random() < 0.4:
        person.family_contact = f"{rng.choice(RELATIONS)} – 09{rng.randrange(10**8):08d}"
    if rng.random() < 0.5:
        born = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(365))
        person.birth_date = born.isoformat()
    person.residence_commune_id = world.commune_ids[commune]
    person.sex = sex
    person.birth_year = year
    person.ethnicity = rng.choices(list(ETHNICITY_WEIGHTS), list(ETHNICITY_WEIGHTS.values()))[0]
    # Mostly whoever holds the first case registered the person; otherwise a local office.
    registered_by = (
        first_holder if rng.random() < 0.9 else _holder(rng, world, "high_risk", commune)
    )
    person.registered_by_id = world.orgs[registered_by]
    roll = rng.random()
    count = 1 if roll < 0.75 else 2 if roll < 0.95 else 3  # 1.30 cases per person
    span = (TODAY - FIRST_DAY).days
    # More records opened recently than long ago.
    opened = FIRST_DAY + datetime.timedelta(days=int(span * (1 - rng.random() ** 1.6)))
    cases = []
    for n in range(count):
        if n:
            category = rng.choices(list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values()))[0]
            if category == ClientCategory.TRAFFICKING_VICTIM and not female:
                category = ClientCategory.POST_REHAB
            opened = min(TODAY, opened + datetime.timedelta(days=rng.randrange(30, 1500)))
        holder = first_holder if n == 0 else _holder(rng, world, category, commune)
        old = (TODAY - opened).days > 730
        closed = n < count - 1 or rng.random() < (0.6 if old else 0.15)
        closed_on = (
            min(TODAY, opened + datetime.timedelta(days=rng.randrange(30, 900))) if closed else None
        )
        staff = world.staff[holder]
        case = Case(id=_uuid(rng))
        case.person_id = person.id
        case.residence_commune_id = person.residence_commune_id  # Case.save's copy
        case.category = category
        case.managed_record = category == ClientCategory.ADDICTION or rng.random() < 0.3
        case.status = CaseStatus.CLOSED if closed else CaseStatus.OPEN
        case.opened_on = opened
        case.closed_on = closed_on
        case.organisation_id = world.orgs[holder]
        case.assigned_to_id = rng.choice(staff) if rng.random() < 0.45 else None
        if rng.random() < 0.3:
            case.notes = rng.choice(NOTES)
        cases.append(case)
    return person, cases


def _rows(model: type[models.Model], instances: list[Any]) -> Iterator[list[Any]]:
    """Yield each instance's column values as an INSERT would write them (pre_save included).

    The fields get the worker's connection object itself: handing them the ``connection``
    proxy cost an asgiref context-local look-up per column and row (a tenth of the load).
    """
    fields = model._meta.concrete_fields
    real = connections[DEFAULT_DB_ALIAS]
    for obj in instances:
        yield [f.get_db_prep_save(f.pre_save(obj, True), real) for f in fields]


def _copy(model: type[models.Model], instances: list[Any]) -> None:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in model._meta.concrete_fields)
    table = quote(model._meta.db_table)
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in _rows(model, instances):
            copy.write_row(row)


_WORLD: World | None = None  # set in the parent before forking, inherited by the workers


# Service type ids (catalogue rows loaded by migration), set in the parent before forking.
_SERVICE_TYPES: dict[str, int] = {}


def _work(rng: random.Random, case: Case) -> tuple[list[ServiceRecord], list[FollowUp]]:
    """Return a case's services (one delivered; an open case also one planned and, half the
    time, a follow-up, due around the day the benchmark runs) and set its next due date."""
    staff = case.assigned_to_id or _WORLD_STAFF[case.organisation_id]
    done = min(TODAY, case.opened_on + datetime.timedelta(days=rng.randrange(1, 60)))
    services = [
        ServiceRecord(
            id=_uuid(rng),
            case_id=case.id,
            service_type_id=_SERVICE_TYPES["counselling"],
            status=ServiceStatus.DELIVERED,
            delivered_on=done,
            recorded_by_id=staff,
            responsible_id=staff,
        )
    ]
    follow_ups: list[FollowUp] = []
    if case.status != CaseStatus.OPEN:
        return services, follow_ups
    today = timezone.localdate()
    due = today + datetime.timedelta(days=rng.randrange(-30, 60))
    services.append(
        ServiceRecord(
            id=_uuid(rng),
            case_id=case.id,
            service_type_id=_SERVICE_TYPES["prevention"],
            status=ServiceStatus.PLANNED,
            due_on=due,
            recorded_by_id=staff,
            responsible_id=staff,
        )
    )
    dues = [due]
    if rng.random() < 0.5:
        visit = today + datetime.timedelta(days=rng.randrange(-20, 40))
        follow_ups.append(
            FollowUp(
                id=_uuid(rng),
                case_id=case.id,
                kind=FollowUpKind.OTHER,
                due_on=visit,
                responsible_id=staff,
                recorded_by_id=staff,
            )
        )
        dues.append(visit)
    case.next_due_on = min(dues)
    return services, follow_ups


# The first staff member of each organisation (by id), who records what nobody is assigned.
_WORLD_STAFF: dict[uuid.UUID, int] = {}


# The years of records each case gets (bench.scale_records), when asked; set before forking.
_RECORDS: tuple[scale_records.RecordMix, scale_records.Context] | None = None


def _load_chunk(span: tuple[int, int, int]) -> tuple[int, int]:
    seed, start, end = span
    assert _WORLD is not None
    rng = random.Random(f"{seed}:{start}")
    people: list[Person] = []
    cases: list[Case] = []
    services: list[ServiceRecord] = []
    follow_ups: list[FollowUp] = []
    for position in range(start, end):
        person, theirs = _person_and_cases(rng, _WORLD, position)
        people.append(person)
        cases.extend(theirs)
        for case in theirs:
            more, visits = _work(rng, case)
            services += more
            follow_ups += visits
    records = None
    if _RECORDS is not None:
        # Its own generator: the people, cases and services above stay what they were.
        mix, context = _RECORDS
        records_rng = random.Random(f"{seed}:{start}:records")
        records = scale_records.for_chunk(records_rng, context, mix, people, cases)
    with transaction.atomic():
        _copy(Person, people)
        _copy(Case, cases)
        _copy(ServiceRecord, services)
        _copy(FollowUp, follow_ups)
        if records is not None:
            scale_records.copy(records)
    return len(people), len(cases)


def _spans(seed: int, start: int, end: int) -> list[tuple[int, int, int]]:
    """Split [start, end) at multiples of CHUNK, so a chunk's people depend on its position."""
    cuts = [start, *range((start // CHUNK + 1) * CHUNK, end, CHUNK), end]
    return [(seed, a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _progress(done: int, to: int, start: float) -> None:
    if done % (20 * CHUNK) == 0 or done == to:
        print(f"  … {done:,} of {to:,} people ({time.perf_counter() - start:.0f} s)", flush=True)


VISIBLE_ENOUGH = 0.99


def _all_visible(cursor: Any, table: str) -> float:
    cursor.execute("SELECT relpages, relallvisible FROM pg_class WHERE relname = %s", [table])
    pages, visible = cursor.fetchone()
    return 1.0 if not pages else visible / pages


def _settle_visibility(cursor: Any, tries: int = 10) -> None:
    """VACUUM people and cases again until their visibility map covers (nearly) every page.

    Right after the workers' bulk load, a VACUUM can leave the new pages out of the map
    (seen: 0 of 12,182 pages of people), so every index-only scan fetches the heap. A
    production table gets its map from autovacuum; the benchmark waits for it.
    """
    for table in (Person._meta.db_table, Case._meta.db_table):
        for _ in range(tries):
            if _all_visible(cursor, table) >= VISIBLE_ENOUGH:
                break
            time.sleep(1)
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")
        share = _all_visible(cursor, table)
        print(f"  {table}: {share:.1%} of pages all-visible", flush=True)


def people_count(world: World) -> int:
    """Return how many generated people the database holds."""
    return Person.objects.filter(registered_by_id__in=world.orgs.values()).count()


@dataclass(frozen=True)
class GrowReport:
    people: int
    cases: int
    added_people: int
    load_s: float
    vacuum_s: float


def records_context(world: World) -> scale_records.Context:
    """Return what the records generator needs beside the World (read once, before forking)."""
    types = dict(ServiceType.objects.values_list("code", "id"))
    days = dict(ServiceType.objects.values_list("code", "answer_within_days"))
    return scale_records.Context(
        today=timezone.localdate(),
        service_types=types,
        answer_days=days,
        org_key={org_id: key for key, org_id in world.orgs.items()},
        orgs=world.orgs,
        staff=world.staff,
        clinic_of_district=world.local_clinic,
        supervisor=world.actors["province supervisor"],
        scored=scale_records.scored_answers(),
    )


def grow(
    world: World,
    *,
    to: int,
    seed: int,
    workers: int,
    records: scale_records.RecordMix | None = None,
) -> GrowReport:
    """Add generated people (and their cases) until there are ``to``; VACUUM ANALYZE after.

    With ``records``, each new case also gets the records of its last years
    (``bench.scale_records``); without, the dataset is the plain one of issue 10.
    """
    global _WORLD, _RECORDS
    if to > len(_CODES) // 6 * ID_BLOCK:
        raise ValueError(f"at most {len(_CODES) // 6 * ID_BLOCK} people (unique citizen IDs)")
    have = people_count(world)
    start = time.perf_counter()
    spans = _spans(seed, have, to)
    added = 0
    if spans:
        _WORLD = world
        _RECORDS = None if records is None else (records, records_context(world))
        _SERVICE_TYPES.update(ServiceType.objects.values_list("code", "id"))
        _WORLD_STAFF.update({world.orgs[key]: ids[0] for key, ids in world.staff.items() if ids})
        connections.close_all()  # each worker opens its own connection after the fork
        if workers > 1:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for people, _cases in pool.imap_unordered(_load_chunk, spans):
                    added += people
                    _progress(have + added, to, start)
        else:
            for span in spans:
                added += _load_chunk(span)[0]
                _progress(have + added, to, start)
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    with connection.cursor() as cursor:
        # VACUUM too, not only ANALYZE: autovacuum would otherwise run at an arbitrary moment
        # during the measurements, and index-only scans need the visibility map.
        tables = [Person, Case, AdministrativeUnit, Organisation, StaffProfile, ServiceRecord]
        tables += [FollowUp, *(scale_records.ORDER if records is not None else [])]
        for model in dict.fromkeys(tables):
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
        cursor.execute("ANALYZE")
        _settle_visibility(cursor)
    vacuum_s = time.perf_counter() - start
    cases = Case.objects.filter(organisation_id__in=world.orgs.values()).count()
    return GrowReport(people_count(world), cases, added, load_s, vacuum_s)
