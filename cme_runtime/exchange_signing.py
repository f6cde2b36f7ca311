"""Signed cross-LA exchange messages: a CloudEvent in a DSSE envelope, signed with the sending authority's key.

Following the CloudEvents verifiability proposal, the whole structured-mode CloudEvent (attributes and data) is
the DSSE payload, so nothing a receiver acts on sits outside the signature. Keys are Ed25519; the envelope, the
pre-authentication encoding and the signatures are securesystemslib's (no hand-rolled crypto).

A receiver trusts a message only when, in this order: it is a DSSE envelope of a CloudEvent; the authority it claims
to come from is in the trust registry; one of its signatures is by a key the registry holds, valid at the time of
receipt (a rotated key stays valid until its retirement, so old and new overlap); that signature verifies; the key
belongs to the authority named in the CloudEvent's `source`; the event is a known exchange message whose `from_la`
is that authority and whose `to_la` is the receiver. Anything else is refused with one reason, in words that never
quote the payload. Replays (a message id seen before) are the receiving service's check, against its own store.
"""

import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import ValidationError
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import CryptoSigner, SSlibKey

from contracts.envelope import SPEC_VERSION, CloudEventAttributes
from contracts.exchange.messages_v1 import ExchangeMessage, la_source
from contracts.exchange.registry import BY_TYPE

PAYLOAD_TYPE = "application/cloudevents+json"
ENVELOPE_CONTENT_TYPE = "application/vnd.dsse.envelope.v1+json"


class RefusalReason(StrEnum):
    NOT_AN_ENVELOPE = "not a DSSE envelope of a CloudEvent"
    UNKNOWN_AUTHORITY = "the sending authority is not in the trust registry"
    UNKNOWN_KEY = "signed with a key the trust registry does not hold"
    RETIRED_KEY = "signed with a key that is retired or not yet valid"
    BAD_SIGNATURE = "the signature does not verify: the message was altered or signed with another key"
    SOURCE_MISMATCH = "the signing key belongs to another authority than the message's source"
    UNREADABLE = "not a known exchange message, or its data does not match the contract"
    NOT_FOR_US = "addressed to another authority"
    REPLAYED = "a message with this id was received before"


class ExchangeRefused(Exception):
    """A message the exchange will not act on. The text is the reason only: never the payload."""

    def __init__(self, reason: RefusalReason) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class TrustedKey:
    """One authority's public key: valid from a time, until its retirement (if any)."""

    la_code: str
    key: SSlibKey
    valid_from: datetime
    retired_at: datetime | None = None

    @property
    def keyid(self) -> str:
        return self.key.keyid

    def valid_at(self, instant: datetime) -> bool:
        return self.valid_from <= instant and (self.retired_at is None or instant < self.retired_at)


class TrustRegistry:
    """The public keys of every partner authority (and this one's own, for its receipts), by key id."""

    def __init__(self, keys: Iterable[TrustedKey]) -> None:
        self._by_keyid = {key.keyid: key for key in keys}
        self._authorities = {key.la_code for key in self._by_keyid.values()}

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> "TrustRegistry":
        """`{"authorities": {"885": [{"public_key": "<hex Ed25519>", "valid_from": "...", "retired_at": null}]}}`:
        the shape of the registry file an operator keeps (key ids are derived from the key, as securesystemslib
        does, so a registry cannot name a key wrongly)."""
        keys = []
        for la_code, entries in document["authorities"].items():
            for entry in entries:
                public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(entry["public_key"]))
                retired = entry.get("retired_at")
                keys.append(
                    TrustedKey(
                        la_code=la_code,
                        key=SSlibKey.from_crypto(public),
                        valid_from=datetime.fromisoformat(entry["valid_from"]),
                        retired_at=datetime.fromisoformat(retired) if retired else None,
                    )
                )
        return cls(keys)

    def knows(self, la_code: str) -> bool:
        return la_code in self._authorities

    def key(self, keyid: str) -> TrustedKey | None:
        return self._by_keyid.get(keyid)


@dataclass(frozen=True)
class SigningKey:
    """This authority's private key, as the exchange signs with it."""

    la_code: str
    signer: CryptoSigner

    @classmethod
    def generate(cls, la_code: str) -> "SigningKey":
        return cls(la_code, CryptoSigner.generate_ed25519())

    @classmethod
    def from_private_bytes(cls, la_code: str, raw: bytes) -> "SigningKey":
        private = Ed25519PrivateKey.from_private_bytes(raw)
        return cls(la_code, CryptoSigner(private, SSlibKey.from_crypto(private.public_key())))

    @property
    def public_key(self) -> SSlibKey:
        return self.signer.public_key

    def trusted(self, valid_from: datetime, retired_at: datetime | None = None) -> TrustedKey:
        """This key as a partner's trust registry holds it."""
        return TrustedKey(self.la_code, self.public_key, valid_from, retired_at)

    def public_hex(self) -> str:
        return str(self.public_key.keyval["public"])


