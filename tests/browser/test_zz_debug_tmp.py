from typing import Any
import contextvars
import pytest
from django.db import connections
from cases.models import OrganisationType
from playwright.sync_api import Page

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

def _state(tag: str) -> None:
    w = connections["default"]
    print(tag, id(w), hasattr(w, "_test_serialized_contents"), id(contextvars.copy_context()), OrganisationType.objects.count())

def test_a(live_server: Any) -> None:
    _state("A")

def test_b(live_server: Any, phone_page: Page) -> None:
    _state("B")

def test_c(live_server: Any, phone_page: Page) -> None:
    _state("C")

def test_d(live_server: Any) -> None:
    _state("D")
