from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.infrastructure import Infrastructure
from tests.support.otlp import OtlpReceiver
from tests.support.suite import RunningSuite, running_suite


@pytest.fixture(scope="package")
async def suite(migrated: Infrastructure, otlp: OtlpReceiver, artifacts: Path) -> AsyncIterator[RunningSuite]:
    """The whole suite as processes, for this package only: its relay must not outlive it, or it would empty
    the outbox tables that later in-process tests assert on."""
    async with running_suite(migrated, otlp.endpoint, artifacts / "logs") as running:
        yield running
