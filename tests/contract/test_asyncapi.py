"""The committed AsyncAPI documents are what `faststream docs gen` and the contracts produce today."""

import subprocess
import sys
from pathlib import Path

import yaml

from cme_runtime.suite import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[2]


def test_committed_asyncapi_documents_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/asyncapi.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
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
        # Reporting publishes nothing: it only reads the topics into its read model.
        assert actions == ({"receive"} if service == "reporting" else {"send", "receive"}), service


def test_the_exchange_has_its_own_document_of_signed_envelopes() -> None:
    document = yaml.safe_load((ROOT / "docs" / "asyncapi" / "exchange.yaml").read_text())
    schemas = document["components"]["schemas"]

    assert set(document["components"]["messages"]) == {
        "cme.exchange.referral.v1",
        "cme.exchange.enquiry.v1",
        "cme.exchange.answer.v1",
        "cme.exchange.receipt.v1",
        "cme.exchange.acknowledgement.v1",
    }
    for message in document["components"]["messages"].values():
        assert message["payload"]["$ref"] == "#/components/schemas/DsseEnvelope"
        assert message["title"] in schemas
    assert schemas["DsseEnvelope"]["properties"]["payloadType"]["const"] == "application/cloudevents+json"
    assert {channel["address"] for channel in document["channels"].values()} == {
        "cme.exchange.{laCode}.v1",
        "/exchange/v1/messages",
    }
    assert "laCode" in document["channels"]["exchange"]["parameters"]
