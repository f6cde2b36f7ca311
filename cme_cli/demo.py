"""`cme up --demo`: fictional demonstration data, so a new user sees a working dashboard at once.

Casework's own `seed-demo` command adds one user per role and a few dozen invented cases across every status,
priority and track (see services/casework/demo.py); this runs it with the suite's environment and prints where
to sign in.
"""

import subprocess
import sys
from collections.abc import Mapping

import typer

SEED_TIMEOUT_SECONDS = 300


def seed(environment: Mapping[str, str], ui_url: str) -> bool:
    """Run casework's seed-demo, which prints the demo sign-ins; then the UI's address. False if seeding failed."""
    typer.echo("\nSeeding demonstration data...")
    result = subprocess.run(
        [sys.executable, "-m", "services.casework", "seed-demo"],
        env=dict(environment),
        capture_output=True,
        text=True,
        timeout=SEED_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        typer.echo(f"Demonstration data could not be added (exit code {result.returncode}):", err=True)
        typer.echo(result.stderr.strip()[-2000:], err=True)
        return False
    typer.echo(result.stdout.rstrip())
    typer.echo(f"Sign in to the officers' UI at {ui_url}/sign-in with any of the accounts above.")
    return True
