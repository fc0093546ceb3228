"""Walk the audit chain and report the first broken link; check no sealed history is gone."""

from __future__ import annotations

import time
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit import append_only, chain


def seal_token(text: str) -> tuple[int, str]:
    seq, _, head_hash = text.partition(":")
    if not seq.isdigit() or len(head_hash) != 64:
        raise ArgumentTypeError(f"a seal looks like <sequence>:<64 hex digits>, not {text!r}")
    return int(seq), head_hash.lower()


class Command(BaseCommand):
    help = (
        "Verify the audit hash chain (and seals) and the change-history row counts sealed "
        "into it; exit 1 at the first broken link or missing history row."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--seal",
            action="append",
            type=seal_token,
            default=[],
            metavar="SEQ:HASH",
            help="also check a seal kept outside the database (repeatable)",
        )
        parser.add_argument(
            "--no-sequence",
            action="store_true",
            help="only read: do not chain the committed events still waiting first",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if not options["no_sequence"]:
            chain.sequence(wait=True, full=True)
        verdict = chain.verify(extra_seals=options["seal"])
        elapsed = time.perf_counter() - started
        if verdict.first_break is not None:
            broken = verdict.first_break
            raise CommandError(
                f"audit chain BROKEN at event #{broken.seq} ({broken.kind}): {broken.message}. "
                f"{verdict.count} events before it are intact."
            )
        missing = append_only.history_missing()
        if missing:
            raise CommandError(
                "change history BROKEN: rows were removed. " + "; ".join(m.message for m in missing)
            )
        self.stdout.write(
            f"audit chain intact: {verdict.count} events, head #{verdict.head_seq} "
            f"{verdict.head_hash}, verified in {elapsed:.2f} s"
        )
        if verdict.pending:
            self.stdout.write(
                f"{verdict.pending} committed event(s) not chained yet, the oldest written "
                f"{verdict.oldest_pending.isoformat()}: run sequence_audit_chain"
            )
