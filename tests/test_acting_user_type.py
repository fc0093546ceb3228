"""The acting user has one type (issue 24 item 5).

Above accounts a parameter naming who acts (``actor``, ``viewer``) is typed
``accounts.models.AnyUser`` (a staff account or the anonymous user: what ``request.user``
is; ``cases.access`` re-exports it) or, where the function needs a signed-in account,
``User``, the account half of it; below accounts (core, audit, calendar_days), which cannot
name the user model, ``core.users.AnyAbstractUser``. ``| None`` marks the system acting (a
command, a migration). ``Any`` and Django's base classes spelled out are refused, so mypy
--strict checks every use of the acting user.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from accounts.models import User, account_of, is_account

ROOT = Path(__file__).resolve().parent.parent
ACTING = {"actor", "viewer"}
BELOW = {"core", "audit", "calendar_days"}
ABOVE_TYPES = {"AnyUser", "access.AnyUser", "User"}
BELOW_TYPES = {"AnyAbstractUser"}
SKIP_DIRS = {".venv", "migrations", "tests", "mutants", "node_modules", ".git", "bench"}


def acting_user_types(source: str, below: bool) -> list[str]:
    """Return the acting-user parameters whose annotation is not the one type."""
    allowed = BELOW_TYPES if below else ABOVE_TYPES
    wrong = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        arguments = node.args
        for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            if arg.arg not in ACTING:
                continue
            text = ast.unparse(arg.annotation) if arg.annotation is not None else ""
            if text.removesuffix(" | None") not in allowed:
                wrong.append(f"{node.name}({arg.arg}: {text or 'unannotated'}) l.{arg.lineno}")
    return wrong


def test_the_acting_user_has_one_type() -> None:
    wrong = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if SKIP_DIRS.intersection(parts) or len(parts) < 2:
            continue
        found = acting_user_types(path.read_text(), below=parts[0] in BELOW)
        wrong += [f"{'/'.join(parts)}: {w}" for w in found]
    assert wrong == []


@pytest.mark.parametrize(
    ("source", "below"),
    [
        ("def f(*, actor: Any): ...", False),
        ("def f(*, viewer): ...", False),
        ("def f(actor: User | AnonymousUser): ...", False),
        ("def f(*, actor: AbstractBaseUser | None): ...", True),
        ("def f(*, actor: AnyUser): ...", True),  # core cannot name the user model
        ("async def f(viewer: object): ...", False),
    ],
)
def test_the_rule_catches_a_planted_offender(source: str, below: bool) -> None:
    assert acting_user_types(source, below)


def test_the_rule_lets_the_one_type_pass() -> None:
    source = (
        "def f(*, actor: access.AnyUser, viewer: AnyUser | None): ...\n"
        "def g(actor: User, user: Any): ...\n"  # the account acted on is not the actor
    )
    assert acting_user_types(source, below=False) == []
    assert acting_user_types("def f(*, actor: AnyAbstractUser | None): ...", below=True) == []


def test_a_write_names_an_account_never_the_anonymous_user() -> None:
    """A write stores who made it (``recorded_by``): the anonymous user is refused before."""
    with pytest.raises(PermissionDenied):
        account_of(AnonymousUser())
    account = User(username="lan")
    assert account_of(account) is account
    assert is_account(account) and not is_account(AnonymousUser()) and not is_account(None)
