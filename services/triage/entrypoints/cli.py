"""Triage's time-based rules, run on demand: `python -m services.triage run-due [--as-of INSTANT]`.

A cron job (or `cme run-due`) runs it; tests and replays pass `--as-of`, so nothing waits for a clock and the
same instant always gives the same result. Prints one line of JSON with counts (never personal data) and exits
1 when some watch could not be decided.
"""

import asyncio
import json
import sys
from collections.abc import Sequence

from cme_runtime import run_due as run_due_command
from services.triage.app import build
from services.triage.settings import TriageSettings

COMMAND = run_due_command.COMMAND
DESCRIPTION = "Decide the joiner watches whose deadline day has ended: each becomes a CME decision."


def main(argv: Sequence[str], settings: TriageSettings) -> int:
    as_of = run_due_command.parse_as_of("triage", DESCRIPTION, argv)
    components = build(settings)
    run = asyncio.run(
        run_due_command.in_one_transaction(components.runtime, lambda tx: components.service.expire_watches(tx, as_of))
    )
    print(json.dumps({"as_of": as_of.isoformat(), "expired": run.expired, "left_open": run.left_open}))
    if run.left_open:
        print(
            f"{run.left_open} watch(es) left open: the configured term dates (CME_TERM_DATES) end before "
            "their CME enquiry would be due; extend them and run again",
            file=sys.stderr,
        )
    return 1 if run.left_open else 0
