"""docs/referrals.md holds the state-machine table exactly as the code defines it."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from referrals.management.commands.referral_table import docs_path, table_in, with_table
from referrals.workflow import TRANSITIONS, table_markdown


def test_the_docs_table_is_the_codes_table() -> None:
    text = docs_path().read_text(encoding="utf-8")
    assert table_in(text) == table_markdown(), (
        "docs/referrals.md is out of date: run `python manage.py referral_table --write`"
    )


def test_the_table_has_a_row_per_source_state_of_each_transition() -> None:
    rows = [line for line in table_markdown().splitlines() if line.startswith("| `")]
    assert len(rows) == sum(len(step.sources) for step in TRANSITIONS)
    assert "| `sent` | `accept` | receiver | `accepted` | — | — |" in rows


def test_the_check_notices_a_stale_table() -> None:
    text = docs_path().read_text(encoding="utf-8")
    stale = text.replace("| `sent` | `accept` | receiver |", "| `sent` | `accept` | sender |")
    assert table_in(stale) != table_markdown()
    assert table_in(with_table(stale)) == table_markdown()


def test_the_command_prints_the_table() -> None:
    out = StringIO()
    call_command("referral_table", stdout=out)
    assert out.getvalue() == table_markdown()
