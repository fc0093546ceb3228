"""Every services model keeps its change history, and every record about a person is scoped
through cases.access (so its reads, denials and writes name the person)."""

from __future__ import annotations

from django.apps import apps
from simple_history.models import HistoricalChanges

from cases import access
from cases.models import Person


def _models() -> list[type]:
    return [
        m
        for m in apps.get_app_config("services").get_models()
        if not issubclass(m, HistoricalChanges)
    ]


def test_every_services_model_keeps_its_history() -> None:
    missing = [m.__name__ for m in _models() if not hasattr(m, "history")]
    assert missing == []


def test_every_record_about_a_person_is_scoped_through_a_case() -> None:
    """The catalogue is the one model that concerns nobody."""
    unscoped = [m.__name__ for m in _models() if not access.is_scoped(m)]
    assert unscoped == ["ServiceType"]
    for model in _models():
        if access.is_scoped(model):
            assert access.scope_path(model).split("__")[-1] == "case", model
            assert access._scope_target(model) is not Person, model
