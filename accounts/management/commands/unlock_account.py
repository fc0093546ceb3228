"""Lift a sign-in lockout now (the unlock is recorded as an audit event)."""

from __future__ import annotations

import getpass
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts import actions


class Command(BaseCommand):
    help = "Unlock an account locked after repeated failed passwords or codes."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        removed = actions.account_unlock(
            actor=None, username=options["username"], by=getpass.getuser()
        )
        if not removed:
            raise CommandError(f"{options['username']} has no failed attempts on record.")
        self.stdout.write(f"{options['username']} unlocked ({removed} attempt record removed).")
