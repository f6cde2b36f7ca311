"""Issue 9: notify's cross-LA exchange on real PostgreSQL and real Kafka, over real HTTP.

The home authority is Worcestershire (885); Herefordshire (884) is a partner over the shared Kafka and Shropshire
(893) a partner over HTTPS (here a small real HTTP receiver on loopback). Messages from partners are signed with
their own keys, as a partner's notify would. Every person here is invented.
"""

import asyncio
import base64
import hashlib
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request, Response
from faststream.kafka import KafkaBroker
from sqlalchemy import MetaData

from cme_runtime.exchange_signing import (
    ENVELOPE_CONTENT_TYPE,
    RefusalReason,
    SigningKey,
    TrustRegistry,
    open_envelope,
    seal,
)
from cme_runtime.inbox import Inbox
from cme_runtime.messaging import Consumers
from cme_runtime.tables import inbox_table
from contracts import topics
from contracts.envelope import new_attributes
from contracts.events.case_v1 import AuthorityContactKind, CaseReferredToAuthority
from contracts.events.common_v1 import Address, Child, Destination, School
from contracts.events.referral_v1 import ReferralKind
from contracts.events.triage_v1 import Priority, Track, TriageDecided
from contracts.exchange.messages_v1 import (
    ReferralAcknowledged,
    ReferralSentToAuthority,
    TeamContact,
    exchange_topic,
)
from services.notify.app import build, create_app
from services.notify.entrypoints.exchange_http import MAX_BODY_BYTES, PATH
from services.notify.entrypoints.exchange_kafka import subscribe_exchange
from services.notify.entrypoints.exchange_sender import ExchangeSender
from services.notify.settings import NotifySettings
from tests.support.infrastructure import Infrastructure
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

HOME, KAFKA_PARTNER, HTTPS_PARTNER, STRANGER = "885", "884", "893", "919"
TOKEN = "internal-token-for-tests"
CHILD = Child(given_name="Invented", family_name="Exchangechild", date_of_birth=date(2014, 5, 6))
TEAM = TeamContact(team="Herefordshire CME team", email="cme@hereford.invalid")
SINCE = datetime.now(UTC) - timedelta(days=30)


