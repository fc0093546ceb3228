"""Named actors and places shared by the test suite.

Province 98 (test) ── district 981 ── communes 98101, 98102
                  ├── district 982 ── commune 98201
                  └── commune 98001 (2-tier: directly under the province)
lan: caseworker, clinic A (981), prescribes · tuan: caseworker, clinic B (982), prescribes there,
the outsider · mai: caseworker, clinic A, nothing assigned (the teammate; the nurse: doses,
never prescribes)
minh: commune officer, commune 98101 · hoa: supervisor, province 98
an: auditor · quan: administrator
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.actions import totp_device_create
from accounts.models import TOTPDevice, User
from cases.choices import Role, UnitLevel
from cases.models import AdministrativeUnit, Organisation, OrganisationType, Person, StaffProfile
from cases.roles import staff_profile_save
from tests import harness
from tests.factories import make_case, make_person, make_user

harness.install()

# The clinics' doctors: they hold the prescriber qualification (StaffProfile.may_prescribe).
PRESCRIBERS = {"lan", "tuan"}


@dataclass
class World:
    units: dict[str, AdministrativeUnit]
    orgs: dict[str, Organisation]
    users: dict[str, User]

    def client(self, name: str, *, second_factor: bool = True) -> Client:
        """Return a client signed in as the named actor, past the second factor by default."""
        return signed_in_client(self.users[name], second_factor=second_factor)


def signed_in_client(user: User, *, second_factor: bool = True) -> Client:
    client = Client()
    client.force_login(user)
    if second_factor:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = totp_device_create(user=user, confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def _unit(
    code: str, name: str, level: str, parent: AdministrativeUnit | None
) -> AdministrativeUnit:
    return AdministrativeUnit.objects.create(code=code, name=name, level=level, parent=parent)


@pytest.fixture
def world(db: Any) -> World:
    province = _unit("98", "Tỉnh Kiểm Thử", UnitLevel.PROVINCE, None)
    d1 = _unit("981", "Huyện Một", UnitLevel.DISTRICT, province)
    d2 = _unit("982", "Huyện Hai", UnitLevel.DISTRICT, province)
    units = {
        "province": province,
        "d1": d1,
        "d2": d2,
        "c1": _unit("98101", "Xã Một Một", UnitLevel.COMMUNE, d1),
        "c2": _unit("98102", "Xã Một Hai", UnitLevel.COMMUNE, d1),
        "c3": _unit("98201", "Xã Hai Một", UnitLevel.COMMUNE, d2),
        "c4": _unit("98001", "Phường Tỉnh", UnitLevel.COMMUNE, province),
    }
    types = {t.code: t for t in OrganisationType.objects.all()}
    orgs = {
        "clinic_a": Organisation.objects.create(
            name="Methadone A", type=types["methadone-clinic"], unit=d1
        ),
        "clinic_b": Organisation.objects.create(
            name="Methadone B", type=types["methadone-clinic"], unit=d2
        ),
        "commune_x": Organisation.objects.create(
            name="UBND xã Một Một", type=types["commune-committee"], unit=units["c1"]
        ),
        "social": Organisation.objects.create(
            name="Sở Xã hội Kiểm Thử", type=types["social-affairs-office"], unit=province
        ),
    }
    staff = [
        ("lan", Role.CASEWORKER, "clinic_a", "d1"),
        ("mai", Role.CASEWORKER, "clinic_a", "d1"),
        ("tuan", Role.CASEWORKER, "clinic_b", "d2"),
        ("minh", Role.COMMUNE_OFFICER, "commune_x", "c1"),
        ("hoa", Role.SUPERVISOR, "social", "province"),
        ("an", Role.AUDITOR, "social", "province"),
        ("quan", Role.ADMINISTRATOR, "social", "province"),
    ]
    users = {}
    for name, role, org, scope in staff:
        user = make_user(name)
        staff_profile_save(
            actor=None,
            profile=StaffProfile(
                user=user,
                organisation=orgs[org],
                role=role,
                scope_unit=units[scope],
                may_prescribe=name in PRESCRIBERS,
            ),
        )
        users[name] = user
    return World(units=units, orgs=orgs, users=users)


@pytest.fixture
def lan_person(world: World) -> Person:
    """A person living in commune 98101, registered and treated by clinic A."""
    person = make_person(
        full_name="Trần Thị Bình",
        sex="F",
        birth_year=1991,
        citizen_id="010191000123",
        phone="0987654321",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
    )
    make_case(person=person, organisation=world.orgs["clinic_a"], assigned_to=world.users["lan"])
    return person


@pytest.fixture
def tuan_person(world: World) -> Person:
    """A person living in commune 98201, registered and treated by clinic B."""
    person = make_person(
        full_name="Lê Văn Cường",
        sex="M",
        birth_year=1985,
        citizen_id="014085000456",
        phone="0911222333",
        residence_commune=world.units["c3"],
        registered_by=world.orgs["clinic_b"],
    )
    make_case(person=person, organisation=world.orgs["clinic_b"])
    return person


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Argon2 is the production hasher (tests/test_settings.py checks it); hashing it for
    # every named actor in every test would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
