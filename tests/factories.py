"""Typed builders for test data; encrypted fields are given as plaintext and encrypted on save."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from accounts.models import User
from cases.choices import CaseStatus, ClientCategory, Sex
from cases.models import Case, Person

PASSWORD = "correct-horse-battery-9"
_serial = itertools.count(1)


def make_user(username: str, **fields: Any) -> User:
    return User.objects.create_user(username, password=PASSWORD, **fields)


def make_person(**fields: Any) -> Person:
    """Save a person; residence_commune and registered_by must be given."""
    n = next(_serial)
    values: dict[str, Any] = {
        "full_name": "Nguyễn Văn Thử",
        "sex": Sex.MALE,
        "birth_year": 1990,
        "citizen_id": f"010090{n:06d}",
        "phone": f"0912{n:06d}",
        "address": "Thôn Thử, xã Thử",
    }
    values.update(fields)
    person = Person(**values)
    person.save()
    return person


def make_case(**fields: Any) -> Case:
    """Save a case; person and organisation must be given."""
    values: dict[str, Any] = {
        "category": ClientCategory.ADDICTION,
        "managed_record": True,
        "status": CaseStatus.OPEN,
        "opened_on": datetime.date(2026, 1, 15),
        "notes": "Ghi chú thử",
    }
    values.update(fields)
    case = Case(**values)
    case.save()
    return case
