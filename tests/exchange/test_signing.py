"""Issue 9: signed exchange messages. A partner's message verifies and opens; a tampered payload, a wrong key, an
unknown authority, a retired key, a source that does not match its key and a message for someone else are each
refused with their reason; a rotated key and its successor are both accepted during the overlap."""

import base64
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from cme_runtime.exchange_signing import (
    ExchangeRefused,
    RefusalReason,
    SigningKey,
    TrustRegistry,
    open_envelope,
    seal,
)
from contracts.events.common_v1 import Child
from contracts.exchange.messages_v1 import ReferralSentToAuthority, TeamContact

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
WORCESTERSHIRE, HEREFORDSHIRE, SHROPSHIRE = "885", "884", "893"


def referral(from_la: str = WORCESTERSHIRE, to_la: str = HEREFORDSHIRE) -> ReferralSentToAuthority:
    return ReferralSentToAuthority(
        message_id=uuid4(), from_la=from_la, to_la=to_la, sent_at=NOW - timedelta(minutes=5),
        sender_case_reference="CME-1A2B3C4D",
        child=Child(given_name="Invented", family_name="Child", date_of_birth=date(2014, 5, 6)),
        reason="Family told the school they were moving to Hereford",
        contact=TeamContact(team="CME team", email="cme@example.invalid"),
    )


@pytest.fixture
def sender() -> SigningKey:
    return SigningKey.generate(WORCESTERSHIRE)


@pytest.fixture
def registry(sender: SigningKey) -> TrustRegistry:
    return TrustRegistry([sender.trusted(valid_from=NOW - timedelta(days=365))])


def opened(document: dict[str, Any] | bytes, registry: TrustRegistry, receiver: str = HEREFORDSHIRE) -> Any:
    return open_envelope(document, registry, receiver_la=receiver, now=NOW)


def refusal(document: dict[str, Any] | bytes, registry: TrustRegistry, receiver: str = HEREFORDSHIRE) -> str:
    with pytest.raises(ExchangeRefused) as refused:
        opened(document, registry, receiver)
    return str(refused.value)


def with_data(document: dict[str, Any], **change: Any) -> dict[str, Any]:
    """The same envelope and signature over a payload whose data was changed in transit."""
    cloud_event = json.loads(base64.b64decode(document["payload"]))
    cloud_event["data"].update(change)
    return {**document, "payload": base64.b64encode(json.dumps(cloud_event).encode()).decode()}


def test_a_partners_signed_referral_opens_with_its_attributes(sender: SigningKey, registry: TrustRegistry) -> None:
    message = referral()

    result = opened(seal(message, sender), registry)

    assert result.message == message
    assert result.from_la == WORCESTERSHIRE
    assert result.keyid == sender.public_key.keyid
    assert (result.attributes.id, result.attributes.source, result.attributes.type) == (
        str(message.message_id), "/la/885", "cme.exchange.referral.v1")


def test_the_envelope_travels_as_json_bytes(sender: SigningKey, registry: TrustRegistry) -> None:
    document = json.dumps(seal(referral(), sender)).encode()

    assert opened(document, registry).from_la == WORCESTERSHIRE


def test_a_tampered_payload_is_refused(sender: SigningKey, registry: TrustRegistry) -> None:
    document = with_data(seal(referral(), sender), reason="Something else entirely")

    assert refusal(document, registry) == RefusalReason.BAD_SIGNATURE.value


def test_a_message_signed_with_another_key_under_a_known_key_id_is_refused(
    sender: SigningKey, registry: TrustRegistry
) -> None:
    impostor = SigningKey.generate(WORCESTERSHIRE)
    document = seal(referral(), impostor)
    document["signatures"][0]["keyid"] = sender.public_key.keyid

    assert refusal(document, registry) == RefusalReason.BAD_SIGNATURE.value


def test_a_key_the_registry_does_not_hold_is_refused(registry: TrustRegistry) -> None:
    document = seal(referral(), SigningKey.generate(WORCESTERSHIRE))

    assert refusal(document, registry) == RefusalReason.UNKNOWN_KEY.value


