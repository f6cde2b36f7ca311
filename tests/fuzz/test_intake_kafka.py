"""Every submission contract over Kafka, fuzzed through the same consumer code the broker feeds
(`Consumers._process` via FastStream's in-memory broker) against the real PostgreSQL.

The Kafka counterpart of a 5xx is a message that fails processing (retried as if transient, then dead-lettered
as "processing failed"): that must never happen. A malformed message is dead-lettered with its reason, or
rejected with a `cme.intake.rejected.v1` naming each problem's field; nothing is half-stored.
"""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from hypothesis import given
from hypothesis import strategies as st

from contracts import topics
from contracts.events.intake_v1 import SUBMISSION_TYPES, CtfFileSubmitted, Submission
from services.intake.app import build
from services.intake.settings import IntakeSettings
from tests.fuzz.conftest import FUZZ
from tests.fuzz.strategies import RAW_BODIES, from_schema, latest_schema, mutated, with_fresh_id
from tests.support.infrastructure import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.fuzz]
CTF_SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "ctf" / "ctf_3_valid.xml"


@dataclass
class KafkaIntake:
    settings: IntakeSettings
    broker: TestKafkaBroker
    dead_letters: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
async def kafka_intake(migrated: Infrastructure) -> AsyncIterator[KafkaIntake]:
    settings = IntakeSettings(
        DATABASE_URL=migrated.database_url,
        KAFKA_BOOTSTRAP_SERVERS=migrated.kafka_bootstrap_servers,
        topic_prefix=f"fuzz{uuid4().hex[:6]}.",
        processing_attempts=1,
    )
    components = build(settings)
    broker = components.runtime.broker
    dead_letters: dict[str, str] = {}

    async def undecoded(message: StreamMessage[Any]) -> bytes:
        return message.body

    @broker.subscriber(settings.topic(topics.DEAD_LETTER), decoder=undecoded)
    async def collect(body: bytes, message: KafkaMessage) -> None:
        headers = message.headers
        dead_letters[str(headers.get("ce_id", ""))] = str(headers.get("dlq_reason", ""))

    try:
        async with TestKafkaBroker(broker) as test_broker:
            yield KafkaIntake(settings, test_broker, dead_letters)
    finally:
        await components.runtime.engine.dispose()


@cache
def _payloads(model: type[Submission]) -> st.SearchStrategy[Any]:
    valid = from_schema(latest_schema(model.event_type))
    if model is CtfFileSubmitted:
        # A real CTF as the content too, so the pupils' path is fuzzed, not only the parser's refusals.
        sample = CTF_SAMPLE.read_text(encoding="utf-8")
        valid = valid | valid.map(lambda payload: {**payload, "content": sample})
    return st.one_of(valid, mutated(valid))


def _headers(model: type[Submission]) -> dict[str, str]:
    return {
        "ce_specversion": "1.0",
        "ce_id": str(uuid4()),
        "ce_source": "/fuzz",
        "ce_type": model.event_type,
        "ce_time": datetime.now(UTC).isoformat(),
        "content-type": "application/json",
    }


async def _publish(intake: KafkaIntake, model: type[Submission], value: bytes) -> str:
    headers = _headers(model)
    await intake.broker.publish(value, intake.settings.topic(model.topic), headers=headers)
    return headers["ce_id"]


async def _assert_outcome(
    intake: KafkaIntake, rows: asyncpg.Connection, event_id: str, payload: Any, model: type[Submission]
) -> None:
    reason = intake.dead_letters.get(event_id)
    if reason is not None:
        assert reason, "dead-lettered without a reason"
        assert not reason.startswith("processing failed"), f"{reason} for {payload!r:.500}"
        return
    submission_id = payload.get("submission_id") if isinstance(payload, dict) else None
    assert isinstance(submission_id, str), f"not dead-lettered, yet no submission id: {payload!r:.300}"
    status = await rows.fetchval("SELECT status FROM submissions WHERE submission_id = $1", submission_id)
    assert status in ("accepted", "rejected"), status
    referrals = await rows.fetchval("SELECT count(*) FROM referrals WHERE submission_id = $1", submission_id)
    if model is not CtfFileSubmitted:
        assert referrals == (1 if status == "accepted" else 0)
    if status == "rejected":
        payloads = await rows.fetch(
            "SELECT payload FROM outbox WHERE type = 'cme.intake.rejected.v1' AND subject = $1", submission_id
        )
        assert payloads, "rejected without a cme.intake.rejected.v1"
        for problem in json.loads(payloads[0]["payload"])["problems"]:
            assert problem["field"] and problem["message"], problem


@pytest.mark.parametrize("model", SUBMISSION_TYPES, ids=lambda model: model.event_type)
@given(data=st.data())
@FUZZ
async def test_no_submission_message_fails_processing_or_is_half_stored(
    model: type[Submission], data: st.DataObject, kafka_intake: KafkaIntake, intake_rows: asyncpg.Connection
) -> None:
    payload = with_fresh_id(data.draw(_payloads(model), label="payload"))
    try:
        value = json.dumps(payload).encode("utf-8", errors="surrogatepass")
    except ValueError:  # NaN in a float: JSON has no such value, so send what a sloppy producer would
        value = json.dumps(payload, allow_nan=True).encode()
    event_id = await _publish(kafka_intake, model, value)
    await _assert_outcome(kafka_intake, intake_rows, event_id, payload, model)


@given(body=RAW_BODIES)
@FUZZ
async def test_messages_that_are_not_json_are_dead_lettered_with_the_reason(
    body: bytes, kafka_intake: KafkaIntake
) -> None:
    event_id = await _publish(kafka_intake, SUBMISSION_TYPES[0], body)
    reason = kafka_intake.dead_letters.get(event_id)
    if reason is None:  # a body that happens to be a readable submission: covered by the test above
        return
    assert reason
    assert not reason.startswith("processing failed"), reason
