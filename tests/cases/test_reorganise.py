"""reorganise_units: a merge of three communes into one and a split of one into two, with
people, cases, an organisation, staff scopes and a coverage figure before and after; the dry
run; and the whole country (the published 2025 mapping, or a synthetic one of its shape)."""

from __future__ import annotations

import datetime
import io
import random
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import F

from accounts.models import User
from audit.models import Event
from bench.unit_lists import unit_lists
from cases import access
from cases.choices import UnitLevel
from cases.events import CaseAction
from cases.models import (
    AdministrativeUnit,
    Case,
    Organisation,
    OrganisationType,
    Person,
    StaffProfile,
)
from cases.reorganise import Report, reorganise
from cases.roles import staff_profile_save
from cases.units import ReorganisationRefused, units_load_csv
from core.roles import Role
from reports import registry
from reports.registry import Period, Query
from services.models import TreatmentEpisode
from tests.factories import make_case, make_person, make_user

pytestmark = pytest.mark.django_db

OPERATOR = "ops-thu"
D = datetime.date
H1 = Period(D(2025, 1, 1), D(2025, 6, 30))
TREE = """code,name,level,parent_code
70,Tỉnh Bảy Mươi,province,
701,Huyện Bắc,district,70
70101,Xã An,commune,701
70102,Xã Bình,commune,701
70103,Xã Cường,commune,701
702,Huyện Nam,district,70
70201,Xã Sơn,commune,702
"""
# A, B and C merge into the unit that keeps A's code; S is split between the unit that keeps
# its code and a new one.
MAPPING = """new_code,new_name,new_level,old_code,old_name,kind
70,Tỉnh Bảy Mươi,province,70,Tỉnh Bảy Mươi,full
70101,Phường Hợp Nhất,commune,70101,Xã An,full
70101,Phường Hợp Nhất,commune,70102,Xã Bình,full
70101,Phường Hợp Nhất,commune,70103,Xã Cường,full
70201,Xã Sơn Tây,commune,70201,Xã Sơn,partial
70210,Xã Sơn Đông,commune,70201,Xã Sơn,partial
"""
# People per old commune, and who of them was treated in H1 (TX_COVERAGE's numerator).
PEOPLE = {"70101": 2, "70102": 1, "70103": 1, "70201": 3}
TREATED = {"70101": 1, "70102": 1, "70103": 0, "70201": 2}


class Map:
    def __init__(self) -> None:
        units_load_csv(handle=io.StringIO(TREE), by=OPERATOR)
        self.units = {u.code: u for u in AdministrativeUnit.objects.all()}
        types = {t.code: t for t in OrganisationType.objects.all()}
        self.committee = Organisation.objects.create(
            name="UBND xã Bình", type=types["commune-committee"], unit=self.units["70102"]
        )
        self.clinic = Organisation.objects.create(
            name="Phòng khám Bắc", type=types["methadone-clinic"], unit=self.units["701"]
        )
        recorder = make_user("recorder")
        # The cases' holder employs none of the staff below: they see people by residence.
        holder = Organisation.objects.create(
            name="Trung tâm", type=types["methadone-clinic"], unit=self.units["70"]
        )
        self.people: dict[str, list[Person]] = {}
        for code, count in PEOPLE.items():
            self.people[code] = []
            for n in range(count):
                person = make_person(residence_commune=self.units[code], registered_by=holder)
                case = make_case(person=person, organisation=holder, opened_on=D(2024, 1, 1))
                if n < TREATED[code]:
                    TreatmentEpisode.objects.create(
                        case=case,
                        modality="community_voluntary",
                        provider=holder,
                        started_on=D(2025, 2, 1),
                        outcome="ongoing",
                        recorded_by=recorder,
                    )
                self.people[code].append(person)
        self.staff = {
            "binh_officer": (Role.COMMUNE_OFFICER, self.committee, "70102"),
            "son_officer": (Role.COMMUNE_OFFICER, self.committee, "70201"),
            "bac_supervisor": (Role.SUPERVISOR, self.clinic, "701"),
            "province_supervisor": (Role.SUPERVISOR, self.clinic, "70"),
        }
        self.users = {}
        for name, (role, org, scope) in self.staff.items():
            user = make_user(name)
            staff_profile_save(
                actor=None,
                profile=StaffProfile(
                    user=user, organisation=org, role=role, scope_unit=self.units[scope]
                ),
            )
            self.users[name] = user

    def seen(self, name: str) -> int:
        return access.visible_people(User.objects.get(username=name)).count()

    def coverage(self, communes: list[str], row: str) -> tuple[int, int | None]:
        """TX_COVERAGE for H1 with the communes in one row: (treated, people)."""
        ids = AdministrativeUnit.objects.filter(code__in=communes).values_list("pk", flat=True)
        row_pk = AdministrativeUnit.objects.get(code=row).pk
        result = registry.get("TX_COVERAGE").compute(
            Query(rows=dict.fromkeys(ids, row_pk), period=H1)
        )
        cell = result[(row_pk, None)]
        return cell.numerator, cell.denominator