def fresh_key(la_code: str) -> tuple[SigningKey, str]:
    raw = Ed25519PrivateKey.generate().private_bytes_raw()
    return SigningKey.from_private_bytes(la_code, raw), raw.hex()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Receiver:
    """A partner's HTTPS endpoint: answers with the scripted status codes in turn (then 202), keeps each body."""

    url: str
    answers: list[int] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    port = free_port()
    state = Receiver(f"http://127.0.0.1:{port}/exchange/v1/messages")
    app = FastAPI()

    @app.post("/exchange/v1/messages")
    async def take(request: Request) -> Response:
        state.bodies.append(await request.body())
        state.headers.append(dict(request.headers))
        return Response(status_code=state.answers.pop(0) if state.answers else 202)

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())

    async def started() -> bool | None:
        return server.started or None

    await eventually(started, timeout=10, what="the partner's receiver listening")
    yield state
    server.should_exit = True
    await task


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Authority:
    settings: NotifySettings
    home_key: SigningKey
    kafka_partner: SigningKey
    https_partner: SigningKey
    retired: SigningKey
    clock: Clock
    components: Any
    db: asyncpg.Connection

    def app(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(self.settings)), base_url="http://notify.test"
        )

    async def post(self, body: bytes, content_type: str = ENVELOPE_CONTENT_TYPE) -> httpx.Response:
        async with self.app() as client:
            return await client.post(PATH, content=body, headers={"Content-Type": content_type})

    async def outbox_count(self) -> int:
        return int(await self.db.fetchval("SELECT count(*) FROM outbox"))

    async def forwarded(self, submission_id: str) -> list[dict[str, Any]]:
        rows = await self.db.fetch(
            "SELECT payload FROM outbox WHERE type = 'cme.intake.la_enquiry.submitted.v1' "
            "AND payload->>'submission_id' = $1",
            submission_id,
        )
        return [json.loads(row["payload"]) for row in rows]

    async def row(self, message_id: UUID) -> Any:
        return await self.db.fetchrow("SELECT * FROM exchange_messages WHERE message_id = $1", message_id)

    async def refused_rows(self, digest_of: bytes) -> list[Any]:
        return await self.db.fetch(
            "SELECT * FROM exchange_messages WHERE digest = $1 AND status = 'refused'",
            hashlib.sha256(digest_of).hexdigest(),
        )

    async def statuses(self, message_id: UUID) -> list[dict[str, Any]]:
        rows = await self.db.fetch(
            "SELECT payload FROM outbox WHERE type = 'cme.notify.message.status_changed.v1' "
            "AND payload->>'message_id' = $1 ORDER BY seq",
            str(message_id),
        )
        return [json.loads(row["payload"]) for row in rows]

    async def owe_referral(self, to_la: str) -> UUID:
        decided = TriageDecided(
            decision_id=uuid4(),
            referral_id=uuid4(),
            child_id=uuid4(),
            decided_at=self.clock.now,
            is_cme=True,
            track=Track.CME_ENQUIRY,
            priority=Priority.P2,
            refer_to_authority=to_la,
            rules_version="test",
            kind=ReferralKind.LEAVER,
            child=CHILD,
            school=School(establishment_id="8852001"),
            destination=Destination(la_code=to_la, address=Address(line1="2 New Road")),
            referral_date=date(2026, 11, 27),
        )
        attributes = new_attributes(decided, source="/tests", subject=None)
        async with self.components.runtime.session_factory.begin() as session:
            await self.components.exchange.on_triage_decided(session, attributes, decided)
        message_id = await self.db.fetchval(
            "SELECT message_id FROM exchange_messages WHERE referral_id = $1 AND direction = 'sent'",
            decided.referral_id,
        )
        assert isinstance(message_id, UUID)
        return message_id

    def sender(self) -> ExchangeSender:
        return ExchangeSender(self.components.runtime.session_factory, self.components.exchange, clock=self.clock)

    def referral(self, **changes: Any) -> ReferralSentToAuthority:
        message = ReferralSentToAuthority(
            message_id=uuid4(),
            from_la=KAFKA_PARTNER,
            to_la=HOME,
            sent_at=datetime.now(UTC),
            sender_case_reference="HER-1",
            child=CHILD,
            believed_address=Address(line1="3 Our Lane"),
            reason="The family says they moved to Worcester",
            contact=TEAM,
        )
        return message.model_copy(update=changes)


def settings_for(infra: Infrastructure, receiver_url: str, run: str) -> tuple[NotifySettings, dict[str, SigningKey]]:
    home, home_hex = fresh_key(HOME)
    kafka_partner, _ = fresh_key(KAFKA_PARTNER)
    https_partner, _ = fresh_key(HTTPS_PARTNER)
    retired, _ = fresh_key(KAFKA_PARTNER)
    registry = {
        "authorities": {
            KAFKA_PARTNER: [
                {"public_key": kafka_partner.public_hex(), "valid_from": SINCE.isoformat()},
                {
                    "public_key": retired.public_hex(),
                    "valid_from": SINCE.isoformat(),
                    "retired_at": (SINCE + timedelta(days=1)).isoformat(),
                },
            ],
            HTTPS_PARTNER: [{"public_key": https_partner.public_hex(), "valid_from": SINCE.isoformat()}],
            HOME: [{"public_key": home.public_hex(), "valid_from": SINCE.isoformat()}],
        }
    }
    settings = NotifySettings(
        DATABASE_URL=infra.database_url,
        KAFKA_BOOTSTRAP_SERVERS=infra.kafka_bootstrap_servers,
        start_consumers=False,
        topic_prefix=f"t{run}.",
        exchange_topic_prefix=f"x{run}.",
        home_la_code=HOME,
        exchange_signing_key=home_hex,
        exchange_trust_registry=json.dumps(registry),
        exchange_partners={
            KAFKA_PARTNER: {"transport": "kafka"},
            HTTPS_PARTNER: {"transport": "https", "url": receiver_url},
        },
        internal_api_token=TOKEN,
        send_initial_wait_seconds=0.01,
        send_max_wait_seconds=0.05,
        exchange_max_attempts=3,
    )
    keys = {"home": home, "kafka": kafka_partner, "https": https_partner, "retired": retired}
    return settings, keys


