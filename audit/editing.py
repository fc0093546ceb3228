"""The one save step of every edit: validate, refuse a lost update, save with history, record.

The versions and the conflict are core's (``core.editing``); the step lives here because it
records the event in the same transaction as the save. Nothing is written on a refusal: no
row change, no history row, no event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from core.editing import EditConflict, IfVersion, Versioned
from core.users import AnyAbstractUser

from . import actions as audit


def save_edit[M: models.Model](
    *,
    actor: AnyAbstractUser,
    instance: M,
    action: str,
    if_version: IfVersion,
    checks: Iterable[Callable[[M], None]] = (),
    detail: dict[str, Any] | None = None,
) -> M:
    """Validate, check the version, save with history and record the event, atomically.

    A new row (not yet saved) has no version to check. Raises ``EditConflict`` when the row's
    version is not ``if_version``, ``ValidationError`` when the values are invalid.
    """
    instance.full_clean()
    for check in checks:
        check(instance)
    instance._history_user = actor  # type: ignore[attr-defined]
    with transaction.atomic():
        if not instance._state.adding and isinstance(instance, Versioned):
            model = type(instance)
            current = (
                model._default_manager.select_for_update()
                .filter(pk=instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            if current is None:
                raise ValidationError(_("This record no longer exists."))
            if isinstance(if_version, int) and current != if_version:
                fresh = model._default_manager.get(pk=instance.pk)
                raise EditConflict(fresh, if_version)
            instance.version = current + 1
        instance.save()
        audit.record(actor=actor, action=action, obj=instance, detail=detail)
    return instance
