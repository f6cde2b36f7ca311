"""Casework's time-based rules, run on demand: `python -m services.casework run-due [--as-of INSTANT]`.

Raises the task diary's rule tasks owed as of the instant (App. D enquiry deadlines, the day-6 alternative
provision check after a permanent exclusion, children passing compulsory school age, further Missing Mondays
reviews). Running it twice as of the same instant raises nothing new. `cme run-due` runs it with triage's and
review's rules; tests pass `--as-of`. Prints one line of JSON with counts (never personal data).
"""

import asyncio
import json
from collections.abc import Sequence

from cme_runtime import run_due as run_due_command
from services.casework.app import build
from services.casework.settings import CaseworkSettings

DESCRIPTION = "Raise the task diary's tasks that rules say are owed (deadlines, day-6 checks, end of school age)."


def run_due(settings: CaseworkSettings, argv: Sequence[str]) -> int:
    as_of = run_due_command.parse_as_of("casework", DESCRIPTION, argv)
    components = build(settings)
    result = asyncio.run(
        run_due_command.in_one_transaction(components.runtime, lambda tx: components.tasks.run_due(tx, as_of))
    )
    print(json.dumps({"as_of": as_of.isoformat(), "tasks_created": dict(result.created)}))
    return 0
