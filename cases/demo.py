"""Build the obviously fictitious demo province "Tỉnh Mẫu Thử" used by ``make run``."""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from accounts.actions import totp_device_create
from accounts.models import TOTPDevice, User

from .choices import CaseStatus, ClientCategory, Role, Sex
from .citizen_id import century_sex_digit
from .models import AdministrativeUnit, Case, Organisation, OrganisationType, Person, StaffProfile
from .roles import staff_profile_save
from .units import units_load_csv

UNITS_CSV = Path(__file__).parent / "data" / "demo_units.csv"
# DEMO ONLY: printed on purpose, never for real data.
DEMO_PASSWORD = "demo-Hoa-Nhap-2026"  # nosec B105
PROVINCE = "99"

ORGANISATIONS = [
    # key, name, type code, unit code
    ("rehab", "Cơ sở cai nghiện ma túy tỉnh Mẫu Thử", "rehab-public", "99"),
    ("clinic_a", "Cơ sở điều trị methadone Núi Mẫu", "methadone-clinic", "991"),
    ("clinic_b", "Cơ sở điều trị methadone Sông Mẫu", "methadone-clinic", "992"),
    ("commune_an", "UBND xã An Mẫu", "commune-committee", "99101"),
    ("commune_dong", "UBND xã Đông Mẫu", "commune-committee", "99201"),
    ("social", "Sở Y tế – Xã hội tỉnh Mẫu Thử (demo)", "social-affairs-office", "99"),
    ("shelter", "Nhà Nhân ái tỉnh Mẫu Thử", "nha-nhan-ai", "99"),
    ("police_an", "Công an xã An Mẫu", "police", "99101"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    organisation: str
    scope: str
    full_name: str  # fictitious
    job: str = ""  # what the printed account list says besides the role
    may_prescribe: bool = False
    # Cases are drawn among these accounts, as before the doctor and the rehab caseworker came
    # (the same random draws, so the seeded people and cases stay the same).
    draws_cases: bool = True

    @property
    def names(self) -> tuple[str, str]:
        """Return (family and middle names, given name), as the staff form splits them."""
        *family, given = self.full_name.split()
        return " ".join(family), given


USERS = [
    DemoUser("lan", Role.CASEWORKER, "clinic_a", "991", "Nguyễn Thị Lan", "nurse"),
    DemoUser(
        "duc",
        Role.CASEWORKER,
        "clinic_a",
        "991",
        "Trần Minh Đức",
        "doctor, prescribes",
        may_prescribe=True,
        draws_cases=False,
    ),
    DemoUser(
        "tuan",
        Role.CASEWORKER,
        "clinic_b",
        "992",
        "Lê Văn Tuấn",
        "doctor, prescribes",
        may_prescribe=True,
    ),
    DemoUser(
        "hung",
        Role.CASEWORKER,
        "rehab",
        "99",
        "Phạm Quốc Hùng",
        "rehab facility",
        draws_cases=False,
    ),
    DemoUser("minh", Role.COMMUNE_OFFICER, "commune_an", "99101", "Hoàng Văn Minh"),
    DemoUser("hoa", Role.SUPERVISOR, "social", "99", "Vũ Thị Hòa"),
    DemoUser("an", Role.AUDITOR, "social", "99", "Đặng Thu An"),
    DemoUser("quan", Role.ADMINISTRATOR, "social", "99", "Bùi Đức Quân"),
]

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Lò",
    "Giàng",
    "Sùng",
]
MIDDLE = {"M": ["Văn", "Đức", "Minh", "Quang", "A"], "F": ["Thị", "Thu", "Ngọc", "Mai", "Thị Kim"]}
GIVEN = {
    "M": ["Mẫu", "Thử", "An", "Bình", "Cường", "Dũng", "Hải", "Khoa", "Long", "Nam", "Phúc", "Sơn"],
    "F": ["Mẫu", "Thử", "Hạnh", "Lan", "Linh", "Mai", "Nga", "Oanh", "Phương", "Thảo", "Vân"],
}
CATEGORY_ORG = {
    ClientCategory.ADDICTION: ["clinic_a", "clinic_b", "rehab", "commune_an", "commune_dong"],
    ClientCategory.DRUG_USER: ["commune_an", "commune_dong", "clinic_a"],
    ClientCategory.HIGH_RISK: ["commune_an", "commune_dong"],
    ClientCategory.POST_REHAB: ["commune_an", "commune_dong", "rehab"],
    ClientCategory.TRAFFICKING_VICTIM: ["shelter", "commune_an"],
    ClientCategory.PROSTITUTION_SUPPORT: ["social", "commune_dong"],
}


def _citizen_id(rng: random.Random, sex: str, year: int) -> str:
    province = rng.choice(["010", "011", "014", "068"])
    marker = century_sex_digit(birth_year=year, female=sex == Sex.FEMALE)
    return f"{province}{marker}{year % 100:02d}{rng.randrange(10**6):06d}"


# Other apps add their demo records after the people and cases (registered in ready()).
_seeders: list[Callable[[random.Random], None]] = []


def register(seeder: Callable[[random.Random], None]) -> None:
    """Add a function that seeds an app's demo records (called with the seeded generator)."""
    if seeder not in _seeders:
        _seeders.append(seeder)


def seed(*, people: int = 300, seed_value: int = 2026) -> bool:
    """Build the demo province unless it exists; return whether anything was created."""
    if AdministrativeUnit.objects.filter(code=PROVINCE).exists():
        return False
    # Reproducible fictitious data, not a secret: a seeded generator on purpose.
    rng = random.Random(seed_value)  # nosec B311
    with transaction.atomic():
        with UNITS_CSV.open(encoding="utf-8", newline="") as handle:
            units_load_csv(handle=handle, by="seed_demo")
        units = {u.code: u for u in AdministrativeUnit.objects.filter(path__startswith="/99/")}
        types = {t.code: t for t in OrganisationType.objects.all()}
        orgs = {
            key: Organisation.objects.create(name=name, type=types[kind], unit=units[unit])
            for key, name, kind, unit in ORGANISATIONS
        }
        for demo in USERS:
            first_name, last_name = demo.names
            user = User.objects.create_user(
                demo.username, password=DEMO_PASSWORD, first_name=first_name, last_name=last_name
            )
            staff_profile_save(
                actor=None,
                profile=StaffProfile(
                    user=user,
                    organisation=orgs[demo.organisation],
                    role=demo.role,
                    scope_unit=units[demo.scope],
                    may_prescribe=demo.may_prescribe,
                ),
            )
            # Enrolled already, so a tester can sign in with the printed secret.
            totp_device_create(user=user, confirmed=True)
        communes = [u for u in units.values() if u.level == "commune"]
        staff_by_org: dict[str, list[User]] = {}
        # The rehab facility's cases go to its caseworker (no draw).
        holder: dict[str, User] = {}
        for demo in USERS:
            account = User.objects.get(username=demo.username)
            if demo.draws_cases:
                staff_by_org.setdefault(demo.organisation, []).append(account)
            else:
                holder.setdefault(demo.organisation, account)
        today = datetime.date(2026, 11, 1)
        for number in range(people):
            sex = rng.choice([Sex.MALE, Sex.MALE, Sex.MALE, Sex.FEMALE])
            year = rng.randrange(1965, 2008)
            category = rng.choice(list(CATEGORY_ORG))
            if category == ClientCategory.TRAFFICKING_VICTIM:
                sex = Sex.FEMALE
            org_key = rng.choice(CATEGORY_ORG[category])
            person = Person(
                full_name=f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE[sex])} "
                f"{rng.choice(GIVEN[sex])}",
                citizen_id=_citizen_id(rng, sex, year) if rng.random() < 0.9 else "",
                phone=f"09{rng.randrange(10**8):08d}" if rng.random() < 0.8 else "",
                address=f"Thôn Mẫu {number % 17 + 1} (địa chỉ demo)",
                family_contact="Người thân (demo) – 0900 000 000" if rng.random() < 0.5 else "",
                residence_commune=rng.choice(communes),
                sex=sex,
                birth_year=year,
                ethnicity=rng.choice(["01", "01", "01", "02", "03", "08", "09"]),
                registered_by=orgs[org_key],
            )
            person.save()
            opened = today - datetime.timedelta(days=rng.randrange(30, 900))
            closed = rng.random() < 0.25
            Case.objects.create(
                person=person,
                category=category,
                managed_record=category == ClientCategory.ADDICTION or rng.random() < 0.3,
                status=CaseStatus.CLOSED if closed else CaseStatus.OPEN,
                opened_on=opened,
                closed_on=opened + datetime.timedelta(days=rng.randrange(1, 30))
                if closed
                else None,
                organisation=orgs[org_key],
                assigned_to=rng.choice(staff_by_org[org_key])
                if org_key in staff_by_org
                else holder.get(org_key),
                notes="Ghi chú demo: theo dõi định kỳ." if rng.random() < 0.5 else "",
            )
        for seeder in _seeders:
            seeder(rng)
    return True


def totp_secret(username: str) -> str:
    """Return a demo user's TOTP secret (base32), for printing."""
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    return device.secret if device is not None else "—"
