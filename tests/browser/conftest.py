"""Playwright in Debian's Chromium against pytest-django's live server.

Chromium missing: the tests are skipped, unless ``CQS_REQUIRE_BROWSER=1`` (set by ``.ci/run``),
which turns the skip into a failure so CI cannot pass without running them.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread
# with a running loop unless told that this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CQS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
DEMO_PASSWORD = "demo-cqs-2026"  # the published demo password (README)


def _unavailable(reason: str):
    if os.environ.get("CQS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (CQS_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        _unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # PBKDF2's deliberate slowness buys nothing here; the live server thread sees the same settings.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def site(live_server, transactional_db) -> str:
    """Base URL of the live server, with a database the server thread shares."""
    return live_server.url


class ConsoleLog:
    """Console messages and uncaught errors of one page, to assert the CSP was never violated."""

    def __init__(self, page):
        self.messages: list[str] = []
        page.on("console", lambda msg: self.messages.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda exc: self.messages.append(f"pageerror: {exc}"))
        # The console says "404" without the URL; this says which resource failed.
        page.on(
            "response",
            lambda response: (
                response.status >= 400 and self.messages.append(f"http {response.status}: {response.url}")
            ),
        )

    @property
    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m]

    @property
    def errors(self) -> list[str]:
        return [m for m in self.messages if m.startswith(("error:", "pageerror:", "http "))]


@pytest.fixture
def page(browser, site) -> Iterator:
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_log = ConsoleLog(page)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, site) -> Iterator:
    context = browser.new_context(
        locale="vi-VN", viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_log = ConsoleLog(page)
    yield page
    context.close()


@pytest.fixture
def demo_data(transactional_db):
    """The demo organisation tree and accounts, as ``cqs demo`` loads them."""
    from cqs.accounts.demo import load_demo as load_accounts
    from cqs.orgs.demo import load_demo as load_orgs

    load_orgs(log=lambda line: None)
    load_accounts(log=lambda line: None)


@pytest.fixture
def log_in(site):
    """Sign in through the login form, as a person would."""

    def log_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
        page.goto(f"{site}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("#login-submit")
        page.wait_for_load_state()

    return log_in


@pytest.fixture
def sign_in_as(site):
    """Put a session of ``user`` into the page's browser context, without the login form.

    For tests about the shell, which must not depend on the login page or the demo data.
    """
    from django.conf import settings
    from django.test import Client

    def sign_in_as(page, user) -> None:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site}])

    return sign_in_as


@pytest.fixture
def screenshot():
    """Save a screenshot when ``CQS_SCREENSHOT_DIR`` is set (development only, never committed)."""

    def screenshot(page, name: str) -> None:
        directory = os.environ.get("CQS_SCREENSHOT_DIR")
        if directory:
            page.screenshot(path=str(Path(directory) / name), full_page=True)

    return screenshot


@pytest.fixture
def official(transactional_db):
    """A department official with the orgs and plans modules, built without the demo loaders."""
    from cqs.accounts.tests.factories import OfficialFactory, RoleFactory, RoleGrantFactory
    from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory

    unit = OrgUnitFactory(
        kind=OrgUnitKindFactory(department=True), name="Sở Thông tin và Truyền thông", short_name="STTTT"
    )
    user = OfficialFactory(
        username="nguyen.van.an",
        full_name="Nguyễn Văn An",
        official_profile__unit=unit,
        official_profile__position="Chuyên viên phòng Công nghệ thông tin",
    )
    role = RoleFactory(code="chuyen-vien-thu", name="Chuyên viên", modules=["orgs", "plans", "onestop"])
    RoleGrantFactory(user=user, role=role, unit=unit)
    return user
