"""Province B: a second Hòa Nhập instance for tests/exchange/test_second_instance.py.

Run as its own process against its own database (``DATABASE_URL``)::

    python -m tests.exchange.instance_b setup
    python -m tests.exchange.instance_b state SOURCE_PERSON_ID

``setup`` loads the units both provinces share (national codes) and B's clinic with its
caseworker ``binh`` (district 991); ``state`` prints, as JSON, what B holds of the person
the source knows by SOURCE_PERSON_ID, its history and the exchange's events.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def _units() -> dict[str, Any]:
    from cases.choices import UnitLevel
    from cases.models import AdministrativeUnit

    made: dict[str, Any] = {}
    for code, name, level, parent in [
        ("98", "Tỉnh Kiểm Thử", UnitLevel.PROVINCE, None),
        ("981", "Huyện Một", UnitLevel.DISTRICT, "98"),
        ("98101", "Xã Một Một", UnitLevel.COMMUNE, "981"),
        ("98102", "Xã Một Hai", UnitLevel.COMMUNE, "981"),
        ("99", "Tỉnh Bên Kia", UnitLevel.PROVINCE, None),
        ("991", "Huyện Chín Một", UnitLevel.DISTRICT, "99"),
        ("99101", "Xã Chín Một Một", UnitLevel.COMMUNE, "991"),
    ]:
        made[code] = AdministrativeUnit.objects.create(
            code=code, name=name, level=level, parent=made[parent] if parent else None
        )
    return made


def setup() -> None:
    from accounts.models import User
    from cases.choices import Role
    from cases.models import Organisation, OrganisationType, StaffProfile
    from cases.roles import staff_profile_save

    units = _units()
    clinic = Organisation.objects.create(
        name="Methadone C",
        type=OrganisationType.objects.get(code="methadone-clinic"),
        unit=units["991"],
    )
    binh = User.objects.create_user(username="binh", password=None)
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=binh, organisation=clinic, role=Role.CASEWORKER, scope_unit=units["991"]
        ),
    )


def state(source_person_id: str) -> dict[str, Any]:
    from audit.models import Event
    from cases.models import Case, Person
    from exchange.models import ExchangeLink, ReceivedRecord

    link = ExchangeLink.objects.filter(kind="person", source_id=source_person_id).first()
    person = Person.objects.filter(pk=link.local_id).first() if link else None
    cases = list(Case.objects.filter(person=person)) if person else []
    records = list(ReceivedRecord.objects.filter(case__in=cases).order_by("kind"))
    history = {
        "person": [h.history_request_id for h in person.history.all()] if person else [],
        "cases": [h.history_request_id for c in cases for h in c.history.all()],
        "records": [h.history_request_id for r in records for h in r.history.all()],
    }
    return {
        "people": Person.objects.count(),
        "person": None
        if person is None
        else {
            "full_name": person.full_name,
            "phone": person.phone,
            "commune": person.residence_commune.code,
            "version": person.version,
        },
        "cases": [{"status": c.status, "organisation": c.organisation.name} for c in cases],
        "records": [{"kind": r.kind, "data": json.loads(r.data)} for r in records],
        "history": history,
        "events": sorted(
            [e.action, e.request_id, e.detail.get("reason", ""), e.detail.get("commune", "")]
            for e in Event.objects.filter(
                action__in=["exchange_imported", "exchange_refused", "denied"]
            )
        ),
    }


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    if argv[0] == "setup":
        setup()
    elif argv[0] == "state":
        sys.stdout.write(json.dumps(state(argv[1]), ensure_ascii=False, sort_keys=True) + "\n")
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
