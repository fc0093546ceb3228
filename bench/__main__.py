"""Measure citizen-ID lookup through the blind index and the 50-row case list on PostgreSQL.

Usage: ``make bench`` or ``HOA_NHAP_DEMO=1 DATABASE_URL=postgres://… python -m bench [people]``.
Reports medians of repeated runs, with the dataset size; nothing here asserts a time.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from cases import selectors  # noqa: E402
from cases.choices import Role  # noqa: E402
from cases.models import (  # noqa: E402
    AdministrativeUnit,
    Case,
    Organisation,
    OrganisationType,
    Person,
    StaffProfile,
)


def _median_ms(run: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


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
    StaffProfile.objects.create(
        user=user, organisation=clinics[0], role=Role.CASEWORKER, scope_unit=province
    )
    rng = random.Random(1)
    numbers: list[str] = []
    batch: list[Person] = []
    cases: list[Case] = []
    for n in range(people):
        number = f"0100{90 + n % 10:02d}{n:06d}"
        numbers.append(number)
        person = Person(
            full_name=f"Người Thử {n}", citizen_id=number, phone=f"09{n:08d}", sex="M",
            birth_year=1990 + n % 10, residence_commune=rng.choice(communes),
            registered_by=clinics[n % 2],
        )  # fmt: skip
        batch.append(person)
        cases.append(
            Case(
                person=person,
                category="addiction",
                opened_on="2026-01-01",
                organisation=clinics[n % 2],
            )  # fmt: skip
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


def main() -> None:
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    user, numbers = build(people)
    print(
        f"dataset: {people} people, {people} cases ({time.perf_counter() - start:.1f} s to build)"
    )
    rng = random.Random(2)
    lookup = _median_ms(
        lambda: selectors.person_search(viewer=user, kind="citizen_id", query=rng.choice(numbers)),
        repeat=200,
    )
    case_list = _median_ms(lambda: list(selectors.case_list_for(viewer=user)[:50]), repeat=50)
    print(f"citizen-ID lookup (blind index, visible to a caseworker): median {lookup:.2f} ms")
    print(f"50-row case list for a caseworker: median {case_list:.2f} ms")


if __name__ == "__main__":
    main()
