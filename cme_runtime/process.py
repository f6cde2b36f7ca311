"""The entry point of every service process: `python -m services.<name> [serve|migrate]`."""

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from cme_runtime.migrations import upgrade
from cme_runtime.settings import ServiceSettings


def serve(settings: ServiceSettings, create_app: Callable[[Any], Any], migrations_dir: Path) -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "serve"
    if command == "migrate":
        upgrade(settings, migrations_dir)
        return
    if command != "serve":
        sys.exit(f"usage: python -m services.{settings.service_name} [serve|migrate]")
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
    )
