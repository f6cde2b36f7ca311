"""Writes docs/asyncapi/<service>.yaml (`faststream docs gen` for each service, completed with the contracts) and
docs/asyncapi/exchange.yaml, the cross-LA exchange's own document.

uv run python scripts/asyncapi.py            write the documents
uv run python scripts/asyncapi.py --check    exit 1 if a committed document differs from a fresh one
"""

import importlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from cme_runtime.asyncapi import complete, exchange_document
from cme_runtime.suite import SERVICE_NAMES
from contracts.exchange.messages_v1 import exchange_topic
from contracts.exchange.registry import EXCHANGE_TYPES

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "asyncapi"


def generate(service: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"{service}.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "faststream",
                "docs",
                "gen",
                "--factory",
                f"services.{service}.app:asyncapi_app",
                "--out",
                str(target),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        document: dict[str, Any] = json.loads(target.read_text())
    app = importlib.import_module(f"services.{service}.app").asyncapi_app()
    runtime = app.context.get("cme_runtime")
    completed = complete(document, runtime.consumers.subscriptions, runtime.publishes, service)
    return yaml.safe_dump(completed, sort_keys=True, allow_unicode=True, width=120)


def main(check: bool) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    stale = []
    documents = {f"{service}.yaml": lambda service=service: generate(service) for service in SERVICE_NAMES}
    documents["exchange.yaml"] = lambda: yaml.safe_dump(
        exchange_document(EXCHANGE_TYPES, exchange_topic("{laCode}")), sort_keys=True, allow_unicode=True, width=120)
    for name, make in documents.items():
        text = make()
        path = OUT / name
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
    if stale:
        print(f"AsyncAPI documents out of date: {', '.join(stale)}; run `uv run python scripts/asyncapi.py`")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main("--check" in sys.argv))
