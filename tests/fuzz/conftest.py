"""The fuzz tier: intake in-process against the real PostgreSQL, fed by hypothesis.

`CME_FUZZ_EXAMPLES` sets the cases per contract (60 by default: the short form `./dev test` runs); the long form
is `CME_FUZZ_EXAMPLES=100000 uv run pytest tests/fuzz -m fuzz`. Runs are derandomized, so CI sees the same cases
every time; `CME_FUZZ_RANDOM=1` draws new ones (hypothesis prints a reproduction blob for any failure).
"""

import os
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.support.infrastructure import Infrastructure
from tests.support.intake import intake_connection

EXAMPLES = int(os.environ.get("CME_FUZZ_EXAMPLES", "60"))
# A small body limit here, so oversized bodies are cheap to make; the limit's logic does not depend on its size.
MAX_BODY_BYTES = 64 * 1024

settings.register_profile(
    "cme-fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("CME_FUZZ_RANDOM") != "1",
    database=None,
    print_blob=True,
    # Each case writes to PostgreSQL, so shrinking a failure can take longer than the test's timeout; the
    # failing case is printed whole (and as a reproduction blob) instead.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
        HealthCheck.large_base_example,
    ],
)
FUZZ = settings.get_profile("cme-fuzz")


@pytest.fixture(scope="module")
async def intake_client(migrated: Infrastructure) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(IntakeSettings(DATABASE_URL=migrated.database_url, submission_max_bytes=MAX_BODY_BYTES))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://intake", timeout=60) as client:
            yield client
    finally:
        await app.state.runtime.engine.dispose()


@pytest.fixture(scope="module")
async def intake_rows(migrated: Infrastructure) -> AsyncIterator[asyncpg.Connection]:
    async with intake_connection(migrated) as connection:
        yield connection
