"""A real headless browser against a server the tests start themselves (pytest-django's live_server).

Debian's chromium, driven by Playwright's Python package (whose wheel ships the driver); no browser is
downloaded. ``bash .ci/test`` installs chromium where it is missing (.ci/browser). Screenshots go to
test-artifacts/browser/ (gitignored), one per step worth looking at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reviews.conftest import today, w  # noqa: F401 - the same small world as the other portal tests

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module", autouse=True)
def _orm_beside_playwright():
    """Playwright's sync API keeps an asyncio loop in this thread; the ORM calls the tests make between
    browser steps are ordinary synchronous ones (the server runs in its own thread). Only for these
    tests: a process-wide setting would leak into the subprocesses other tests start."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser():
    # Module scope: the loop Playwright runs in this thread ends with the browser tests, before any
    # other test module runs.
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: `bash .ci/test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def watched_page(browser, live_server, **options):
    """A page in Chinese against the live server, in a context of its own with ``options``; when the test
    is done, it fails if the Content-Security-Policy refused anything the pages needed."""
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = watch_csp(page)
    yield page
    context.close()
    assert violations == [], "the Content-Security-Policy refused something a page needs"


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page, in Chinese (what most workers see), against the live server."""
    yield from watched_page(browser, live_server, viewport=PHONE, device_scale_factor=2, is_mobile=True,
                            has_touch=True)


def watch_csp(page) -> list[str]:
    """Every Content-Security-Policy violation on ``page`` from now on: Chromium reports each one on the
    console ("Refused to execute inline script because it violates ..."), and as an event to the page."""
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.add_init_script("document.addEventListener('securitypolicyviolation', "
                         "e => console.error('Content Security Policy: ' + e.violatedDirective + ' ' + e.blockedURI))")
    return violations


@pytest.fixture
def shot():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return save


def log_in(page, username: str, password: str = "pass-1234-word") -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()


def switch_to_english(page) -> None:
    """Switches the page to English through the language menu, as a person does (the menu itself is tested in
    test_language_menu)."""
    page.click("#language summary")
    with page.expect_navigation():
        page.click("#language button[value=en]")


# The widths of the page, of the table ``selector`` and of the box it scrolls in.
_WIDTHS = """(selector) => {
  const table = document.querySelector(selector);
  return {page: document.documentElement.scrollWidth, table: table.scrollWidth,
          box: table.parentElement.clientWidth};
}"""


def assert_table_fits(page, selector: str) -> None:
    """The table ``selector`` reads on a phone: nothing wider than the screen, nothing to scroll sideways inside
    its box either (table.stack)."""
    widths = page.evaluate(_WIDTHS, selector)
    assert widths["page"] <= PHONE["width"], widths
    assert widths["table"] <= widths["box"], widths


def cell_label(cell) -> str:
    """The column name a stacked table's cell shows before its value (its data-label, as CSS draws it)."""
    return cell.evaluate("(td) => getComputedStyle(td, '::before').content")


DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def desk(browser, live_server):
    """A desktop-sized page, in Chinese, against the live server (union staff's screens)."""
    yield from watched_page(browser, live_server, viewport=DESKTOP, accept_downloads=True)
