"""Drive Debian's Chromium through Playwright against the live test server.

The live server's log lines go to a file through the production JSON formatter, and at the
end of the session that file is scanned for the names, citizen IDs, person ids and tokens
the tests used (``tests/browser/logscan.py``, decision D52): any hit fails the run.

Every page a browser test visits is checked with axe-core (``axe_check``): the locked npm
package (tests/browser/package-lock.json, installed by scripts/ensure-system-deps), read from
node_modules and evaluated in the page, never fetched from a CDN. A page is checked once per
document, in the state the test leaves it in: just before the test's next navigation or click
on it, and when its context closes. A serious or critical violation fails the test.
"""

from __future__ import annotations

import json
import os
import shutil
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Error, Locator, Page, sync_playwright

from tests.browser.logscan import LogScan

CHROMIUM = os.environ.get("HOA_NHAP_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures in
# the same thread are still synchronous, so Django's async-safety guard is relaxed for tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def log_scan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LogScan]:
    """Log to a file while the browser tests run; fail if it holds personal data.

    ASVS 16.2.5: no name, citizen ID, person id or invitation token reaches the logs.
    """
    scan = LogScan(tmp_path_factory.mktemp("logs") / "live-server.jsonl")
    with scan.attached():
        yield scan
    hits = scan.hits()
    if hits:
        pytest.fail(
            f"the log scan found personal data or tokens in {len(hits)} place(s):\n"
            + "\n".join(hits[:20]),
            pytrace=False,
        )
    if scan.known and not scan.access_lines():
        pytest.fail(f"the log scan read no access line in {scan.path}: it proved nothing")


@pytest.fixture(scope="session")
def browser(django_db_setup: None) -> Iterator[Browser]:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/ensure-system-deps")
    # Between calls Playwright marks its event loop as running in this thread, so Django hands
    # out other connection objects; give them the snapshot serialized_rollback restores from,
    # or data seeded by migrations (organisation types) is lost after the first browser test.
    saved = {c.alias: getattr(c, "_test_serialized_contents", None) for c in connections.all()}
    with sync_playwright() as playwright:
        for alias, contents in saved.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents  # type: ignore[attr-defined]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def sign_in_by_cookie(context: BrowserContext, base_url: str, user: Any) -> Page:
    """Start a browser session for a user already past the second factor (a test shortcut)."""
    from django.conf import settings

    from tests.conftest import signed_in_client

    cookie = signed_in_client(user).cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
    return context.new_page()


def open_menu(page: Page) -> Locator:
    """Return the main menu, opened first where it is folded (a phone)."""
    nav = page.get_by_role("navigation", name="Menu chính")
    summary = nav.locator("summary")
    if summary.is_visible() and nav.locator("details[open]").count() == 0:
        summary.click()
    return nav


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    """A page the size of a 360 px wide phone, in a fresh context (no cookies)."""
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
_CHECKED = "__hoaNhapAxeChecked"


class AccessibilityViolation(AssertionError):
    """axe-core found serious or critical problems on a page."""


def _axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"axe-core not installed at {AXE_JS}: run scripts/ensure-system-deps")
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; return its serious and critical violations."""
    if not page.evaluate("typeof window.axe === 'object'"):
        # Evaluated, not a <script> tag: the pages' Content-Security-Policy refuses inline
        # scripts, and the tests must run under the real policy.
        page.evaluate(_axe_source())
    results = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [v for v in results if v.get("impact") in FAILING_IMPACTS]


def axe_check(page: Page) -> None:
    """Fail when the page (as it is now) has a serious or critical accessibility problem."""
    if page.is_closed():
        return
    page.wait_for_load_state("load")
    if page.evaluate("document.contentType") != "text/html":
        return
    found = axe_violations(page)
    page.evaluate(f"window.{_CHECKED} = true")
    if found:
        lines = [f"axe-core on {page.url}:"]
        for violation in found:
            targets = [json.dumps(node["target"]) for node in violation["nodes"][:5]]
            lines.append(
                f"- {violation['impact']} {violation['id']}: {violation['help']} "
                f"({len(violation['nodes'])}×: {', '.join(targets)})"
            )
        raise AccessibilityViolation("\n".join(lines))


# Contexts with JavaScript off cannot run axe-core (its timers never fire there); the same
# pages are checked with JavaScript on by the other tests.
_scriptless: weakref.WeakSet[BrowserContext] = weakref.WeakSet()


def _check_if_new(page: Page) -> None:
    """Check the page once per document (a new page load clears the mark)."""
    if page.is_closed() or page.url in ("", "about:blank") or page.context in _scriptless:
        return
    try:
        page.wait_for_load_state("load")
        if page.evaluate(f"window.{_CHECKED} === true"):
            return
    except Error:
        return  # the page is navigating or gone: the next document is checked on its own
    axe_check(page)


def _before(method: Callable[..., Any], page_of: Callable[[Any], list[Page]]) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        for page in page_of(self):
            _check_if_new(page)
        return method(self, *args, **kwargs)

    wrapper.__wrapped__ = method  # type: ignore[attr-defined]
    return wrapper


@pytest.fixture(autouse=True)
def _axe_on_every_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check each page with axe-core before the test leaves it (next navigation, click, close).

    Clicks are included because a click may navigate; a page already checked is not checked
    again until a new document loads. State changes made by scripts without a navigation (the
    dosing list) are checked by calling ``axe_check`` in the test.
    """

    def on_page(page: Page) -> list[Page]:
        return [page]

    def on_locator(locator: Locator) -> list[Page]:
        return [locator.page]

    def on_context(context: BrowserContext) -> list[Page]:
        return list(context.pages)

    for name in ("goto", "reload", "go_back", "click", "close"):
        monkeypatch.setattr(Page, name, _before(getattr(Page, name), on_page))
    for name in ("click", "press", "dispatch_event"):
        monkeypatch.setattr(Locator, name, _before(getattr(Locator, name), on_locator))
    monkeypatch.setattr(BrowserContext, "close", _before(BrowserContext.close, on_context))
    new_context = Browser.new_context

    def new_context_noting_scripts(self: Browser, *args: Any, **kwargs: Any) -> BrowserContext:
        context = new_context(self, *args, **kwargs)
        if kwargs.get("java_script_enabled") is False:
            _scriptless.add(context)
        return context

    monkeypatch.setattr(Browser, "new_context", new_context_noting_scripts)
