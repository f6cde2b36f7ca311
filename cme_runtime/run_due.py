"""What every service's `run-due` command shares: the `--as-of` instant and one transaction on a built runtime.

Time-based rules run on demand (a CronJob, `cme run-due`, or a test passing `--as-of`), so nothing waits for a
clock and the same instant always gives the same result. Each service owns its rules; this is only plumbing.
"""

import argparse
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from cme_runtime.db import Transaction
from cme_runtime.service import ServiceRuntime

COMMAND = "run-due"
Result = TypeVar("Result")


def aware_instant(value: str) -> datetime:
    """An ISO 8601 instant with its offset, such as 2026-12-10T09:00+00:00 or 2026-12-10T09:00Z."""
    try:
        instant = datetime.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date and time: {value!r}") from error
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise argparse.ArgumentTypeError("give the instant with its offset, e.g. 2026-12-10T09:00+00:00")
    return instant


def parse_as_of(service: str, description: str, argv: Sequence[str]) -> datetime:
    parser = argparse.ArgumentParser(prog=f"python -m services.{service} {COMMAND}", description=description)
    parser.add_argument(
        "--as-of", type=aware_instant, default=None, help="The instant to run as of, with its offset (default: now)"
    )
    as_of: datetime | None = parser.parse_args(argv).as_of
    return as_of or datetime.now(UTC)


async def in_one_transaction(runtime: ServiceRuntime, work: Callable[[Transaction], Awaitable[Result]]) -> Result:
    """Run `work` in one transaction, then release the runtime's connections and flush its traces."""
    try:
        async with runtime.session_factory.begin() as session:
            return await work(session)
    finally:
        await runtime.engine.dispose()
        runtime.tracer_provider.shutdown()
