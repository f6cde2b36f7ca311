"""Browser tests: Debian's Chromium, driven by Playwright, against the officers' UI of the whole suite running as
processes on real Kafka and PostgreSQL (the `suite` fixture). The demo users sign in; each test opens the cases it
works on (tests/browser/cases.py). Screenshots go to $CME_TEST_ARTIFACTS/screenshots, and a failing test leaves
a screenshot of every page it had open in screenshots/failures."""

import asyncio
import re
import secrets
import shutil
import sys
from collections.abc import AsyncIterator, Generator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from services.casework.domain.access import Role
from services.casework.entrypoints.demo import DEMO_USERS
from tests.browser.cases import CaseFactory, case_factory
from tests.browser.pages import SignInPage
from tests.browser.support import (
    ROOT,
    SCREENSHOTS,
    Casework,
    OpenPage,
    SaveScreenshot,
    SignedInPage,
    screenshot_path,
)
from tests.support.infrastructure import Infrastructure
from tests.support.otlp import OtlpReceiver
from tests.support.suite import RunningSuite, running_suite

CHROMIUM = Path("/usr/bin/chromium")
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
SEED_TIMEOUT_SECONDS = 180
ACTION_TIMEOUT_MS = 15_000
FAILED = pytest.StashKey[bool]()
FAILURE_SCREENSHOTS = SCREENSHOTS / "failures"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


@pytest.fixture(scope="session", autouse=True)
def no_stale_failure_screenshots() -> None:
    """A failure screenshot left by an earlier run would pass for one of this run's."""
    shutil.rmtree(FAILURE_SCREENSHOTS, ignore_errors=True)


@pytest.fixture(scope="package")
async def suite(migrated: Infrastructure, otlp: OtlpReceiver, artifacts: Path) -> AsyncIterator[RunningSuite]:
    """The whole suite as processes, for this package only (see tests/e2e/conftest.py)."""
    async with running_suite(migrated, otlp.endpoint, artifacts / "logs") as running:
        yield running


@pytest.fixture(scope="package")
async def casework(suite: RunningSuite) -> Casework:
    """`python -m services.casework seed-demo`, as an operator runs it: it adds the demo users and cases and sets
    the demo users' password (a new one each time the browser tests run)."""
    password = secrets.token_urlsafe(18)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.casework", "seed-demo", f"--password={password}",
        cwd=ROOT, env=dict(suite.specs["casework"].env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), SEED_TIMEOUT_SECONDS)
    assert process.returncode == 0, output.decode()
    assert all(user.email in output.decode() for user in DEMO_USERS), "seed-demo must print every demo sign-in"
    return Casework(suite.url("casework"), password)


@pytest.fixture(scope="package")
async def cases(suite: RunningSuite) -> AsyncIterator[CaseFactory]:
    async with case_factory(suite.specs["casework"].env) as factory:
        yield factory


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/browser.sh installs Debian's chromium package")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    """Debian's Chromium; Playwright's own browser download is never used."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120]


@pytest.fixture
async def new_page(browser: Browser, casework: Casework, request: pytest.FixtureRequest) -> AsyncIterator[OpenPage]:
    """Opens a page in a fresh browser context (its own cookies), so one test can be several people at once."""
    contexts: list[BrowserContext] = []

    async def open_page(*, java_script: bool = True) -> Page:
        context = await browser.new_context(base_url=casework.url, java_script_enabled=java_script,
                                            viewport={"width": 1280, "height": 900}, locale="en-GB",
                                            timezone_id="Europe/London")
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return await context.new_page()

    yield open_page
    failed = request.node.stash.get(FAILED, False)
    for number, context in enumerate(contexts):
        if failed:
            FAILURE_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            for page_number, page in enumerate(context.pages):
                name = _file_name(f"{request.node.name}-{number}-{page_number}") + ".png"
                await page.screenshot(path=FAILURE_SCREENSHOTS / name, full_page=True)
        await context.close()


@pytest.fixture
def signed_in(new_page: OpenPage, casework: Casework) -> SignedInPage:
    """A page signed in, through the sign-in form, as the demo user with `role`."""

    async def sign_in_as(role: Role, *, java_script: bool = True) -> Page:
        page = await new_page(java_script=java_script)
        user = casework.user(role)
        sign_in = SignInPage(page)
        await sign_in.open()
        await sign_in.sign_in(user.email, casework.password)
        await sign_in.expect_signed_in_as(user.display_name)
        return page

    return sign_in_as


@pytest.fixture
def save_screenshot() -> SaveScreenshot:
    """Saves a full-page screenshot under the known artefacts folder, for people reviewing the UI."""

    async def save(page: Page, name: str) -> Path:
        path = screenshot_path(name)
        await page.screenshot(path=path, full_page=True)
        return path

    return save
