"""Real-browser tests: Playwright's sync API driving Debian's Chromium.

- The browser is ``/usr/bin/chromium`` (``TANDEM_CHROMIUM`` overrides), launched headless
  with a fresh temporary profile; Playwright's own browser downloads are never used.
  Without Chromium the e2e tests are skipped, unless ``TANDEM_E2E_REQUIRED=1`` (set by
  ``.ci/run``): then they fail.
- The app runs in pytest-django's ``live_server`` (one per xdist worker, random port;
  on SQLite the in-memory database is shared with the test thread, PostgreSQL works
  too), so tests use ``transactional_db``: data is committed and flushed after each test
  (on SQLite the audit table's append-only trigger is lifted for that flush only).
  Settings changed through the ``settings`` fixture (``SITE_URL``, the MD5 hasher and the
  immediate task backend from ``tests/conftest.py``) apply to the server thread too, and
  mail sent by the server lands in ``django.core.mail.outbox``.
- ``new_page(viewport="phone"|"desktop")`` opens a page in a fresh browser context (its
  own cookies), records console errors and every requested URL; ``page`` and
  ``phone_page`` are the common cases; ``sign_in(page, email, ...)`` goes through the real
  login form and the TOTP step. A failing test leaves screenshots in ``test-results/``.
- One browser per xdist worker for the whole package (see ``browser`` for why not per
  session); the cache is cleared before each test (used TOTP codes live there).

Every test here is marked ``e2e`` (``-m "not e2e"`` leaves them out).
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.personas import PASSWORD, Personas, make_personas, totp_now

CHROMIUM = Path(os.environ.get("TANDEM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 900},
}
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
E2E_DIR = Path(__file__).resolve().parent
TIMEOUT_MS = 15_000


def _required() -> bool:
    return os.environ.get("TANDEM_E2E_REQUIRED", "") == "1"


# --- marking and reporting ----------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "viewport(name): viewport of the `page` fixture: 'desktop' (default) or 'phone'"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    # Remember each phase's outcome so fixtures can take screenshots of failures.
    setattr(item, f"_tandem_report_{report.when}", report)
    return report


def _failed(node: pytest.Item) -> bool:
    report = getattr(node, "_tandem_report_call", None)
    return bool(report is not None and report.failed)


# --- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for the e2e package (per xdist worker).

    Package scope rather than session scope on purpose: while Playwright's sync API is
    running, the worker thread has a running asyncio loop, which would make Django refuse
    ORM calls (and ``async_to_sync``) in unrelated tests that the same xdist worker runs
    afterwards. Closing the browser when the package is done keeps them unaffected.
    """
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if _required():
            pytest.fail(message + "; TANDEM_E2E_REQUIRED=1 forbids skipping", pytrace=False)
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - the dev dependencies include it
        if _required():
            pytest.fail(f"playwright is not installed: {exc}", pytrace=False)
        pytest.skip(f"playwright is not installed: {exc}")

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls of
    # the test thread (factories, flushing the database) are still synchronous.
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        # `launch` gives every run a fresh temporary profile (user-data dir).
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
    except Exception:
        playwright.stop()
        _restore_env(saved)
        raise
    try:
        yield instance
    finally:
        instance.close()
        playwright.stop()
        _restore_env(saved)


def _restore_env(saved: str | None) -> None:
    if saved is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


