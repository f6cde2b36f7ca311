"""Reading and writing Kafka topics from tests, with bounded waits (never a bare sleep)."""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts.base import Event
from contracts.envelope import new_attributes


@dataclass(frozen=True)
class Record:
    topic: str
    key: bytes | None
    value: bytes
    headers: dict[str, str]
    offset: int


async def publish_raw(
    bootstrap: str, topic: str, value: bytes, headers: Sequence[tuple[str, bytes]] = (), key: bytes | None = None
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=value, key=key, headers=list(headers))
    finally:
        await producer.stop()


async def publish_event(bootstrap: str, topic: str, event: Event, key: str, source: str = "/tests") -> str:
    attributes = new_attributes(event, source=source, subject=key)
    await publish_raw(bootstrap, topic, event.model_dump_json().encode(), attributes.to_headers(), key.encode())
    return attributes.id


async def read_until(
    bootstrap: str, topic: str, predicate: Callable[[list[Record]], bool], timeout: float = 60
) -> list[Record]:
    """All records on `topic` from the beginning, once `predicate` holds for them (or fail after `timeout`)."""
    # A fresh consumer group with earliest reset reads the topic from its beginning.
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-reader-{uuid4().hex}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    records: list[Record] = []
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                records.extend(
                    Record(r.topic, r.key, r.value, {k: v.decode(errors="replace") for k, v in r.headers}, r.offset)
                    for r in batch
                )
            if predicate(records):
                return records
        raise TimeoutError(f"condition on {topic} not met within {timeout}s ({len(records)} records read)")
    finally:
        await consumer.stop()