@pytest.fixture
async def authority(
    migrated: Infrastructure, receiver: Receiver, db: dict[str, asyncpg.Connection]
) -> AsyncIterator[Authority]:
    run = uuid4().hex[:10]
    settings, keys = settings_for(migrated, receiver.url, run)
    clock = Clock()
    components = build(settings, clock=clock)
    yield Authority(
        settings, keys["home"], keys["kafka"], keys["https"], keys["retired"], clock, components, db["notify"]
    )
    await components.exchange.transport.close()
    await components.runtime.engine.dispose()


def tampered(document: dict[str, Any]) -> bytes:
    cloud_event = json.loads(base64.b64decode(document["payload"]))
    cloud_event["data"]["reason"] = "Something else entirely"
    return json.dumps({**document, "payload": base64.b64encode(json.dumps(cloud_event).encode()).decode()}).encode()


# -- Receiving over HTTPS -------------------------------------------------------------------------------------------


async def test_an_accepted_referral_over_https_is_forwarded_once_and_owes_one_receipt(
    authority: Authority, capsys: pytest.CaptureFixture[str]
) -> None:
    message = authority.referral()

    response = await authority.post(json.dumps(seal(message, authority.kafka_partner)).encode())

    assert response.status_code == 202
    assert response.json() == {"message_id": str(message.message_id), "outcome": "accepted"}
    [forwarded] = await authority.forwarded(f"exchange-{message.message_id}")
    assert forwarded["enquiring_authority"]["local_authority_code"] == KAFKA_PARTNER
    assert forwarded["child"]["family_name"] == "Exchangechild"
    row = await authority.row(message.message_id)
    assert (row["status"], row["transport"], row["counterpart_la"]) == ("accepted", "https", KAFKA_PARTNER)
    receipts = await authority.db.fetch(
        "SELECT * FROM exchange_messages WHERE in_reply_to = $1 AND type = 'cme.exchange.receipt.v1'",
        message.message_id,
    )
    assert [(each["status"], each["counterpart_la"], each["transport"]) for each in receipts] == [
        ("pending", KAFKA_PARTNER, "kafka")
    ]
    logged = capsys.readouterr()
    assert "Exchangechild" not in logged.out + logged.err and "3 Our Lane" not in logged.out + logged.err


@pytest.mark.parametrize(
    ("case", "status", "reason"),
    [
        ("tampered", 403, RefusalReason.BAD_SIGNATURE.value),
        ("wrong key", 403, RefusalReason.UNKNOWN_KEY.value),
        ("retired key", 403, RefusalReason.RETIRED_KEY.value),
        ("unknown authority", 403, RefusalReason.UNKNOWN_AUTHORITY.value),
        ("not an envelope", 400, RefusalReason.NOT_AN_ENVELOPE.value),
        ("not for us", 421, RefusalReason.NOT_FOR_US.value),
    ],
)
async def test_a_message_that_cannot_be_trusted_is_refused_recorded_and_changes_nothing(
    authority: Authority, case: str, status: int, reason: str
) -> None:
    message = authority.referral()
    body = {
        "tampered": lambda: tampered(seal(message, authority.kafka_partner)),
        "wrong key": lambda: json.dumps(seal(message, SigningKey.generate(KAFKA_PARTNER))).encode(),
        "retired key": lambda: json.dumps(seal(message, authority.retired)).encode(),
        "unknown authority": lambda: json.dumps(
            seal(authority.referral(from_la=STRANGER), SigningKey.generate(STRANGER))
        ).encode(),
        "not an envelope": lambda: json.dumps({"hello": str(message.message_id)}).encode(),
        "not for us": lambda: json.dumps(seal(authority.referral(to_la="893"), authority.kafka_partner)).encode(),
    }[case]()
    outbox_before = await authority.outbox_count()

    response = await authority.post(body)

    assert (response.status_code, response.json()) == (status, {"outcome": "refused", "reason": reason})
    [row] = await authority.refused_rows(body)
    assert (row["refusal_reason"], row["direction"], row["transport"]) == (reason, "received", "https")
    assert await authority.outbox_count() == outbox_before
    assert await authority.forwarded(f"exchange-{message.message_id}") == []
    assert await authority.row(message.message_id) is None