@dataclass
class PageLog:
    """What a page did: console errors, uncaught exceptions and every requested URL."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def foreign_requests(self, origin: str) -> list[str]:
        origin = origin.rstrip("/") + "/"
        return [url for url in self.requests if not url.startswith(origin)]

    def clear(self) -> None:
        self.console_errors.clear()
        self.page_errors.clear()
        self.requests.clear()


_LOGS: dict[int, PageLog] = {}


def log_of(page: Any) -> PageLog:
    """The console/request log of a page opened by ``new_page``."""
    return _LOGS[id(page)]


_AUDIT_TRIGGERS = importlib.import_module("tandem.audit.migrations.0002_append_only_trigger")


def _sqlite_audit_triggers(*, on: bool) -> None:
    """The audit table refuses DELETE (append-only trigger). On SQLite, flushing the
    database after a transactional test is a DELETE of every row, so the trigger is lifted
    for the flush only. (PostgreSQL flushes with TRUNCATE, which row triggers ignore.)"""
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        cursor.execute("DROP TRIGGER IF EXISTS audit_entry_no_delete")
        if on:
            for statement in _AUDIT_TRIGGERS.SQLITE_FORBID:
                cursor.execute(statement)


@pytest.fixture(scope="package", autouse=True)
def _restore_audit_triggers(django_db_blocker: Any) -> Iterator[None]:
    # After the last browser test of this worker (and its flush) the trigger is back for
    # the tests that the worker runs next.
    yield
    with django_db_blocker.unblock():
        _sqlite_audit_triggers(on=True)


@pytest.fixture(autouse=True)
def _e2e_isolation(transactional_db: None) -> Iterator[None]:
    """Each browser test starts with an empty cache (it holds used TOTP codes, is not
    flushed with the tables, and user ids repeat after a flush) and with the audit table's
    append-only trigger in place; the trigger is lifted for the flush that follows."""
    from django.core.cache import cache

    _sqlite_audit_triggers(on=True)
    cache.clear()
    yield
    cache.clear()
    _sqlite_audit_triggers(on=False)  # the flush comes next, see above


@pytest.fixture
def new_page(
    browser: Any, live_server: Any, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """Factory: ``new_page(viewport="phone")`` → a Page in a fresh context (own cookies)."""
    contexts: list[Any] = []
    pages: list[Any] = []

    def make(viewport: str = "desktop", **context_args: Any) -> Any:
        context = browser.new_context(
            viewport=VIEWPORTS[viewport],
            base_url=live_server.url,
            locale="en-GB",
            is_mobile=viewport == "phone",
            has_touch=viewport == "phone",
            service_workers="block",
            **context_args,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        log = PageLog()
        _LOGS[id(page)] = log
        page.on("request", lambda req: log.requests.append(req.url))
        page.on(
            "console",
            lambda msg: log.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
        return page

    yield make

    if _failed(request.node):
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        for index, page in enumerate(pages):
            try:
                page.screenshot(path=str(RESULTS_DIR / f"{name}-{index}.png"), full_page=True)
            except Exception as exc:  # a screenshot must not hide the test's own failure
                print(f"screenshot of page {index} failed: {exc}")
    for page in pages:
        _LOGS.pop(id(page), None)
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Any], request: pytest.FixtureRequest) -> Any:
    """A desktop-sized page; ``@pytest.mark.viewport("phone")`` makes it phone-sized."""
    marker = request.node.get_closest_marker("viewport")
    return new_page(marker.args[0] if marker else "desktop")


@pytest.fixture
def phone_page(new_page: Callable[..., Any]) -> Any:
    """A 390×844 touch page, as on a phone."""
    return new_page("phone")


@pytest.fixture
def personas(transactional_db: None) -> Personas:
    """The shared personas, committed so the live server sees them (password: PASSWORD;
    staff have the demo TOTP secret)."""
    return make_personas()


# --- signing in ------------------------------------------------------------------------------


class TotpCodes:
    """Hands out TOTP codes that were not used yet in this test: a used code is refused
    for its whole validity window (replay protection), so a second sign-in of the same
    user within 90 seconds takes the next valid code (±1 step tolerance)."""

    def __init__(self) -> None:
        self.used: set[tuple[str, str]] = set()

    def next(self, email: str, secret: str | None = None) -> str:
        from tandem.accounts.demo import DEMO_TOTP_SECRET

        for offset in (0, 1, -1):
            code = totp_now(secret or DEMO_TOTP_SECRET, offset_steps=offset)
            if (email, code) not in self.used:
                self.used.add((email, code))
                return code
        raise RuntimeError(f"no unused TOTP code left for {email}: wait 30 seconds")


@pytest.fixture
def totp_codes() -> TotpCodes:
    return TotpCodes()


@pytest.fixture
def sign_in(live_server: Any, totp_codes: TotpCodes) -> Callable[..., Any]:
    """``sign_in(page, email, password=PASSWORD, totp=True, keyboard=False)``.

    Fills the real login form; for users with a second factor (``totp=True``, or a secret
    string) it answers the TOTP step with a current code. Returns the page once the user
    is past the login pages. ``keyboard=True`` drives the forms with Tab, typing and Enter.
    """

    def _sign_in(
        page: Any,
        email: str,
        password: str = PASSWORD,
        *,
        totp: bool | str = True,
        keyboard: bool = False,
    ) -> Any:
        page.goto(live_server.url + "/account/login/")
        if keyboard:
            _tab_to(page, "#id_login")
            page.keyboard.type(email)
            page.keyboard.press("Tab")
            assert _focused_id(page) == "id_password", "Tab from email must reach the password"
            page.keyboard.type(password)
            with page.expect_navigation() as landed:
                page.keyboard.press("Enter")
        else:
            page.fill("#id_login", email)
            page.fill("#id_password", password)
            with page.expect_navigation() as landed:
                page.click("form[action$='/account/login/'] button[type=submit]")
        if totp and "/account/2fa/authenticate/" in page.url:
            code = totp_codes.next(email, totp if isinstance(totp, str) else None)
            if keyboard:
                _tab_to(page, "input[name=code]")
                page.keyboard.type(code)
                with page.expect_navigation() as landed:
                    page.keyboard.press("Enter")
            else:
                page.fill("input[name=code]", code)
                with page.expect_navigation() as landed:
                    page.click("main form[method=post] button[type=submit]")
        assert "/account/login/" not in page.url, f"still on the login page: {page.url}"
        assert "/account/2fa/authenticate/" not in page.url, "TOTP step not passed"
        response = landed.value
        assert response is None or response.status < 400, (
            f"the page after signing in answered {response.status}: {page.url}"
        )
        return page

    return _sign_in


def _focused_id(page: Any) -> str:
    return page.evaluate("() => document.activeElement ? document.activeElement.id : ''")


def _tab_to(page: Any, selector: str, limit: int = 25) -> None:
    """Press Tab until ``selector`` has the focus (as a keyboard user would)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with the Tab key")
