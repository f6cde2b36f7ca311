"""The committed AsyncAPI documents are what `faststream docs gen` and the contracts produce today."""

import subprocess
import sys
from pathlib import Path

import yaml

from cme_runtime.suite import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[2]


def test_committed_asyncapi_documents_are_up_to_date() -> None:
    result = subprocess.run([sys.executable, "scripts/asyncapi.py", "--check"], cwd=ROOT, capture_output=True,
                            text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_subscription_documents_its_payload_and_every_publication_a_send() -> None:
    for service in SERVICE_NAMES:
        document = yaml.safe_load((ROOT / "docs" / "asyncapi" / f"{service}.yaml").read_text())
        assert document["asyncapi"].startswith("3.")
        messages = document["components"]["messages"]
        assert messages, service
        for message in messages.values():
            assert message["payload"]["$ref"].removeprefix("#/components/schemas/") in document["components"]["schemas"]
        actions = {operation["action"] for operation in document["operations"].values()}
        assert actions == {"send", "receive"}, service
