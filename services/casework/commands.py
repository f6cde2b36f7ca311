"""Casework's admin commands, run as `python -m services.casework <command> [args]`. Each returns an exit code."""

from collections.abc import Callable, Sequence

from services.casework.settings import CaseworkSettings

Command = Callable[[CaseworkSettings, Sequence[str]], int]

# Each command module adds itself here, e.g. COMMANDS["verify-audit"] = verify_audit.
COMMANDS: dict[str, Command] = {}
