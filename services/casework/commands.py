"""Casework's admin commands, run as `python -m services.casework <command> [args]`. Each returns an exit code.

The registry below is the table of contents: import a command's function and add it here.
"""

from collections.abc import Callable, Sequence

from services.casework.settings import CaseworkSettings

Command = Callable[[CaseworkSettings, Sequence[str]], int]

COMMANDS: dict[str, Command] = {}
