"""The holidays moved from core to calendar_days without moving data (issue 24)."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from calendar_days.models import PublicHoliday
from core.roles import Role

MOVE: Any = importlib.import_module("calendar_days.migrations.0001_public_holidays_from_core")


def test_the_table_and_its_rows_stay(db: Any) -> None:
    assert PublicHoliday._meta.db_table == "core_publicholiday"
    assert "core_publicholiday" in connection.introspection.table_names()
    assert PublicHoliday.objects.filter(day__year=2026).exists()  # loaded by core's migration


def test_the_content_type_moves_with_its_permissions_and_back(db: Any) -> None:
    moved = ContentType.objects.get_for_model(PublicHoliday)
    assert moved.app_label == "calendar_days"
    held = Group.objects.get(name=Role.ADMINISTRATOR).permissions
    assert held.filter(content_type=moved, codename="change_publicholiday").exists()
    permissions = set(Permission.objects.filter(content_type=moved).values_list("pk", flat=True))

    ContentType.objects.filter(pk=moved.pk).update(app_label="core")  # as before the move
    MOVE.forwards(apps, None)
    assert ContentType.objects.get(pk=moved.pk).app_label == "calendar_days"
    MOVE.backwards(apps, None)
    assert ContentType.objects.get(pk=moved.pk).app_label == "core"
    MOVE.forwards(apps, None)
    assert set(Permission.objects.filter(content_type=moved).values_list("pk", flat=True)) == (
        permissions
    )
