"""Every message ends processed, recognised as a true duplicate, or dead-lettered with its reason: nothing vanishes.
And a dead letter, once its cause is repaired, is replayed by `cme dlq replay` and processed exactly once.

A real consumer (cme_runtime.messaging.Consumers) on the real broker and database, with topics of the test's own.
"""

import asyncio
import json
import os
import sys
from uuid import uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from cme_cli.bootstrap import create_topics
from cme_cli.dlq import read_dead_letters, replay
from cme_runtime.logging import configure_logging
from cme_runtime.messaging import decode_headers
from cme_runtime.metrics import MESSAGES_CONSUMED
from contracts import topics
from contracts.envelope import CloudEventAttributes, new_attributes
from contracts.events.intake_v1 import LeaverSubmitted
from contracts.events.review_v1 import ReviewDecided
from tests.support.consuming import consumer_settings, read_all, running_consumer
from tests.support.events import review_event
from tests.support.infrastructure import ROOT, Infrastructure
from tests.support.kafka import Record, publish_raw, read_until
from tests.support.submissions import leaver
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration



def leaver_message(**attribute_changes: str) -> tuple[CloudEventAttributes, bytes, list[tuple[str, bytes]]]:
    event = LeaverSubmitted.model_validate(leaver())
    attributes = new_attributes(event, source="/tests", subject=None)
    headers = attributes.to_headers()
    for name, value in attribute_changes.items():
        headers = [(n, value.encode() if n == name else v) for n, v in headers]
    return attributes, event.model_dump_json().encode(), headers


def consumed(service: str, topic: str, outcome: str) -> float:
    return MESSAGES_CONSUMED.labels(service=service, topic=topic, outcome=outcome)._value.get()


async def test_unreadable_misrouted_and_conflicting_messages_are_dead_lettered_and_true_duplicates_recognised(
    migrated: Infrastructure,
) -> None:
    configure_logging("test")  # rebinds to this test's stdout (another test may have bound a closed capture)
    bootstrap = migrated.kafka_bootstrap_servers
    settings = consumer_settings(migrated.service_database_url("review"), bootstrap, processing_attempts=5)
    await create_topics(bootstrap, settings.topic_prefix)
    topic = settings.topic(topics.INTAKE_LEAVER)
    calls: list[str] = []

    async def handler(session: AsyncSession, attributes: CloudEventAttributes, event: LeaverSubmitted) -> None:
        calls.append(attributes.id)
        # Like a service storing a submitted text: a NUL character reaches PostgreSQL, which refuses it (22021).
        await session.execute(text("SELECT CAST(:note AS text)"), {"note": attributes.subject or ""})

    key = f"key-{uuid4().hex}".encode()  # one key, so one partition: the messages are read in this order
    original, original_bytes, original_headers = leaver_message()
    _, other_bytes, _ = leaver_message()
    not_utf8, not_utf8_bytes, not_utf8_headers = leaver_message()
    not_utf8_headers.append(("x-upstream-batch", b"\xff\xfe batch"))
    null_header, null_bytes, null_headers = leaver_message()
    null_headers.append(("x-upstream-note", None))  # type: ignore[arg-type]  # Kafka allows a null header value
    misrouted_event = review_event()
    misrouted = new_attributes(misrouted_event, source="/tests", subject=None)
    nul, nul_bytes, nul_headers = leaver_message()
    nul_headers.append(("ce_subject", b"child\x00note"))
    sentinel, sentinel_bytes, sentinel_headers = leaver_message()

    async with running_consumer(settings, topics.INTAKE_LEAVER, [LeaverSubmitted], handler):
        await publish_raw(bootstrap, topic, original_bytes, original_headers, key)
        await publish_raw(bootstrap, topic, original_bytes, original_headers, key)  # a true duplicate
        await publish_raw(bootstrap, topic, other_bytes, original_headers, key)  # same id, different content
        await publish_raw(bootstrap, topic, not_utf8_bytes, not_utf8_headers, key)
        await publish_raw(bootstrap, topic, null_bytes, null_headers, key)
        await publish_raw(
            bootstrap, topic, misrouted_event.model_dump_json().encode(), misrouted.to_headers(), key
        )  # a valid event of another type, on a submission topic
        await publish_raw(bootstrap, topic, nul_bytes, nul_headers, key)
        await publish_raw(bootstrap, topic, sentinel_bytes, sentinel_headers, key)
        await eventually(lambda: asyncio.sleep(0, sentinel.id in calls), what="the message after them processed")

    dead = await read_all(bootstrap, settings.topic(topics.DEAD_LETTER))
    by_id: dict[str, list[Record]] = {}
    for record in dead:
        by_id.setdefault(record.headers["ce_id"], []).append(record)
    reasons = {event_id: [r.headers["dlq_reason"] for r in records] for event_id, records in by_id.items()}
    assert reasons == {
        original.id: ["conflict: this event id was already processed with different content"],
        not_utf8.id: ["header 'x-upstream-batch' is not UTF-8"],
        null_header.id: ["header 'x-upstream-note' has no value"],
        misrouted.id: [
            f"misrouted: {ReviewDecided.event_type} arrived on {topics.INTAKE_LEAVER}, "
            f"but belongs on {topics.REVIEW_DECIDED}"
        ],
        nul.id: ["poison: DBAPIError (SQLSTATE 22021)"],
    }
    # Processed once: the duplicate was recognised, the conflict not applied; the NUL was tried once, not 5 times.
    assert calls == [original.id, nul.id, sentinel.id]
    conflict = by_id[original.id][0]
    assert conflict.value == other_bytes
    assert conflict.headers["dlq_topic"] == topic
    assert conflict.headers["dlq_consumer"] == settings.consumer_group
    assert conflict.headers["dlq_error_type"] == "Conflict"
    assert int(conflict.headers["dlq_offset"]) >= 0
    # The original headers survive exactly, bytes that are not UTF-8 and null values included.
    kept = decode_headers(by_id[not_utf8.id][0].headers["dlq_original_headers"])
    assert ("x-upstream-batch", b"\xff\xfe batch") in kept
    assert by_id[not_utf8.id][0].value == not_utf8_bytes
    assert ("x-upstream-note", None) in decode_headers(by_id[null_header.id][0].headers["dlq_original_headers"])
    assert consumed("review", topics.INTAKE_LEAVER, "duplicate") >= 1


