"""Browser journeys: Playwright (sync API) driving Debian's Chromium against `live_server`.

Playwright's own browser downloads do not work on the project's machines, so the tests launch
the system Chromium (`/usr/bin/chromium`, Debian package `chromium`; `HMS_CHROMIUM` points
elsewhere). Without it the journeys are skipped on a developer machine, and fail under CI
(environment variable `CI` set), where a skipped journey would hide a broken setup.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# Playwright's sync API runs an asyncio event loop in this thread; Django would otherwise
# refuse the ORM calls the tests make between browser steps (SynchronousOnlyOperation).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("HMS_CHROMIUM", "/usr/bin/chromium"))
# The machine's network is closed: without these flags Chromium keeps dialling out.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator["Browser"]:
    if not CHROMIUM.exists():
        reason = (
            f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' package "
            "(apt-get install chromium) or set HMS_CHROMIUM"
        )
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{reason}. Browser journeys must run under CI.", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def console_errors() -> list[str]:
    """What the page reported as errors: console.error messages (Chromium logs CSP
    violations there) and uncaught exceptions. Journeys end with `assert console_errors == []`.
    """
    return []


@pytest.fixture
def page(browser, live_server, console_errors) -> Iterator["Page"]:
    # Reduced motion: Bootstrap then draws no transitions, so axe-core never measures a
    # button half-way through its colour fade (a false contrast failure).
    context = browser.new_context(base_url=live_server.url, reduced_motion="reduce")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()

    def on_console(message) -> None:
        url = message.location.get("url", "?")
        # Chromium asks for /favicon.ico on its own, once per browser and only sometimes; a
        # 404 there is no fault of the page under test, so it would only make runs flaky.
        if message.type == "error" and urlsplit(url).path != "/favicon.ico":
            console_errors.append(f"{message.text} at {url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: console_errors.append(f"uncaught {error}"))
    yield page
    context.close()


@pytest.fixture
def role_groups(transactional_db) -> None:
    """The four role groups with their permissions, made by `core.roles.sync_groups` as the
    migrations and every post_migrate (flush) make them, so a journey never depends on
    which test flushed the database before it."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from core.roles import sync_groups

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    sync_groups(apps, create_perms=False)


@pytest.fixture
def axe(page) -> "Callable[[str], None]":
    """`axe("booking page with slots")`: axe-core on the page as it stands; fails listing every
    serious or critical violation (tests/e2e/axe.py). Journeys call it on each state they reach.
    """
    from tests.e2e.axe import assert_accessible

    return lambda label: assert_accessible(page, label)
