"""CloudEvents 1.0 in Kafka binary content mode: attributes as `ce_*` headers, JSON data as the value.

https://github.com/cloudevents/spec/blob/main/cloudevents/bindings/kafka-protocol-binding.md
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID, uuid4

from pydantic import ValidationError

from contracts.base import Event
from contracts.registry import BY_TYPE

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
REQUIRED_ATTRIBUTES = ("id", "source", "type", "specversion")

E = TypeVar("E", bound=Event)

HeaderList = Sequence[tuple[str, bytes]]


class EnvelopeError(ValueError):
    """A message that is not a readable CloudEvent of a known type. The message text never holds payload data."""


@dataclass(frozen=True)
class CloudEventAttributes:
    id: str
    source: str
    type: str
    time: datetime
    subject: str | None = None
    dataschema: str | None = None
    specversion: str = SPEC_VERSION
    extensions: Mapping[str, str] = field(default_factory=dict)

    def to_headers(self) -> list[tuple[str, bytes]]:
        headers = [
            ("ce_specversion", self.specversion),
            ("ce_id", self.id),
            ("ce_source", self.source),
            ("ce_type", self.type),
            ("ce_time", self.time.astimezone(UTC).isoformat().replace("+00:00", "Z")),
            ("content-type", CONTENT_TYPE),
        ]
        if self.subject is not None:
            headers.append(("ce_subject", self.subject))
        if self.dataschema is not None:
            headers.append(("ce_dataschema", self.dataschema))
        headers.extend((f"ce_{name}", value) for name, value in self.extensions.items())
        return [(name, value.encode()) for name, value in headers]


def new_attributes(
    event: Event, *, source: str, subject: str | None, event_id: UUID | None = None, time: datetime | None = None
) -> CloudEventAttributes:
    return CloudEventAttributes(
        id=str(event_id or uuid4()),
        source=source,
        type=event.event_type,
        time=time or datetime.now(UTC),
        subject=subject,
        dataschema=event.dataschema(),
    )


def encode_data(event: Event) -> bytes:
    return event.model_dump_json().encode()


def read_attributes(headers: Mapping[str, bytes | str] | HeaderList) -> CloudEventAttributes:
    values = _header_map(headers)
    missing = [name for name in REQUIRED_ATTRIBUTES if f"ce_{name}" not in values]
    if missing:
        raise EnvelopeError(f"missing CloudEvents attribute(s): {', '.join(missing)}")
    if values["ce_specversion"] != SPEC_VERSION:
        raise EnvelopeError("unsupported CloudEvents specversion")
    try:
        time = datetime.fromisoformat(values["ce_time"]) if "ce_time" in values else datetime.now(UTC)
    except ValueError as error:
        raise EnvelopeError("ce_time is not an RFC 3339 timestamp") from error
    known = {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "ce_dataschema"}
    return CloudEventAttributes(
        id=values["ce_id"],
        source=values["ce_source"],
        type=values["ce_type"],
        time=time,
        subject=values.get("ce_subject"),
        dataschema=values.get("ce_dataschema"),
        extensions={k[3:]: v for k, v in values.items() if k.startswith("ce_") and k not in known},
    )


def decode(
    headers: Mapping[str, bytes | str] | HeaderList, value: bytes, expected: Sequence[type[Event]] | None = None
) -> tuple[CloudEventAttributes, Event]:
    """Read a binary-mode CloudEvent. Raises EnvelopeError with a reason safe to log and to dead-letter."""
    attributes = read_attributes(headers)
    model = BY_TYPE.get(attributes.type)
    if model is None or (expected is not None and model not in expected):
        raise EnvelopeError(f"unexpected event type {attributes.type!r}")
    return attributes, parse_data(model, value)


def parse_data(model: type[E], value: bytes) -> E:
    try:
        return model.model_validate_json(value)
    except ValidationError as error:
        raise EnvelopeError(describe_validation_error(error)) from None


def describe_validation_error(error: ValidationError) -> str:
    """Field paths and error kinds only: never the submitted values, which may be a child's personal data."""
    parts = []
    for problem in error.errors(include_url=False, include_input=False):
        location = ".".join(str(part) for part in problem["loc"]) or "data"
        parts.append(f"{location}: {problem['type']}")
    return "invalid data: " + "; ".join(parts[:20])


def _header_map(headers: Mapping[str, bytes | str] | HeaderList) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    result: dict[str, str] = {}
    for name, value in items:
        if isinstance(value, bytes):
            try:
                result[name] = value.decode()
            except UnicodeDecodeError as error:
                raise EnvelopeError(f"header {name!r} is not UTF-8") from error
        else:
            result[name] = value
    return result