def test_an_unknown_authority_is_refused(registry: TrustRegistry) -> None:
    document = seal(referral(from_la=SHROPSHIRE), SigningKey.generate(SHROPSHIRE))

    assert refusal(document, registry) == RefusalReason.UNKNOWN_AUTHORITY.value


def test_a_key_used_to_sign_for_another_authority_is_refused(sender: SigningKey) -> None:
    """Shropshire's genuine key cannot vouch for a message claiming to come from Worcestershire."""
    shropshire = SigningKey.generate(SHROPSHIRE)
    registry = TrustRegistry([sender.trusted(NOW - timedelta(days=1)), shropshire.trusted(NOW - timedelta(days=1))])
    forged = seal(referral(from_la=SHROPSHIRE), shropshire)
    cloud_event = json.loads(base64.b64decode(forged["payload"]))
    cloud_event["source"] = "/la/885"
    cloud_event["data"]["from_la"] = WORCESTERSHIRE
    from securesystemslib.dsse import Envelope  # noqa: PLC0415 (re-signing the forgery, as the forger could)

    envelope = Envelope(payload=json.dumps(cloud_event).encode(), payload_type=forged["payloadType"], signatures={})
    envelope.sign(shropshire.signer)

    assert refusal(envelope.to_dict(), registry) == RefusalReason.SOURCE_MISMATCH.value


def test_a_message_for_another_authority_is_refused(sender: SigningKey, registry: TrustRegistry) -> None:
    document = seal(referral(to_la=SHROPSHIRE), sender)

    assert refusal(document, registry) == RefusalReason.NOT_FOR_US.value


def test_rotation_old_and_new_keys_overlap_then_the_old_one_is_retired(sender: SigningKey) -> None:
    successor = SigningKey.generate(WORCESTERSHIRE)
    registry = TrustRegistry([
        sender.trusted(valid_from=NOW - timedelta(days=365), retired_at=NOW + timedelta(days=7)),
        successor.trusted(valid_from=NOW - timedelta(days=1)),
    ])
    old, new = seal(referral(), sender), seal(referral(), successor)

    assert opened(old, registry).keyid == sender.public_key.keyid
    assert opened(new, registry).keyid == successor.public_key.keyid
    after = NOW + timedelta(days=8)
    with pytest.raises(ExchangeRefused) as refused:
        open_envelope(old, registry, receiver_la=HEREFORDSHIRE, now=after)
    assert refused.value.reason is RefusalReason.RETIRED_KEY
    assert open_envelope(new, registry, receiver_la=HEREFORDSHIRE, now=after).from_la == WORCESTERSHIRE


def test_the_registry_file_names_keys_by_their_derived_ids(sender: SigningKey) -> None:
    registry = TrustRegistry.from_json({"authorities": {WORCESTERSHIRE: [
        {"public_key": sender.public_hex(), "valid_from": "2026-01-01T00:00:00+00:00", "retired_at": None},
    ]}})

    assert opened(seal(referral(), sender), registry).keyid == sender.public_key.keyid


@pytest.mark.parametrize("document", [
    b"not json", b"[]", {"payload": "!!", "payloadType": "application/cloudevents+json", "signatures": []},
    {"payload": base64.b64encode(b"{}").decode(), "payloadType": "text/plain",
     "signatures": [{"keyid": "k", "sig": "c2ln"}]},
])
def test_anything_but_a_signed_cloudevent_envelope_is_refused(document: Any, registry: TrustRegistry) -> None:
    assert refusal(document, registry) == RefusalReason.NOT_AN_ENVELOPE.value


def test_a_refusal_never_quotes_the_payload(sender: SigningKey, registry: TrustRegistry) -> None:
    document = with_data(seal(referral(), sender), reason="Invented Child moved to 1 Example Street")

    assert "Invented" not in refusal(document, registry)


def test_an_authority_signs_only_what_it_sends(sender: SigningKey) -> None:
    with pytest.raises(ValueError, match="signs only what it sends"):
        seal(referral(from_la=SHROPSHIRE), sender)
