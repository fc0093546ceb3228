"""Response headers every page carries: no caching of signed-in pages, a strict CSP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Person
from tests.conftest import World

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]


def _signed_in_pages(world: World, person: Person) -> list[tuple[Client, str]]:
    lan, an, quan = world.client("lan"), world.client("an"), world.client("quan")
    return [
        (lan, reverse("cases:person_search")),
        (lan, reverse("cases:person_detail", args=[person.pk])),
        (lan, reverse("cases:person_history", args=[person.pk])),
        (lan, reverse("cases:case_list")),
        (an, reverse("audit:event_list")),
        (an, reverse("audit:unusual_activity")),
        (an, reverse("audit:event_export", args=["csv"])),
        (an, reverse("audit:event_export", args=["xlsx"])),
        (quan, "/admin/"),
    ]


def test_signed_in_responses_are_never_stored(world: World, lan_person: Person) -> None:
    """ASVS 14.3.2: pages with personal data and exports tell browsers and proxies not to
    keep a copy (a shared commune computer, a caching proxy)."""
    for client, url in _signed_in_pages(world, lan_person):
        response = client.get(url)
        assert response.status_code == 200, url
        directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
        assert "no-store" in directives, (url, response.get("Cache-Control"))
        assert "private" in directives, url


def test_redirects_and_refusals_of_signed_in_users_are_not_stored(
    world: World, lan_person: Person
) -> None:
    """ASVS 14.3.2: what a signed-in user is refused is not cached either."""
    tuan = world.client("tuan")
    response = tuan.get(reverse("cases:person_detail", args=[lan_person.pk]))
    assert response.status_code == 404
    assert "no-store" in response["Cache-Control"]
    pending = world.client("lan", second_factor=False)
    response = pending.get(reverse("cases:person_search"))
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]


def test_content_security_policy_allows_only_own_files(world: World) -> None:
    """ASVS 3.4.3: every page sends a CSP that loads only our own files and runs no inline
    script or style."""
    for client, url in [(Client(), reverse("login")), (world.client("lan"), reverse("home"))]:
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        directives = dict(
            (part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in policy.split(";"))
        )
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert directives["base-uri"] == "'none'"
        assert directives["form-action"] == "'self'"
        assert "unsafe" not in policy


INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    re.compile(r"<style\b", re.IGNORECASE),
    re.compile(r"\sstyle\s*=", re.IGNORECASE),
    re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    re.compile(r"javascript:", re.IGNORECASE),
]


@pytest.mark.parametrize("template", sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html")))
def test_templates_have_no_inline_script_or_style(template: Path) -> None:
    """ASVS 3.4.3: the CSP forbids inline code, so no template may rely on it."""
    text = template.read_text()
    for pattern in INLINE:
        assert not pattern.search(text), f"{template.relative_to(ROOT)}: {pattern.pattern}"
