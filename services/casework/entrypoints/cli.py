"""Casework's admin commands, run as `python -m services.casework <command> [args]`. Each returns an exit code.

The registry below is the table of contents: import a command's function and add it here.
"""

from collections.abc import Callable, Sequence

from services.casework.entrypoints.admin_commands import add_user, deactivate_user, ensure_service_user, verify_audit
from services.casework.entrypoints.demo import seed_demo
from services.casework.entrypoints.run_due import run_due
from services.casework.settings import CaseworkSettings

Command = Callable[[CaseworkSettings, Sequence[str]], int]

COMMANDS: dict[str, Command] = {
    "add-user": add_user,
    "ensure-service-user": ensure_service_user,
    "deactivate-user": deactivate_user,
    "verify-audit": verify_audit,
    "seed-demo": seed_demo,
    "run-due": run_due,
}
