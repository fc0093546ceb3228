"""The one audit write a selector may make: that someone read, listed, looked up or was refused.

Selectors read and actions write; a read of personal data must still leave an event, in the
same request. ``record_read`` is that event, and only that: it refuses an action whose
registered kind is not a read (``READ``, ``LIST``, ``LOOKUP``, ``DENIAL``), so a selector
cannot record a change. ``tests/test_code_rules.py`` holds selectors modules to it.
"""

from __future__ import annotations

from typing import Any

from core.users import AnyAbstractUser

from . import actions, registry
from .models import Event

READ_KINDS = frozenset({registry.READ, registry.LIST, registry.LOOKUP, registry.DENIAL})


class NotARead(ValueError):
    """A selector tried to record an action that is not a read."""


def record_read(*, actor: AnyAbstractUser, action: str, **fields: Any) -> Event:
    """Record that ``actor`` read, listed, looked up or was refused something."""
    kind = registry.get(action).kind
    if kind not in READ_KINDS:
        raise NotARead(f"{action!r} is a {kind or 'change'} event: record it from an action")
    return actions.record(actor=actor, action=action, **fields)