def seal(message: ExchangeMessage, key: SigningKey, *, time: datetime | None = None) -> dict[str, Any]:
    """The message as a signed DSSE envelope (JSON-ready), its CloudEvents id the message id."""
    if message.from_la != key.la_code:
        raise ValueError("an authority signs only what it sends")
    cloud_event = {
        "specversion": SPEC_VERSION,
        "id": str(message.message_id),
        "source": la_source(message.from_la),
        "type": message.event_type,
        "time": (time or message.sent_at).astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "subject": message.to_la,
        "dataschema": message.dataschema(),
        "datacontenttype": "application/json",
        "data": message.model_dump(mode="json"),
    }
    envelope = Envelope(
        payload=json.dumps(cloud_event, sort_keys=True).encode(), payload_type=PAYLOAD_TYPE, signatures={}
    )
    envelope.sign(key.signer)
    document: dict[str, Any] = envelope.to_dict()
    return document


@dataclass(frozen=True)
class OpenedMessage:
    attributes: CloudEventAttributes
    message: ExchangeMessage
    from_la: str
    keyid: str


def open_envelope(
    document: Mapping[str, Any] | bytes, registry: TrustRegistry, *, receiver_la: str, now: datetime
) -> OpenedMessage:
    """The verified message, or ExchangeRefused with the first reason it fails (see the module's docstring)."""
    envelope, cloud_event = _read(document)
    claimed_la = _claimed_authority(cloud_event)
    if not registry.knows(claimed_la):
        raise ExchangeRefused(RefusalReason.UNKNOWN_AUTHORITY)
    candidates = [key for keyid in envelope.signatures if (key := registry.key(keyid)) is not None]
    if not candidates:
        raise ExchangeRefused(RefusalReason.UNKNOWN_KEY)
    valid = [key for key in candidates if key.valid_at(now)]
    if not valid:
        raise ExchangeRefused(RefusalReason.RETIRED_KEY)
    try:
        verified = envelope.verify([key.key for key in valid], 1)
    except VerificationError as error:
        raise ExchangeRefused(RefusalReason.BAD_SIGNATURE) from error
    signers = [key for key in valid if key.keyid in verified]
    if all(key.la_code != claimed_la for key in signers):
        raise ExchangeRefused(RefusalReason.SOURCE_MISMATCH)
    message = _message(cloud_event)
    if message.from_la != claimed_la:
        raise ExchangeRefused(RefusalReason.SOURCE_MISMATCH)
    if message.to_la != receiver_la:
        raise ExchangeRefused(RefusalReason.NOT_FOR_US)
    attributes = CloudEventAttributes(
        id=str(cloud_event["id"]),
        source=str(cloud_event["source"]),
        type=str(cloud_event["type"]),
        time=datetime.fromisoformat(str(cloud_event["time"])),
        subject=cloud_event.get("subject"),
        dataschema=cloud_event.get("dataschema"),
    )
    if attributes.id != str(message.message_id):
        raise ExchangeRefused(RefusalReason.UNREADABLE)
    keyid = next(key.keyid for key in signers if key.la_code == claimed_la)
    return OpenedMessage(attributes, message, claimed_la, keyid)


def _read(document: Mapping[str, Any] | bytes) -> tuple[Envelope, dict[str, Any]]:
    try:
        # A private copy: securesystemslib's from_dict consumes what it reads, and the caller may keep the original.
        data = json.loads(document if isinstance(document, bytes) else json.dumps(document))
        envelope = Envelope.from_dict(data)
        if envelope.payload_type != PAYLOAD_TYPE or not envelope.signatures:
            raise ExchangeRefused(RefusalReason.NOT_AN_ENVELOPE)
        cloud_event = json.loads(envelope.payload)
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError) as error:
        raise ExchangeRefused(RefusalReason.NOT_AN_ENVELOPE) from error
    if not isinstance(cloud_event, dict):
        raise ExchangeRefused(RefusalReason.NOT_AN_ENVELOPE)
    return envelope, cloud_event


def _claimed_authority(cloud_event: Mapping[str, Any]) -> str:
    source = cloud_event.get("source")
    if not isinstance(source, str) or not source.startswith("/la/"):
        raise ExchangeRefused(RefusalReason.NOT_AN_ENVELOPE)
    return source.removeprefix("/la/")


def _message(cloud_event: Mapping[str, Any]) -> ExchangeMessage:
    model = BY_TYPE.get(str(cloud_event.get("type")))
    if model is None:
        raise ExchangeRefused(RefusalReason.UNREADABLE)
    try:
        message = model.model_validate(cloud_event.get("data"))
    except ValidationError as error:
        raise ExchangeRefused(RefusalReason.UNREADABLE) from error
    assert isinstance(message, ExchangeMessage)
    return message