async def test_a_replayed_message_is_refused_409_and_changes_nothing(authority: Authority) -> None:
    message = authority.referral()
    body = json.dumps(seal(message, authority.kafka_partner)).encode()
    assert (await authority.post(body)).status_code == 202
    outbox_before = await authority.outbox_count()
    sent_before = await authority.db.fetchval("SELECT count(*) FROM exchange_messages WHERE direction = 'sent'")

    again = await authority.post(body)

    assert (again.status_code, again.json()["reason"]) == (409, RefusalReason.REPLAYED.value)
    assert await authority.outbox_count() == outbox_before
    assert len(await authority.forwarded(f"exchange-{message.message_id}")) == 1
    assert await authority.db.fetchval("SELECT count(*) FROM exchange_messages WHERE direction = 'sent'") == sent_before
    [refused] = await authority.refused_rows(body)
    assert refused["claimed_message_id"] == message.message_id


async def test_an_oversized_body_and_a_wrong_content_type_are_refused_before_reading(authority: Authority) -> None:
    outbox_before = await authority.outbox_count()
    refused_before = await authority.db.fetchval("SELECT count(*) FROM exchange_messages WHERE status = 'refused'")

    too_large = await authority.post(b"{" + b" " * MAX_BODY_BYTES + b"}")
    wrong_type = await authority.post(
        json.dumps(seal(authority.referral(), authority.kafka_partner)).encode(), content_type="text/plain"
    )

    assert too_large.status_code == 413 and too_large.json()["outcome"] == "refused"
    assert wrong_type.status_code == 415 and wrong_type.json()["outcome"] == "refused"
    assert await authority.outbox_count() == outbox_before
    reasons = await authority.db.fetch(
        "SELECT refusal_reason FROM exchange_messages WHERE status = 'refused' ORDER BY recorded_at DESC LIMIT 2"
    )
    assert {each["refusal_reason"] for each in reasons} == {too_large.json()["reason"], wrong_type.json()["reason"]}
    assert (
        await authority.db.fetchval("SELECT count(*) FROM exchange_messages WHERE status = 'refused'")
        == refused_before + 2
    )


# -- Receiving over Kafka -------------------------------------------------------------------------------------------


