"""The demo province holds referrals at different steps (queues and counts show something)."""

from __future__ import annotations

import io

from django.core.management import call_command

from referrals.models import Referral, State


def test_the_demo_has_referrals_in_several_states(db: None) -> None:
    call_command("seed_demo", "--people", "60", stdout=io.StringIO())
    states = set(Referral.objects.values_list("state", flat=True))
    assert {State.DRAFT, State.SUBMITTED, State.SENT, State.COMPLETED} <= states
    assert Referral.objects.filter(state=State.SENT, answer_due_on__isnull=False).exists()
