"""Triage's time-based rules, run on demand: `python -m services.triage run-due [--as-of INSTANT]`.

A cron job (or `cme run-due`) runs it; tests and replays pass `--as-of`, so nothing waits for a clock and the
same instant always gives the same result. Prints one line of JSON with counts (never personal data) and exits
1 when some watch could not be decided.
"""

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from services.triage.app import build
from services.triage.service_layer.triage import ExpiryRun
from services.triage.settings import TriageSettings

COMMAND = "run-due"


def aware_instant(value: str) -> datetime:
    """An ISO 8601 instant with its offset, such as 2026-12-10T09:00+00:00 or 2026-12-10T09:00Z."""
    try:
        instant = datetime.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date and time: {value!r}") from error
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise argparse.ArgumentTypeError("give the instant with its offset, e.g. 2026-12-10T09:00+00:00")
    return instant


async def run_due(settings: TriageSettings, as_of: datetime) -> ExpiryRun:
    components = build(settings)
    runtime, service = components.runtime, components.service
    try:
        async with runtime.session_factory.begin() as session:
            return await service.expire_watches(session, as_of)
    finally:
        await runtime.engine.dispose()
        runtime.tracer_provider.shutdown()


def main(argv: Sequence[str], settings: TriageSettings) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m services.triage {COMMAND}",
        description="Decide the joiner watches whose deadline day has ended: each becomes a CME decision.",
    )
    parser.add_argument(
        "--as-of", type=aware_instant, default=None, help="The instant to run as of, with its offset (default: now)"
    )
    as_of: datetime = parser.parse_args(argv).as_of or datetime.now(UTC)
    run = asyncio.run(run_due(settings, as_of))
    print(json.dumps({"as_of": as_of.isoformat(), "expired": run.expired, "left_open": run.left_open}))
    if run.left_open:
        print(
            f"{run.left_open} watch(es) left open: the configured term dates (CME_TERM_DATES) end before "
            "their CME enquiry would be due; extend them and run again",
            file=sys.stderr,
        )
    return 1 if run.left_open else 0