async def test_an_accepted_referral_over_kafka_is_forwarded_and_a_tampered_one_dead_lettered(
    authority: Authority,
) -> None:
    settings = authority.settings
    broker = KafkaBroker(settings.kafka_bootstrap_servers)
    consumers = Consumers(
        settings,
        broker,
        authority.components.runtime.session_factory,
        Inbox(inbox_table(MetaData()), consumer=settings.consumer_group),
    )
    subscribe_exchange(consumers, settings, authority.components.runtime.session_factory, authority.components.exchange)
    good, bad = authority.referral(), authority.referral()
    topic = settings.exchange_topic_prefix + exchange_topic(HOME)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    await broker.start()
    try:
        await producer.send_and_wait(topic, json.dumps(seal(good, authority.kafka_partner)).encode(), key=b"885")
        await producer.send_and_wait(topic, tampered(seal(bad, authority.kafka_partner)), key=b"885")

        async def forwarded() -> list[dict[str, Any]] | None:
            return await authority.forwarded(f"exchange-{good.message_id}") or None

        [submission] = await eventually(forwarded, timeout=60, what="the referral forwarded to intake")
        assert submission["submission_id"] == f"exchange-{good.message_id}"

        async def refused() -> Any:
            return await authority.db.fetchrow(
                "SELECT * FROM exchange_messages WHERE claimed_message_id = $1", bad.message_id
            )

        row = await eventually(refused, timeout=60, what="the tampered message recorded")
        assert (row["refusal_reason"], row["transport"]) == (RefusalReason.BAD_SIGNATURE.value, "kafka")
    finally:
        await broker.stop()
        await producer.stop()
    assert (await authority.row(good.message_id))["transport"] == "kafka"
    receipts = await authority.db.fetch(
        "SELECT status FROM exchange_messages WHERE in_reply_to = $1 AND type = 'cme.exchange.receipt.v1'",
        good.message_id,
    )
    assert [each["status"] for each in receipts] == ["pending"]  # one receipt owed, waiting for the sender
    assert await authority.forwarded(f"exchange-{bad.message_id}") == []
    dead = AIOKafkaConsumer(
        settings.topic(topics.DEAD_LETTER),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await dead.start()
    try:
        records = await dead.getmany(timeout_ms=10_000)
        headers = [dict(record.headers) for batch in records.values() for record in batch]
    finally:
        await dead.stop()
    assert [each[b"dlq_reason" if b"dlq_reason" in each else "dlq_reason"] for each in headers] == [
        RefusalReason.BAD_SIGNATURE.value.encode()
    ]


# -- Sending --------------------------------------------------------------------------------------------------------


async def test_a_referral_is_delivered_to_the_partners_kafka_topic(authority: Authority) -> None:
    message_id = await authority.owe_referral(KAFKA_PARTNER)
    topic = authority.settings.exchange_topic_prefix + exchange_topic(KAFKA_PARTNER)

    assert await authority.sender().run_once() >= 1

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=authority.settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=10_000)
    finally:
        await consumer.stop()
    # Receipts owed by earlier tests in this database go to the same partner's topic: pick this message by id.
    [record] = [
        record
        for batch in batches.values()
        for record in batch
        if dict(record.headers).get("ce_id") == str(message_id).encode()
    ]
    assert record.key == KAFKA_PARTNER.encode()
    headers = dict(record.headers)
    assert headers["content-type"] == ENVELOPE_CONTENT_TYPE.encode()
    assert headers["ce_id"] == str(message_id).encode()
    registry = TrustRegistry([authority.home_key.trusted(SINCE)])
    opened = open_envelope(record.value, registry, receiver_la=KAFKA_PARTNER, now=datetime.now(UTC))
    assert opened.message.message_id == message_id
    row = await authority.row(message_id)
    assert (row["status"], row["attempts"]) == ("sent", 1) and row["ack_due_on"] is not None
    assert [each["status"] for each in await authority.statuses(message_id)] == ["pending", "sent"]


async def test_a_500_then_202_over_https_is_retried_into_one_delivery(authority: Authority, receiver: Receiver) -> None:
    message_id = await authority.owe_referral(HTTPS_PARTNER)
    receiver.answers[:] = [500]

    await authority.sender().run_once()

    assert len(receiver.bodies) == 2 and receiver.bodies[0] == receiver.bodies[1]
    assert receiver.headers[-1]["content-type"] == ENVELOPE_CONTENT_TYPE
    assert receiver.headers[-1]["ce-id"] == str(message_id)
    assert (await authority.row(message_id))["status"] == "sent"
    assert [each["status"] for each in await authority.statuses(message_id)] == ["pending", "sent"]


async def test_a_400_over_https_fails_permanently_for_an_officer(authority: Authority, receiver: Receiver) -> None:
    message_id = await authority.owe_referral(HTTPS_PARTNER)
    receiver.answers[:] = [400]

    await authority.sender().run_once()

    assert len(receiver.bodies) == 1
    row = await authority.row(message_id)
    assert (row["status"], row["failure_reason"]) == ("failed", "rejected")
    last = (await authority.statuses(message_id))[-1]
    assert (last["status"], last["failed"], last["channel"], last["counterpart_la"]) == (
        "failed",
        True,
        "exchange",
        HTTPS_PARTNER,
    )


