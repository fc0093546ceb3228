"""Mail backends for tests of the background worker (never used outside tests)."""

from __future__ import annotations

import os
import signal
import smtplib
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

_written = 0


class FileMailer(FileBackend):
    """Write each message to a file; with ``HOA_NHAP_TEST_MAIL_DIE_AT=N`` the process kills
    itself (SIGKILL, no clean-up at all) when the N-th message is about to be written."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        global _written
        die_at = int(os.environ.get("HOA_NHAP_TEST_MAIL_DIE_AT", "0"))
        for _message in email_messages:
            _written += 1
            if _written == die_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return int(super().send_messages(email_messages))


class RefusingMailer(LocmemBackend):
    """Keep messages in ``mail.outbox``, but refuse any address under ``refused.example``."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        for message in messages:
            refused = [a for a in message.to if a.endswith("@refused.example")]
            if refused:
                raise smtplib.SMTPRecipientsRefused({a: (550, b"no such user") for a in refused})
        return int(super().send_messages(messages))
