"""Re-encrypt every encrypted field to the current key: case data, history and access events.

Append-only tables (access events, change history: see ``audit.append_only``) are re-encrypted
too, through the one path their PostgreSQL trigger allows: inside ``rekeying()`` only their
ciphertext columns may change, and each batch records a ``rekeyed`` event in the same
transaction. The audit chain covers a reason's plaintext, so it still verifies afterwards.
Once ``rotate`` has run, no stored value needs an older key (``key_usage`` proves it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from core import crypto
from core.fields import EncryptedTextField

from . import append_only


@dataclass
class Progress:
    model: str
    done: int
    total: int


@dataclass(frozen=True)
class Usage:
    """How many values of one field each key id protects."""

    model: str
    field: str
    append_only: bool
    counts: dict[str, int]

    @property
    def name(self) -> str:
        return f"{self.model}.{self.field}"


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


def key_usage() -> list[Usage]:
    """Return, per model and field, how many stored values each key id still protects."""
    usage: list[Usage] = []
    for model, fields in encrypted_models():
        for field in fields:
            counts: dict[str, int] = {}
            for value in (
                model._default_manager.exclude(**{f"{field.attname}__isnull": True})
                .values_list(Cast(field.attname, TextField()), flat=True)
                .iterator()
            ):
                kid = crypto.key_id_of(value)
                counts[kid] = counts.get(kid, 0) + 1
            usage.append(
                Usage(model._meta.label, field.name, append_only.is_append_only(model), counts)
            )
    return usage


def count_by_key() -> dict[str, dict[str, dict[str, int]]]:
    """Return ``{model: {field: {key id: values}}}`` for every encrypted field."""
    report: dict[str, dict[str, dict[str, int]]] = {}
    for item in key_usage():
        report.setdefault(item.model, {})[item.field] = item.counts
    return report


def keys_still_needed(usage: list[Usage], current: str) -> dict[str, list[Usage]]:
    """Return, for each key id other than ``current``, the fields that still need it."""
    needed: dict[str, list[Usage]] = {}
    for item in usage:
        for kid, count in item.counts.items():
            if kid != current and count:
                needed.setdefault(kid, []).append(item)
    return needed


def rotate(
    *, by: str, batch_size: int = 500, on_progress: Callable[[Progress], None] | None = None
) -> int:
    """Re-encrypt stale values in batches, one transaction each; return how many rows changed.

    ``by`` names the operator, recorded in the event of each re-keyed append-only batch.
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
            rows = _rekey_batch(model, fields, batch[:batch_size], kid=kid, by=by)
            if not rows:
                break
            done += len(rows)
            changed += len(rows)
            last_pk = rows[-1].pk
            if on_progress is not None:
                on_progress(Progress(model._meta.label, done, total))
    return changed


def _rekey_batch(
    model: type[models.Model],
    fields: list[EncryptedTextField],
    batch: models.QuerySet[models.Model],
    *,
    kid: str,
    by: str,
) -> list[models.Model]:
    guarded = append_only.is_append_only(model)
    permit: AbstractContextManager[None] = append_only.rekeying() if guarded else nullcontext()
    with transaction.atomic(), permit:
        # Lock the batch so an edit made meanwhile is neither lost nor overwritten.
        rows = list(batch.select_for_update())
        old_keys: set[str] = set()
        for row in rows:
            for field in fields:
                sealed = row.__dict__[field.attname]
                if sealed is not None and crypto.key_id_of(sealed) != kid:
                    old_keys.add(crypto.key_id_of(sealed))
                    plain = field.decrypt_for(row, sealed)
                    setattr(row, field.attname, field.encrypt_for(row, plain))
        model._default_manager.bulk_update(rows, [f.attname for f in fields])
        if guarded and rows:
            append_only.rekey_recorded(
                model=model,
                fields=[f.name for f in fields],
                rows=rows,
                old_keys=sorted(old_keys),
                key=kid,
                by=by,
            )
    return rows