async def test_an_unacknowledged_referral_is_chased_then_marked_unacknowledged(
    authority: Authority, receiver: Receiver
) -> None:
    message_id = await authority.owe_referral(HTTPS_PARTNER)
    sender = authority.sender()
    await sender.run_once()
    due = (await authority.row(message_id))["ack_due_on"]

    authority.clock.now = datetime.combine(due + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=12)
    first = await sender.run_due()
    await sender.run_once()  # the chase goes out

    assert first.chased >= 1  # referrals earlier tests left in this database may be due as well
    chase = await authority.db.fetchrow("SELECT * FROM exchange_messages WHERE correlates_to = $1", message_id)
    assert chase["status"] == "sent" and (await authority.row(message_id))["status"] == "chased"
    assert [each["ce-id"] for each in receiver.headers].count(str(chase["message_id"])) == 1

    authority.clock.now = datetime.combine(chase["ack_due_on"] + timedelta(days=1), datetime.min.time(), UTC)
    late = await sender.run_due()

    assert late.unacknowledged >= 1
    assert (await authority.row(message_id))["status"] == "unacknowledged"
    last = (await authority.statuses(message_id))[-1]
    assert (last["status"], last["failed"]) == ("unacknowledged", True)


async def test_an_acknowledgement_correlates_and_publishes_acknowledged(
    authority: Authority, receiver: Receiver
) -> None:
    message_id = await authority.owe_referral(HTTPS_PARTNER)
    await authority.sender().run_once()
    ack = ReferralAcknowledged(
        message_id=uuid4(),
        from_la=HTTPS_PARTNER,
        to_la=HOME,
        sent_at=datetime.now(UTC),
        acknowledges=message_id,
        receiver_case_reference="SHR-0042",
        contact=TEAM,
    )

    response = await authority.post(json.dumps(seal(ack, authority.https_partner)).encode())

    assert response.status_code == 202
    row = await authority.row(message_id)
    assert (row["status"], row["receiver_reference"]) == ("acknowledged", "SHR-0042")
    last = (await authority.statuses(message_id))[-1]
    assert (last["status"], last["detail"], last["direction"]) == ("acknowledged", "SHR-0042", "sent")


# -- The lead officer's view ----------------------------------------------------------------------------------------


async def test_the_traffic_api_lists_refusals_to_the_service_token_only(authority: Authority) -> None:
    await authority.post(b'{"not": "an envelope"}')

    async with authority.app() as client:
        anonymous = await client.get("/internal/v1/exchange/traffic")
        listed = await client.get(
            "/internal/v1/exchange/traffic",
            params={"direction": "received", "outcome": "refused", "limit": 5},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )

    assert anonymous.status_code == 401
    messages = listed.json()["messages"]
    assert messages[0]["refusal_reason"] == RefusalReason.NOT_AN_ENVELOPE.value
    assert set(messages[0]) == {
        "message_id",
        "direction",
        "counterpart_la",
        "type",
        "status",
        "detail",
        "refusal_reason",
        "at",
        "case_id",
        "transport",
    }
    assert all(each["status"] == "refused" and each["direction"] == "received" for each in messages)


async def test_a_cases_exchange_messages_are_listed_for_its_page(authority: Authority) -> None:
    referred = CaseReferredToAuthority(
        case_id=uuid4(),
        child_id=uuid4(),
        referred_at=datetime.now(UTC),
        officer_id="officer-1",
        to_la=HTTPS_PARTNER,
        kind=AuthorityContactKind.ENQUIRY,
        child=CHILD,
        reason="Moved, the school says",
    )
    async with authority.components.runtime.session_factory.begin() as session:
        await authority.components.exchange.on_case_referred(
            session, new_attributes(referred, source="/tests", subject=None), referred
        )

    async with authority.app() as client:
        listed = await client.get(
            f"/internal/v1/exchange/cases/{referred.case_id}", headers={"Authorization": f"Bearer {TOKEN}"}
        )

    [message] = listed.json()["messages"]
    assert (message["case_id"], message["type"], message["status"], message["counterpart_la"]) == (
        str(referred.case_id),
        "cme.exchange.enquiry.v1",
        "pending",
        HTTPS_PARTNER,
    )
    assert "Exchangechild" not in listed.text
