"""`cme dlq`: read the dead-letter topic, and replay a dead letter to the topic it came from.

The dead-letter topic is the store: every consumer already publishes there, with the original bytes, the exact
original headers (`dlq_original_headers`), where the message came from and why it failed. Reading it back needs
no table in any service's schema and sees the dead letters of all five services at once. A dead letter's id is
its position on the dead-letter topic, `<partition>-<offset>`, which never changes.

A replay republishes the original bytes and headers to the original topic and records itself on the dead-letter
topic too (an empty record with `dlq_replay_of`, who and when), so the log of dead letters also says which were
replayed and by whom; it is also logged. Replaying is safe to repeat: the consumer's inbox recognises the event id
and content, so a message replayed twice is processed once.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from cme_runtime.logging import get_logger
from cme_runtime.messaging import DLQ_ORIGINAL_HEADERS, RawHeaders, decode_headers
from cme_runtime.redact import loggable_id

log = get_logger(__name__)

REPLAY_OF = "dlq_replay_of"
REPLAYED_BY = "dlq_replayed_by"
REPLAYED_AT = "dlq_replayed_at"


@dataclass(frozen=True)
class Replay:
    by: str
    at: str


@dataclass
class DeadLetter:
    id: str
    topic: str
    reason: str
    error_type: str
    consumer: str
    time: str
    event_id: str | None
    key: bytes | None
    value: bytes
    original_headers: RawHeaders
    replays: list[Replay] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """What `cme dlq list` shows: never the payload, which holds a child's personal data."""
        return {
            "id": self.id,
            "time": self.time,
            "topic": self.topic,
            "consumer": self.consumer,
            "reason": self.reason,
            "error_type": self.error_type,
            "event_id": loggable_id(self.event_id) if self.event_id else None,
            "replayed": [f"{replay.at} by {replay.by}" for replay in self.replays],
        }


def _text(headers: Sequence[tuple[str, bytes | None]], name: str) -> str | None:
    for key, value in headers:
        if key == name and value is not None:
            return value.decode(errors="replace")
    return None


async def topic_partitions(bootstrap: str, topic: str, **security: Any) -> list[TopicPartition]:
    """The topic's partitions (none if it does not exist), from the brokers' metadata."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security)
    await admin.start()
    try:
        [description] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(TopicPartition(topic, each["partition"]) for each in description.get("partitions", []))


async def read_dead_letters(bootstrap: str, dlq_topic: str, **security: Any) -> list[DeadLetter]:
    """Every dead letter on the topic from its beginning, with the replays recorded for each."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None, **security)
    await consumer.start()
    letters: dict[str, DeadLetter] = {}
    replays: list[tuple[str, Replay]] = []
    try:
        partitions = await topic_partitions(bootstrap, dlq_topic, **security)
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batches.items():
                for record in records:
                    headers = list(record.headers)
                    replay_of = _text(headers, REPLAY_OF)
                    if replay_of is not None:
                        replays.append(
                            (replay_of, Replay(_text(headers, REPLAYED_BY) or "?", _text(headers, REPLAYED_AT) or "?"))
                        )
                        continue
                    letters[f"{record.partition}-{record.offset}"] = _dead_letter(record, headers)
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    for replay_of, replay in replays:
        if replay_of in letters:
            letters[replay_of].replays.append(replay)
    return sorted(letters.values(), key=lambda letter: letter.time)


def _dead_letter(record: Any, headers: RawHeaders) -> DeadLetter:
    exact = _text(headers, DLQ_ORIGINAL_HEADERS)
    original = decode_headers(exact) if exact is not None else [(k, v) for k, v in headers if not k.startswith("dlq_")]
    at = _text(headers, "dlq_time") or datetime.fromtimestamp(record.timestamp / 1000, UTC).isoformat()
    return DeadLetter(
        id=f"{record.partition}-{record.offset}",
        topic=_text(headers, "dlq_topic") or "",
        reason=_text(headers, "dlq_reason") or "",
        error_type=_text(headers, "dlq_error_type") or "",
        consumer=_text(headers, "dlq_consumer") or "",
        time=at,
        event_id=_text(original, "ce_id"),
        key=record.key,
        value=record.value or b"",
        original_headers=original,
    )


class NothingToReplay(LookupError):
    pass


async def replay(
    bootstrap: str,
    dlq_topic: str,
    ids: Sequence[str] | None,
    by: str,
    *,
    again: bool = False,
    **security: Any,
) -> list[DeadLetter]:
    """Republish the dead letters named by `ids` (all not yet replayed when None, or all when `again`)."""
    letters = await read_dead_letters(bootstrap, dlq_topic, **security)
    if ids is None:
        chosen = [letter for letter in letters if again or not letter.replays]
    else:
        by_id = {letter.id: letter for letter in letters}
        unknown = [each for each in ids if each not in by_id]
        if unknown:
            raise NothingToReplay(f"no dead letter with id {', '.join(unknown)} on {dlq_topic}")
        chosen = [by_id[each] for each in ids]
    if not chosen:
        return []
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", **security)
    await producer.start()
    try:
        for letter in chosen:
            if not letter.topic:
                raise NothingToReplay(f"dead letter {letter.id} does not say which topic it came from")
            # aiokafka types header values as bytes, but Kafka (and aiokafka's encoder) allow a null value.
            headers: list[tuple[str, bytes]] = list(letter.original_headers)  # type: ignore[arg-type]
            await producer.send_and_wait(letter.topic, value=letter.value, key=letter.key, headers=headers)
            at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            await producer.send_and_wait(
                dlq_topic,
                value=b"",
                headers=[(REPLAY_OF, letter.id.encode()), (REPLAYED_BY, by.encode()), (REPLAYED_AT, at.encode())],
            )
            letter.replays.append(Replay(by, at))
            log.info(
                "dead letter replayed",
                dead_letter=letter.id,
                to_topic=letter.topic,
                event_id=loggable_id(letter.event_id) if letter.event_id else None,
                by=by,
            )
    finally:
        await producer.stop()
    return chosen