def _run(text: str = MAPPING, choices: io.StringIO | None = None) -> Report:
    return reorganise(mapping=io.StringIO(text), by=OPERATOR, source="test.csv", choices=choices)


def test_a_merge_of_three_and_a_split_in_two(db: None) -> None:
    """ASVS 8.2.1: every person, case, organisation and staff scope follows the map, old units
    stay (not in use), the coverage figure of the merged unit is the sum of the three, the
    province's is unchanged, and the one event names every scope moved."""
    m = Map()
    old_pks = {code: unit.pk for code, unit in m.units.items()}
    chosen = m.people["70201"][0]
    before = {name: m.seen(name) for name in m.users}
    assert before == {
        "binh_officer": 1,
        "son_officer": 3,
        "bac_supervisor": 4,
        "province_supervisor": 7,
    }
    merged_before = [m.coverage([code], code) for code in ("70101", "70102", "70103")]
    assert merged_before == [(1, 2), (1, 1), (0, 1)]
    province_before = m.coverage(list(PEOPLE), "70")
    assert province_before == (4, 7)

    choices = io.StringIO(f"person_id,new_code\n{chosen.pk},70210\n")
    report = _run(choices=choices)

    units = {u.code: u for u in AdministrativeUnit.objects.all()}
    # The unit that keeps A's code is A's row, renamed and moved under the province.
    assert units["70101"].pk == old_pks["70101"]
    assert (units["70101"].name, units["70101"].path) == ("Phường Hợp Nhất", "/70/70101/")
    assert units["70210"].path == "/70/70210/" and units["70210"].level == UnitLevel.COMMUNE
    # B, C and both districts are kept, not in use; the old name is in the row's history.
    assert {c for c, u in units.items() if not u.is_active} == {"70102", "70103", "701", "702"}
    assert units["70101"].history.earliest().name == "Xã An"

    homes = dict(Person.objects.values_list("pk", "residence_commune__code"))
    for code in ("70101", "70102", "70103"):
        assert {homes[p.pk] for p in m.people[code]} == {"70101"}
    assert homes[chosen.pk] == "70210"
    assert {homes[p.pk] for p in m.people["70201"][1:]} == {"70201"}  # the default
    # The cases' copy follows, and each re-addressed person has a history row and a version.
    assert not Case.objects.exclude(residence_commune_id=models_f_residence()).exists()
    moved = m.people["70102"][0]
    moved.refresh_from_db()
    assert moved.version == 2
    assert moved.history.latest().residence_commune_id == units["70101"].pk

    m.committee.refresh_from_db()
    assert m.committee.unit_id == units["70101"].pk
    scopes = dict(StaffProfile.objects.values_list("user__username", "scope_unit__code"))
    assert scopes["binh_officer"] == "70101" and scopes["son_officer"] == "70201"
    assert scopes["bac_supervisor"] == "701"  # a district: no successor, left and listed

    after = {name: m.seen(name) for name in m.users}
    assert after == {
        "binh_officer": 4,
        "son_officer": 2,
        "bac_supervisor": 0,
        "province_supervisor": 7,
    }
    assert {(v[0], v[4], v[5]) for v in report.visible} == {
        (name, before[name], after[name]) for name in m.users
    }
    assert report.staff_left == [("bac_supervisor", "701")]
    assert report.organisations_left == [("Phòng khám Bắc", "701")]

    # The figures: the merged unit is the sum of the three, the province unchanged.
    assert m.coverage(["70101"], "70101") == (2, 4)
    assert m.coverage(["70201"], "70201") == (1, 2)
    assert m.coverage(["70210"], "70210") == (1, 1)
    assert m.coverage(["70101", "70201", "70210"], "70") == province_before

    (event,) = Event.objects.filter(action=CaseAction.UNITS_REORGANISED)
    # B's and C's people, and the one chosen for the new unit; A's stay on A's row.
    assert event.detail["people_moved"] == 3
    assert ["binh_officer", "70102", "70101"] in event.detail["staff_scopes_moved"]
    assert event.detail["by"] == OPERATOR


def models_f_residence() -> F:
    return F("person__residence_commune_id")


def test_the_dry_run_reports_and_writes_nothing(db: None, tmp_path: Path) -> None:
    m = Map()
    path = tmp_path / "mapping.csv"
    path.write_text(MAPPING, encoding="utf-8")
    defaults = tmp_path / "defaults.csv"
    units = list(AdministrativeUnit.objects.values_list("code", "name", "path", "is_active"))
    homes = list(Person.objects.values_list("pk", "residence_commune_id", "version"))
    events = Event.objects.count()
    out = io.StringIO()
    call_command(
        "reorganise_units", str(path), "--dry-run", "--write-defaults", str(defaults), stdout=out
    )
    text = out.getvalue()
    assert "Dry run, nothing written." in text
    assert "70102 Xã Bình: 1 → 70101" in text
    assert "70201 Xã Sơn: 3 → 70201, 70210" in text
    assert "70101 Phường Hợp Nhất: 4" in text
    assert "70201: 3" in text  # three people of the split unit placed by the default
    assert "binh_officer (commune_officer): 70102 → 70101, 1 → 4   ← changes" in text
    assert "province_supervisor (supervisor): 70 → 70, 7 → 7" in text
    assert len(defaults.read_text().splitlines()) == 1 + 3
    assert (
        list(AdministrativeUnit.objects.values_list("code", "name", "path", "is_active")) == units
    )
    assert list(Person.objects.values_list("pk", "residence_commune_id", "version")) == homes
    assert Event.objects.count() == events
    assert m.seen("binh_officer") == 1


