"""Completes the AsyncAPI document `faststream docs gen` writes for a service.

FastStream documents each subscriber's channel, but our handlers read raw bytes (so that unreadable messages
reach the dead-letter topic), which leaves the payload empty; and our events leave through the outbox relay,
not FastStream publishers. This adds the contracts' JSON Schemas as payloads, the CloudEvents headers, and a
`send` operation for every event the service publishes.
"""

from collections.abc import Mapping, Sequence
from copy import deepcopy
from typing import Any

from contracts.base import Event

Document = dict[str, Any]

CLOUD_EVENTS_HEADERS = {
    "type": "object",
    "description": "CloudEvents 1.0 attributes in Kafka binary content mode",
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"],
    "properties": {
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_id": {"type": "string", "description": "Unique per source; consumers de-duplicate on it"},
        "ce_source": {"type": "string", "examples": ["/cme/intake"]},
        "ce_type": {"type": "string", "description": "The event type, ending in its major version"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "description": "The case, referral or submission the event is about"},
        "ce_dataschema": {"type": "string", "description": "urn:cme:schema:<type>; see contracts/schemas"},
        "content-type": {"type": "string", "const": "application/json"},
        "traceparent": {"type": "string", "description": "W3C trace context"},
    },
}


def _schemas(models: Sequence[type[Event]]) -> dict[str, Any]:
    components: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(mode="serialization", ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            components[name] = definition
        schema["title"] = model.event_type
        components[model.event_type] = schema
    return components


def _message(model: type[Event]) -> dict[str, Any]:
    return {
        "name": model.event_type,
        "title": model.event_type,
        "summary": (model.__doc__ or "").strip().split("\n")[0] or model.event_type,
        "contentType": "application/json",
        "headers": deepcopy(CLOUD_EVENTS_HEADERS),
        "payload": {"$ref": f"#/components/schemas/{model.event_type}"},
        "bindings": {"kafka": {"key": {"type": "string", "description": "The child id (or the submission id)"}}},
    }


def complete(
    document: Document,
    subscriptions: Mapping[str, Sequence[type[Event]]],
    publications: Sequence[type[Event]],
    service: str,
) -> Document:
    result = deepcopy(document)
    components = result.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    messages = components.setdefault("messages", {})
    channels = result.setdefault("channels", {})
    operations = result.setdefault("operations", {})
    schemas.pop("EmptyPayload", None)
    all_models = [*{m for models in subscriptions.values() for m in models}, *publications]
    schemas.update(_schemas(sorted(set(all_models), key=lambda m: m.event_type)))
    for model in all_models:
        messages[model.event_type] = _message(model)

    for channel_name, channel in channels.items():
        topic = channel.get("address")
        accepted = subscriptions.get(topic, ())
        if not accepted:
            continue
        old_messages = list(channel.get("messages", {}))
        for old in old_messages:
            messages.pop(f"{channel_name}:{old}", None)
        channel["messages"] = {m.event_type: {"$ref": f"#/components/messages/{m.event_type}"} for m in accepted}
        operation = operations.get(channel_name)
        if operation is not None:
            operation["messages"] = [{"$ref": f"#/channels/{channel_name}/messages/{m.event_type}"} for m in accepted]

    by_topic: dict[str, list[type[Event]]] = {}
    for model in publications:
        by_topic.setdefault(model.topic, []).append(model)
    for topic, models in sorted(by_topic.items()):
        name = f"{service}:publishes:{topic}"
        channels[name] = {
            "address": topic,
            "description": "Published through the transactional outbox, keyed by child id",
            "messages": {m.event_type: {"$ref": f"#/components/messages/{m.event_type}"} for m in models},
            "bindings": {"kafka": {"topic": topic, "bindingVersion": "0.4.0"}},
        }
        operations[name] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{name}"},
            "messages": [{"$ref": f"#/channels/{name}/messages/{m.event_type}"} for m in models],
        }
    return result


EXCHANGE_ENVELOPE = {
    "type": "object",
    "title": "DSSE envelope",
    "description": "The signed form every exchange message travels in (the CloudEvents verifiability proposal): "
    "`payload` is the base64 of the whole structured-mode CloudEvent (application/cloudevents+json) whose `data` "
    "is one of the messages below and whose `source` is /la/<DfE LA code>; `signatures` hold Ed25519 signatures "
    "over DSSE's pre-authentication encoding, by a key the receiver's trust registry holds for that authority.",
    "required": ["payload", "payloadType", "signatures"],
    "properties": {
        "payload": {"type": "string", "contentEncoding": "base64"},
        "payloadType": {"type": "string", "const": "application/cloudevents+json"},
        "signatures": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["keyid", "sig"],
                "properties": {"keyid": {"type": "string"}, "sig": {"type": "string", "contentEncoding": "base64"}},
            },
        },
    },
}


def exchange_document(models: Sequence[type[Event]], topic: str) -> Document:
    """The cross-LA exchange's own AsyncAPI document: one topic per receiving authority, `topic` with its
    `{laCode}` parameter (on a regional cluster, or over a MirrorMaker 2 link), and the same envelopes posted to a
    partner's webhook over HTTPS (the CloudEvents HTTP binding)."""
    schemas = _schemas(sorted(models, key=lambda m: m.event_type))
    schemas["DsseEnvelope"] = deepcopy(EXCHANGE_ENVELOPE)
    messages = {
        model.event_type: {
            "name": model.event_type,
            "title": model.event_type,
            "summary": (model.__doc__ or "").strip().split("\n")[0] or model.event_type,
            "contentType": "application/vnd.dsse.envelope.v1+json",
            "payload": {"$ref": "#/components/schemas/DsseEnvelope"},
            "description": f"The envelope's CloudEvent has type {model.event_type} and data "
            f"#/components/schemas/{model.event_type}",
            "bindings": {"kafka": {"key": {"type": "string", "description": "The receiving authority's LA code"}}},
        }
        for model in models
    }
    refs = {m.event_type: {"$ref": f"#/components/messages/{m.event_type}"} for m in models}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "CME cross-LA exchange",
            "version": "1",
            "description": "What one local authority's CME team sends another: referrals, enquiries, answers, "
            "receipts and acknowledgements, each signed by the sending authority. Versioned like every contract "
            "and kept FULL_TRANSITIVE compatible (contracts/schemas.py).",
        },
        "channels": {
            "exchange": {
                "address": topic,
                "messages": refs,
                "parameters": {
                    "laCode": {
                        "description": "The receiving authority's DfE LA code: each "
                        "authority reads its own topic, and partners only write to it"
                    }
                },
                "bindings": {"kafka": {"bindingVersion": "0.4.0"}},
            },
            "webhook": {
                "address": "/exchange/v1/messages",
                "messages": deepcopy(refs),
                "description": "HTTPS POST of one envelope per request (CloudEvents HTTP binding)",
            },
        },
        "operations": {
            "send": {
                "action": "send",
                "channel": {"$ref": "#/channels/exchange"},
                "messages": [{"$ref": f"#/channels/exchange/messages/{m.event_type}"} for m in models],
            },
            "receive": {
                "action": "receive",
                "channel": {"$ref": "#/channels/exchange"},
                "messages": [{"$ref": f"#/channels/exchange/messages/{m.event_type}"} for m in models],
            },
        },
        "components": {"schemas": schemas, "messages": messages},
    }
