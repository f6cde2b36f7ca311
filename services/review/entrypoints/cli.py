"""Review's time-based rules, run on demand: `python -m services.review run-due [--as-of INSTANT]`.

Cases kept open after a Missing Mondays review: their further review goes on the next meeting's agenda once its
date has come, and the lead officer's periodic re-checks (policy §10.5) fall due at the configured interval.
`cme run-due` runs it after triage's rules; tests pass `--as-of`, so nothing waits for a clock. Prints one line
of JSON with counts (never personal data).
"""

import asyncio
import json
from collections.abc import Sequence

from cme_runtime import run_due as run_due_command
from services.review.app import build
from services.review.settings import ReviewSettings

COMMAND = run_due_command.COMMAND
DESCRIPTION = "Put further Missing Mondays reviews on the agenda and raise the lead officer's re-checks."


def main(argv: Sequence[str], settings: ReviewSettings) -> int:
    as_of = run_due_command.parse_as_of("review", DESCRIPTION, argv)
    components = build(settings)
    run = asyncio.run(
        run_due_command.in_one_transaction(components.runtime, lambda tx: components.service.run_due(tx, as_of))
    )
    print(json.dumps({"as_of": as_of.isoformat(), "further_reviews": run.further_reviews, "rechecks": run.rechecks}))
    return 0
