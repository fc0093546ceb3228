"""Chain committed audit events that have no link yet: once, or as the sequencer process."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit import chain


class Command(BaseCommand):
    help = (
        "Link every committed audit event still waiting into the hash chain. With "
        "HOA_NHAP_AUDIT_SEQUENCER=commit each commit already does this: run it after a crash, "
        "or before migrating audit back below 0005. With =process, run it with --follow "
        "beside the web server: it is the sequencer."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--follow",
            action="store_true",
            help="keep running, chaining what commits, until stopped (SIGTERM or Ctrl-C)",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=0.2,
            help="seconds between runs with --follow (default 0.2)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["follow"]:
            chained = chain.sequence(wait=True, full=True)
            position, head_hash = chain.head()
            self.stdout.write(f"{chained} event(s) chained; head #{position} {head_hash}")
            return
        stopped = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopped.set())
        verbose = options["verbosity"] >= 2
        self.stdout.write(f"audit sequencer: chaining every {options['interval']} s", ending="\n")
        self.stdout.flush()

        def report(chained: int) -> None:
            if verbose and chained:
                self.stdout.write(f"{chained} event(s) chained")

        chain.follow(interval=options["interval"], stopped=stopped, report=report)
        position, head_hash = chain.head()
        self.stdout.write(f"audit sequencer stopped; head #{position} {head_hash}")
