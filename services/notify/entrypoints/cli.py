"""Notify's time-based rules, run on demand: `python -m services.notify run-due [--as-of INSTANT]`.

One pass of the exchange's acknowledgement deadline (the exchange sender runs the same pass about once a minute):
a referral another authority has not acknowledged in time is chased once, and one whose chase went unacknowledged
too is marked unacknowledged for an officer to follow up. Prints one line of JSON with counts (never personal data).
"""

import asyncio
import json
from collections.abc import Sequence

from cme_runtime import run_due as run_due_command
from services.notify.app import build
from services.notify.settings import NotifySettings

COMMAND = run_due_command.COMMAND
DESCRIPTION = (
    "Chase overdue acknowledgements of referrals sent to other authorities once, then mark them unacknowledged."
)


def main(argv: Sequence[str], settings: NotifySettings) -> int:
    as_of = run_due_command.parse_as_of("notify", DESCRIPTION, argv)
    components = build(settings)
    run = asyncio.run(
        run_due_command.in_one_transaction(components.runtime, lambda tx: components.exchange.run_due(tx, as_of))
    )
    print(json.dumps({"as_of": as_of.isoformat(), "chased": run.chased, "unacknowledged": run.unacknowledged}))
    return 0
