"""Re-encrypt every encrypted field, history tables included, to the current key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from core import crypto
from core.fields import EncryptedTextField


@dataclass
class Progress:
    model: str
    done: int
    total: int


def encrypted_models() -> Iterator[tuple[type[models.Model], list[EncryptedTextField]]]:
    """Yield each installed model (historical ones too) with its encrypted fields."""
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            yield model, fields


def _stale(fields: list[EncryptedTextField], kid: str) -> Q:
    """Match rows where some field holds ciphertext made with another key than ``kid``."""
    prefix = f"{crypto.VERSION}${kid}$"
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field.attname}__isnull": False}) & ~Q(
            **{f"_kid_{field.attname}__startswith": prefix}
        )
    return condition


def _candidates(
    model: type[models.Model], fields: list[EncryptedTextField], kid: str
) -> models.QuerySet[models.Model]:
    annotations = {f"_kid_{f.attname}": Cast(f.attname, TextField()) for f in fields}
    rows: models.QuerySet[models.Model] = model._default_manager.annotate(**annotations)
    return rows.filter(_stale(fields, kid))


def count_by_key() -> dict[str, dict[str, int]]:
    """Return, per model, how many encrypted values each key id still protects."""
    report: dict[str, dict[str, int]] = {}
    for model, fields in encrypted_models():
        counts: dict[str, int] = {}
        for field in fields:
            for value in (
                model._default_manager.exclude(**{f"{field.attname}__isnull": True})
                .values_list(Cast(field.attname, TextField()), flat=True)
                .iterator()
            ):
                kid = crypto.key_id_of(value)
                counts[kid] = counts.get(kid, 0) + 1
        report[model._meta.label] = counts
    return report


def rotate(*, batch_size: int = 500, on_progress: Callable[[Progress], None] | None = None) -> int:
    """Re-encrypt stale values in batches, one transaction each; return how many rows changed.

    Safe to interrupt and run again: rows already under the current key are not touched.
    """
    kid = crypto.key_ring().current_id
    changed = 0
    for model, fields in encrypted_models():
        total = _candidates(model, fields, kid).count()
        done = 0
        last_pk: object = None
        while True:
            batch = _candidates(model, fields, kid).order_by("pk")
            if last_pk is not None:
                batch = batch.filter(pk__gt=last_pk)
            with transaction.atomic():
                # Lock the batch so an edit made meanwhile is neither lost nor overwritten.
                rows = list(batch.select_for_update()[:batch_size])
                for row in rows:
                    for field in fields:
                        sealed = row.__dict__[field.attname]
                        if sealed is not None and crypto.key_id_of(sealed) != kid:
                            plain = field.decrypt_for(row, sealed)
                            setattr(row, field.attname, field.encrypt_for(row, plain))
                model._default_manager.bulk_update(rows, [f.attname for f in fields])
            if not rows:
                break
            done += len(rows)
            changed += len(rows)
            last_pk = rows[-1].pk
            if on_progress is not None:
                on_progress(Progress(model._meta.label, done, total))
    return changed