def test_bad_mapping_and_choices_are_named_by_line_and_nothing_is_written(db: None) -> None:
    m = Map()
    outsider = m.people["70101"][0]
    bad = MAPPING + "70110,Xã Lạ,commune,70102,Xã Sai Tên,full\n70,Tỉnh,district,70,Tỉnh,full\n"
    choices = io.StringIO(f"person_id,new_code\n{outsider.pk},70210\nnot-an-id,70201\n")
    with pytest.raises(ValidationError) as raised:
        _run(bad, choices=choices)
    messages = raised.value.messages
    assert any(m.startswith("line 8:") and "Xã Sai Tên" in m for m in messages)
    assert any("70102" in m and "merged whole" in m for m in messages)
    assert any(m.startswith("line 9:") and "new_level" in m for m in messages)
    assert any(m.startswith("line 2:") and "'70210' is not one of" in m for m in messages)
    assert any(m.startswith("line 3:") and "not a person id" in m for m in messages)
    assert AdministrativeUnit.objects.get(code="70101").name == "Xã An"
    assert not AdministrativeUnit.objects.filter(code="70210").exists()


def test_applying_the_same_mapping_twice_is_refused(db: None) -> None:
    Map()
    _run()
    with pytest.raises(ValidationError, match="already applied"):
        _run()


def test_after_a_reorganisation_the_new_list_loads_and_the_old_one_is_refused(db: None) -> None:
    Map()
    _run()
    new_list = (
        "code,name,level,parent_code\n70,Tỉnh Bảy Mươi,province,\n"
        "70101,Phường Hợp Nhất,commune,70\n70201,Xã Sơn Tây,commune,70\n"
        "70210,Xã Sơn Đông,commune,70\n"
    )
    assert units_load_csv(handle=io.StringIO(new_list), by=OPERATOR).unchanged == 4
    with pytest.raises(ReorganisationRefused, match="three-tier list"):
        units_load_csv(handle=io.StringIO(TREE), by=OPERATOR)


def test_the_whole_country(db: None, tmp_path: Path) -> None:
    """The 2025-03 map, a dataset spread over several old provinces, the official mapping
    (or synthetic lists of the national shape when the published ones are absent, said in
    the output): every person lands in a commune of the new map in use, or is listed among
    the choices to make; the new list then loads unchanged."""
    lists = unit_lists(tmp_path)
    print(f"units lists: {lists.origin}")  # noqa: T201  (which lists the run used)
    units_load_csv(handle=io.StringIO(lists.three_tier.read_text("utf-8-sig")), by=OPERATOR)
    communes = list(
        AdministrativeUnit.objects.filter(level=UnitLevel.COMMUNE).values_list("pk", flat=True)
    )
    org = Organisation.objects.create(
        name="Sở",
        type=OrganisationType.objects.get(code="methadone-clinic"),
        unit=AdministrativeUnit.objects.filter(level=UnitLevel.PROVINCE)[0],
    )
    rng = random.Random(30)  # nosec B311: test data
    people = [
        make_person(residence_commune_id=rng.choice(communes), registered_by=org)
        for _ in range(120)
    ]
    with (
        lists.mapping.open(encoding="utf-8-sig", newline="") as mapping,
        lists.two_tier.open(encoding="utf-8-sig", newline="") as new_list,
    ):
        report = reorganise(mapping=mapping, units=new_list, by=OPERATOR)
    two_tier = lists.two_tier.read_text("utf-8-sig")
    new_codes = {line.split(",")[0] for line in two_tier.splitlines()[1:]}
    to_choose = {person_id for person_id, *_ in report.placed_by_default}
    for person in Person.objects.filter(pk__in=[p.pk for p in people]).select_related(
        "residence_commune__parent"
    ):
        commune = person.residence_commune
        assert commune.is_active and commune.code in new_codes, commune.code
        assert commune.parent is not None and commune.parent.level == UnitLevel.PROVINCE
        if str(person.pk) not in to_choose:
            continue
        assert (
            commune.code
            in dict((pid, options) for pid, _, _, options in report.placed_by_default)[
                str(person.pk)
            ]
        )
    assert not AdministrativeUnit.objects.filter(level=UnitLevel.DISTRICT, is_active=True).exists()
    active = AdministrativeUnit.objects.filter(is_active=True)
    assert active.count() == len(new_codes)
    assert units_load_csv(handle=io.StringIO(two_tier), by=OPERATOR).unchanged == len(new_codes)