async def test_a_repaired_dead_letter_is_replayed_and_processed_exactly_once(migrated: Infrastructure) -> None:
    configure_logging("test")  # rebinds to this test's stdout (another test may have bound a closed capture)
    bootstrap = migrated.kafka_bootstrap_servers
    settings = consumer_settings(migrated.service_database_url("review"), bootstrap, processing_attempts=2)
    await create_topics(bootstrap, settings.topic_prefix)
    topic = settings.topic(topics.REVIEW_DECIDED)
    dlq_topic = settings.topic(topics.DEAD_LETTER)
    repaired = False
    applied: list[str] = []

    async def handler(session: AsyncSession, attributes: CloudEventAttributes, event: ReviewDecided) -> None:
        if not repaired:
            raise RuntimeError("a bug, fixed by the next release")
        applied.append(attributes.id)

    event = review_event()
    attributes = new_attributes(event, source="/tests", subject=None)
    duplicates_before = consumed("review", topics.REVIEW_DECIDED, "duplicate")
    async with running_consumer(settings, topics.REVIEW_DECIDED, [ReviewDecided], handler):
        await publish_raw(bootstrap, topic, event.model_dump_json().encode(), attributes.to_headers(), b"child-1")
        await read_until(bootstrap, dlq_topic, lambda records: len(records) == 1)
        repaired = True

        env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "CME_TOPIC_PREFIX": settings.topic_prefix}
        listed = await _cme(env, "dlq", "list", "--json")
        [letter] = json.loads(listed)
        assert letter["reason"] == "processing failed 2 times: RuntimeError"
        assert letter["topic"] == topic
        assert letter["replayed"] == []
        plain = await _cme(env, "dlq", "list")
        assert event.recommendation not in plain and str(event.child_id) not in plain  # no payload printed

        await _cme(env, "dlq", "replay", letter["id"], "--by", "officer.tester")
        await eventually(lambda: asyncio.sleep(0, applied == [attributes.id]), what="the replay processed")
        # Replaying again republishes, and the inbox recognises the event: processed once.
        await replay(bootstrap, dlq_topic, [letter["id"]], by="officer.tester")
        await eventually(
            lambda: asyncio.sleep(0, consumed("review", topics.REVIEW_DECIDED, "duplicate") > duplicates_before),
            what="the second replay recognised as a duplicate",
        )

    assert applied == [attributes.id]
    [after] = await read_dead_letters(bootstrap, dlq_topic)
    assert [replay.by for replay in after.replays] == ["officer.tester", "officer.tester"]
    # --all skips what was already replayed.
    assert await replay(bootstrap, dlq_topic, None, by="officer.tester") == []


async def _cme(env: dict[str, str], *argv: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cme_cli",
        *argv,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()
