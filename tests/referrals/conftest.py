from __future__ import annotations

import pytest

from cases.models import Case, Person
from referrals.models import Consent
from tests.conftest import World

from .support import case_of, make_consent


@pytest.fixture
def case(lan_person: Person) -> Case:
    """Lan's case at clinic A (person living in commune 98101)."""
    return case_of(lan_person)


@pytest.fixture
def consent(world: World, case: Case) -> Consent:
    return make_consent(world, case)
