"""Run the audit sequencer process beside a benchmark (``AUDIT_SEQUENCER = "process"``).

What a national instance runs next to its web server (decision D33): the requests only
insert their events and ``manage.py sequence_audit_chain --follow`` links them.
"""

from __future__ import annotations

import os
import signal
import subprocess  # noqa: S404  (the project's own command, from our own venv)
import sys
import time
from pathlib import Path

from django.conf import settings

from audit import chain

ROOT = Path(__file__).resolve().parent.parent


def start(*, log: Path | None = None) -> subprocess.Popen[bytes]:
    """Switch this process and its children to "process" and start the sequencer.

    Returns once the sequencer says it runs. Its lines go to ``log`` if given.
    """
    os.environ["HOA_NHAP_AUDIT_SEQUENCER"] = "process"
    settings.AUDIT_SEQUENCER = "process"
    command = [sys.executable, "manage.py", "sequence_audit_chain", "--follow"]
    sequencer = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE)  # noqa: S603
    assert sequencer.stdout is not None
    first = sequencer.stdout.readline()  # "audit sequencer: chaining every …"
    if log is not None:
        log.write_bytes(first)
    return sequencer


def stop(sequencer: subprocess.Popen[bytes], *, drain_s: float = 300) -> None:
    """Let the sequencer chain what is waiting (up to ``drain_s`` seconds), then stop it."""
    deadline = time.monotonic() + drain_s
    while chain.pending()[0] and time.monotonic() < deadline:
        time.sleep(0.1)
    sequencer.send_signal(signal.SIGTERM)
    try:
        sequencer.wait(timeout=60)
    except subprocess.TimeoutExpired:
        sequencer.kill()
        sequencer.wait()
