"""Own what "append-only" means: which tables, their guard, and the one way to re-key them.

Access events, seals and the change history of every model (django-simple-history) are
append-only: on PostgreSQL a trigger (``hoa_nhap_append_only``, migration
``audit/0003_append_only_rekey_path``) refuses UPDATE and DELETE, and a statement trigger
(``hoa_nhap_no_truncate``, ``audit/0004_refuse_truncate``) refuses TRUNCATE. Audit's own
tables get them by migration; every history table, whichever app declares it, gets them
after each ``migrate`` (``install_history_triggers``), so a new app's history is guarded
without a step to forget.

The one exception is re-encryption to a new key (``core.rotation``): inside ``rekeying()`` the
trigger lets the encrypted columns of a row change from one ciphertext to another, nothing else.
The audit chain covers the reason's plaintext, not its ciphertext (``audit.chain``), so the
chain still verifies afterwards; each re-keyed batch is itself an event (``rekey_recorded``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Max
from simple_history.models import HistoricalChanges

from core.fields import EncryptedTextField

from . import actions, chain
from .choices import AuditAction
from .models import Event, Link, Seal

REKEY_SETTING = "hoa_nhap.rekey"


def history_models() -> list[type[models.Model]]:
    """Return every installed change-history model."""
    return [m for m in apps.get_models() if issubclass(m, HistoricalChanges)]


def is_append_only(model: type[models.Model]) -> bool:
    """Tell whether rows of this model are never changed or removed."""
    return model in (Event, Link, Seal) or issubclass(model, HistoricalChanges)


def encrypted_columns(model: type[models.Model]) -> list[str]:
    """Return the columns the re-key path may rewrite in this model's table."""
    fields = model._meta.concrete_fields
    return [str(f.column) for f in fields if isinstance(f, EncryptedTextField)]


def install_history_triggers(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Guard every history table with the append-only trigger (PostgreSQL; idempotent)."""
    conn = connections[using]
    if conn.vendor != "postgresql":
        return
    existing = set(conn.introspection.table_names())
    quote = conn.ops.quote_name
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_proc WHERE proname = 'hoa_nhap_append_only'")
        if cursor.fetchone() is None:
            return  # migrated back below audit/0003: nothing to install
        cursor.execute("SELECT 1 FROM pg_proc WHERE proname = 'hoa_nhap_no_truncate'")
        truncate_guard = cursor.fetchone() is not None  # audit/0004 applied
        for model in history_models():
            table = model._meta.db_table
            if table not in existing:
                continue
            columns = ", ".join(f"'{c}'" for c in encrypted_columns(model))
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {quote(table + '_append_only')} "
                f"BEFORE UPDATE OR DELETE ON {quote(table)} "
                f"FOR EACH ROW EXECUTE FUNCTION hoa_nhap_append_only({columns})"
            )
            if truncate_guard:
                # Row triggers never fire on TRUNCATE: a statement trigger refuses it.
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {quote(table + '_no_truncate')} "
                    f"BEFORE TRUNCATE ON {quote(table)} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION hoa_nhap_no_truncate()"
                )


@contextmanager
def rekeying() -> Iterator[None]:
    """Let the trigger accept re-encryption of append-only rows until the block ends.

    Use inside the atomic block that re-encrypts and records ``rekey_recorded``: the setting
    is transaction-local and is cleared again on the way out.
    """
    if connection.vendor != "postgresql":
        yield
        return
    # On an error the enclosing atomic block rolls back, and the setting with it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [REKEY_SETTING])
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, '', true)", [REKEY_SETTING])


def rekey_recorded(
    *,
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[models.Model],
    old_keys: Sequence[str],
    key: str,
    by: str,
) -> None:
    """Record that a batch of append-only rows was re-encrypted (in the same transaction)."""
    actions.record(
        actor=None,
        action=AuditAction.REKEYED,
        object_type="table",
        object_id=model._meta.db_table,
        detail={
            "table": model._meta.db_table,
            "fields": list(fields),
            "rows": len(rows),
            "first": str(rows[0].pk),
            "last": str(rows[-1].pk),
            "from_keys": sorted(old_keys),
            "key": key,
            "via": "rotate_encryption_keys",
            "by": by,
        },
    )


# ── Detection: history row counts sealed into the chain ──────────────────────────────────────


def history_checkpoint(*, by: str) -> Event:
    """Record each history table's row count and highest id as an event of the chain.

    ``seal_audit_chain`` records one before each seal. A later row count below a recorded
    one means history rows were removed, even by someone who could switch the trigger off.
    """
    tables: dict[str, list[int]] = {}
    for model in history_models():
        manager = model._default_manager
        tables[model._meta.db_table] = [
            manager.count(),
            manager.aggregate(top=Max("pk"))["top"] or 0,
        ]
    return actions.record(
        actor=None,
        action=AuditAction.HISTORY_CHECKPOINT,
        object_type="table",
        detail={"tables": tables, "by": by},
    )


@dataclass(frozen=True)
class Missing:
    table: str
    checkpoint_seq: int
    recorded: int
    found: int

    @property
    def message(self) -> str:
        return (
            f"{self.table}: {self.recorded - self.found} history row(s) recorded by checkpoint "
            f"event #{self.checkpoint_seq} are gone ({self.found} of {self.recorded} left)"
        )


def history_missing() -> list[Missing]:
    """Compare every history checkpoint with the tables now; return each shortfall."""
    marks: dict[str, list[tuple[int, int, int]]] = {}  # table: [(top id, count, seq)]
    for seq, detail in chain.details_of(AuditAction.HISTORY_CHECKPOINT):
        for table, (count, top) in (detail.get("tables") or {}).items():
            marks.setdefault(table, []).append((int(top), int(count), seq))
    by_table = {m._meta.db_table: m for m in history_models()}
    missing: list[Missing] = []
    for table, rows in marks.items():
        model = by_table.get(table)
        counts = _counts_up_to(model, [top for top, _, _ in rows]) if model else [0] * len(rows)
        missing += [
            Missing(table, seq, count, found)
            for (_, count, seq), found in zip(rows, counts, strict=True)
            if found < count
        ]
    return sorted(missing, key=lambda m: m.checkpoint_seq)


def _counts_up_to(model: type[models.Model], tops: list[int]) -> list[int]:
    """Return, for each id, how many rows have an id up to it (one scan on PostgreSQL)."""
    if connection.vendor != "postgresql" or tops != sorted(tops):
        manager = model._default_manager
        return [manager.filter(pk__lte=top).count() for top in tops]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(str(model._meta.pk.column))
    # Identifiers come from model metadata, quoted; the values are parameters.
    sql = (
        f"SELECT width_bucket({pk}, %s::bigint[]), count(*) FROM {table} "  # noqa: S608  # nosec B608
        f"WHERE {pk} <= %s GROUP BY 1"
    )
    with connection.cursor() as cursor:
        # Bucket i holds the ids above tops[i-1] up to tops[i]; counts add up.
        cursor.execute(sql, [[top + 1 for top in tops], tops[-1]])
        per_bucket = dict(cursor.fetchall())
    running, counts = 0, []
    for index in range(len(tops)):
        running += per_bucket.get(index, 0)
        counts.append(running)
    return counts
