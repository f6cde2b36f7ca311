"""What the browser tests share besides fixtures: where artefacts go, the running casework service, and the
shapes of the fixtures that open pages."""

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from playwright.async_api import Page

from services.casework.domain.access import Role
from services.casework.entrypoints.demo import DEMO_USERS, DemoUser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CME_TEST_ARTIFACTS", ROOT / "test-artifacts"))
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE_REPORTS = ARTIFACTS / "axe"


@dataclass(frozen=True)
class Casework:
    """The running casework service and the demo users' shared password."""

    url: str
    password: str

    def user(self, role: Role) -> DemoUser:
        return next(user for user in DEMO_USERS if user.role is role)

    def user_by_id(self, user_id: str) -> DemoUser:
        return next(user for user in DEMO_USERS if user.user_id == user_id)


class OpenPage(Protocol):
    def __call__(self, *, java_script: bool = True) -> Awaitable[Page]: ...


class SignedInPage(Protocol):
    def __call__(self, role: Role, *, java_script: bool = True) -> Awaitable[Page]: ...


SaveScreenshot = Callable[[Page, str], Awaitable[Path]]


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name


def london_today() -> date:
    """Today where the council is: the forms check dates against it."""
    return datetime.now(ZoneInfo("Europe/London")).date()
