"""System checks for the pieces core provides to every app."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from core.fields import EncryptedTextField


@checks.register(checks.Tags.models)
def encrypted_fields_have_a_row_key(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Require every encrypted field's row key to be a UUID set when the instance is built.

    The ciphertext is bound to that UUID, so it must exist before the row is saved: then a
    value can be set on a new instance and rows can be bulk-inserted.
    """
    errors: list[Any] = []
    configs = app_configs if app_configs is not None else apps.get_app_configs()
    for model in (m for config in configs for m in config.get_models()):
        if model._meta.label_lower.split(".")[-1].startswith("historical"):
            continue  # simple-history copies keep the original's row key as a plain column
        for field in model._meta.concrete_fields:
            if not isinstance(field, EncryptedTextField):
                continue
            try:
                key = model._meta.get_field(field.row_key)
            except FieldDoesNotExist:
                key = None
            if not (isinstance(key, models.UUIDField) and callable(key.default)):
                errors.append(
                    checks.Error(
                        f"{model._meta.label}.{field.name} is encrypted, but its row key "
                        f"{field.row_key!r} is not a UUIDField with a default (such as "
                        "uuid.uuid4).",
                        hint="Give the model a UUID primary key with default=uuid.uuid4, or "
                        "pass row_key= naming a UUIDField(default=uuid.uuid4).",
                        obj=field,
                        id="core.E001",
                    )
                )
    return errors
