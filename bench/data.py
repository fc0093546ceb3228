"""Bench data: one province, two clinics, a caseworker and N people with a case each."""

from __future__ import annotations

import random

from django.db import connection

from accounts.models import User
from cases.choices import Role
from cases.models import (
    AdministrativeUnit,
    Case,
    Organisation,
    OrganisationType,
    Person,
    StaffProfile,
)
from cases.roles import staff_profile_save


def build(people: int) -> tuple[User, list[str]]:
    """Create one province, two clinics, a caseworker and ``people`` people with a case each."""
    province = AdministrativeUnit.objects.create(code="90", name="Bench", level="province")
    communes = [
        AdministrativeUnit.objects.create(
            code=f"90{n:03d}", name=f"Xã {n}", level="commune", parent=province
        )
        for n in range(50)
    ]
    kind = OrganisationType.objects.get(code="methadone-clinic")
    clinics = [
        Organisation.objects.create(name=f"Clinic {n}", type=kind, unit=province) for n in range(2)
    ]
    user = User.objects.create_user("bench", password=None)
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=user, organisation=clinics[0], role=Role.CASEWORKER, scope_unit=province
        ),
    )
    rng = random.Random(1)
    numbers: list[str] = []
    batch: list[Person] = []
    cases: list[Case] = []
    for n in range(people):
        number = f"0100{90 + n % 10:02d}{n:06d}"
        numbers.append(number)
        person = Person(
            full_name=f"Người Thử {n}",
            citizen_id=number,
            phone=f"09{n:08d}",
            sex="M",
            birth_year=1990 + n % 10,
            residence_commune=rng.choice(communes),
            registered_by=clinics[n % 2],
        )
        batch.append(person)
        cases.append(
            Case(
                person=person,
                category="addiction",
                opened_on="2026-01-01",
                organisation=clinics[n % 2],
                residence_commune=person.residence_commune,
            )
        )
        if len(batch) == 2000:
            Person.objects.bulk_create(batch)
            Case.objects.bulk_create(cases)
            batch, cases = [], []
    Person.objects.bulk_create(batch)
    Case.objects.bulk_create(cases)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return user, numbers
