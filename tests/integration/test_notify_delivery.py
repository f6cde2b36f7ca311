"""Notify's sender against the GOV.UK Notify stand-in over real HTTP (the official client), on real PostgreSQL.

Each test records one owed message through notify's real use case and delivery log, scripts the stand-in's
answers, runs the sender and checks what Notify received and what the delivery log and outbox say.
Every person here is invented.
"""

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from contracts.envelope import new_attributes
from contracts.events.case_v1 import CaseOpened
from contracts.events.common_v1 import Child, Safeguarding, SocialWorker
from contracts.events.triage_v1 import Priority, Track
from services.notify.adapters.delivery_log import SqlDeliveryLog
from services.notify.adapters.gov_notify import GovNotifyChannel
from services.notify.adapters.tables import delivery_log, outbox
from services.notify.app import build
from services.notify.entrypoints import http
from services.notify.entrypoints.sender import Sender
from services.notify.service_layer.delivery import DeliveryService, RetryPolicy
from services.notify.settings import DEVELOPMENT_TEMPLATES, NotifySettings
from stand_ins.gov_notify.app import DEVELOPMENT_API_KEY, StandInSettings, create_app
from stand_ins.gov_notify.templates import TEMPLATES
from tests.support.infrastructure import Infrastructure
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

SOCIAL_WORKER = SocialWorker(name="Sam Worker", email="sam.worker@example.org")
CALLBACK_TOKEN = "callback-token-for-tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class StandIn:
    url: str

    async def script(self, *answers: str) -> None:
        async with httpx.AsyncClient() as client:
            (await client.post(f"{self.url}/_stand_in/script", json={"next": list(answers)})).raise_for_status()

    async def sent(self) -> dict[str, Any]:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{self.url}/_stand_in/sent")
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            return body


@pytest.fixture
async def stand_in() -> AsyncIterator[StandIn]:
    port = free_port()
    app = create_app(StandInSettings(api_key=DEVELOPMENT_API_KEY, hang_seconds=3))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())

    async def started() -> bool | None:
        return server.started or None

    await eventually(started, timeout=10, what="the stand-in listening")
    yield StandIn(f"http://127.0.0.1:{port}")
    server.should_exit = True
    await task


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Notify:
    settings: NotifySettings
    components: Any
    clock: Clock
    waits: list[float]

    def sender(self, stand_in: StandIn, max_attempts: int = 4) -> Sender:
        runtime = self.components.runtime
        delivery = DeliveryService(
            runtime.outbox,
            SqlDeliveryLog(),
            GovNotifyChannel(DEVELOPMENT_API_KEY, stand_in.url, timeout_seconds=10),
            self.clock,
            retry=RetryPolicy(
                max_attempts=max_attempts, initial_wait_seconds=0.05, max_wait_seconds=1, jitter_seconds=0.05
            ),
            lease=timedelta(seconds=60),
            sleep=self._sleep,
        )
        return Sender(runtime.session_factory, delivery)

    async def _sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(seconds)

    async def owe_social_worker_a_message(self) -> UUID:
        """A CiN child's case opens: the named social worker is owed one email."""
        opened = CaseOpened(
            case_id=uuid4(),
            child_id=uuid4(),
            referral_id=uuid4(),
            opened_at=self.clock.now,
            priority=Priority.P1,
            track=Track.CME_ENQUIRY,
            due_date=date(2026, 12, 30),
            child=Child(given_name="Ada", family_name="Testperson", date_of_birth=date(2014, 5, 10)),
            safeguarding=Safeguarding(child_in_need=True, social_worker=SOCIAL_WORKER),
        )
        attributes = new_attributes(opened, source="/casework", subject=str(opened.case_id), time=self.clock.now)
        async with self.components.runtime.session_factory.begin() as session:
            await self.components.service.on_case_opened(session, attributes, opened)
            return UUID(
                str(
                    (
                        await session.execute(
                            select(delivery_log.c.message_id).where(delivery_log.c.case_id == opened.case_id)
                        )
                    ).scalar_one()
                )
            )

    async def row(self, message_id: UUID) -> Any:
        async with self.components.runtime.session_factory() as session:
            return (await session.execute(select(delivery_log).where(delivery_log.c.message_id == message_id))).one()

    async def status_events(self, message_id: UUID) -> list[dict[str, Any]]:
        async with self.components.runtime.session_factory() as session:
            rows = await session.execute(
                select(outbox.c.payload)
                .where(outbox.c.type == "cme.notify.message.status_changed.v1")
                .order_by(outbox.c.seq)
            )
            return [payload for (payload,) in rows if payload["message_id"] == str(message_id)]


@pytest.fixture
async def notify(migrated: Infrastructure) -> AsyncIterator[Notify]:
    settings = NotifySettings(DATABASE_URL=migrated.database_url, start_consumers=False)
    clock = Clock()
    components = build(settings, clock=clock)
    yield Notify(settings, components, clock, [])
    await components.runtime.engine.dispose()


async def test_the_stand_in_knows_every_template_notify_is_configured_with() -> None:
    assert set(DEVELOPMENT_TEMPLATES.values()) <= set(TEMPLATES)
    for key, template_id in DEVELOPMENT_TEMPLATES.items():
        assert TEMPLATES[template_id].type == key.split(":")[1]


async def test_a_case_opening_for_a_cin_child_sends_one_email_to_the_social_worker(
    notify: Notify, stand_in: StandIn
) -> None:
    message_id = await notify.owe_social_worker_a_message()

    assert await notify.sender(stand_in).run_once() >= 1

    [sent] = [each for each in (await stand_in.sent())["notifications"] if each["reference"] == str(message_id)]
    assert sent["email_address"] == "sam.worker@example.org"
    assert sent["template"]["id"] == DEVELOPMENT_TEMPLATES["social_worker_case_opened:email"]
    assert sent["personalisation"]["social_worker_name"] == "Sam Worker"
    # The social worker knows the child by the case reference: the child's name is not sent.
    assert "Ada" not in str(sent) and "Testperson" not in str(sent)
    row = await notify.row(message_id)
    assert (row.status, row.notify_id, row.attempts) == ("created", sent["id"], 1)
    assert [event["status"] for event in await notify.status_events(message_id)] == ["pending", "created"]


async def test_a_500_then_success_delivers_one_message_after_a_retry(notify: Notify, stand_in: StandIn) -> None:
    message_id = await notify.owe_social_worker_a_message()
    await stand_in.script("500")

    await notify.sender(stand_in).run_once()

    sent = await stand_in.sent()
    assert [each["reference"] for each in sent["notifications"]] == [str(message_id)]
    assert len(notify.waits) == 1  # one backoff between the failed try and the one that worked
    row = await notify.row(message_id)
    assert row.status == "created"
    assert row.notify_id == sent["notifications"][0]["id"]


async def test_a_400_fails_at_once_and_is_published_as_a_failure_for_the_officer(
    notify: Notify, stand_in: StandIn
) -> None:
    message_id = await notify.owe_social_worker_a_message()
    await stand_in.script("400")

    await notify.sender(stand_in).run_once()

    sent = await stand_in.sent()
    assert sent["requests"] == 1 and sent["notifications"] == []
    assert notify.waits == []
    row = await notify.row(message_id)
    assert (row.status, row.failure_reason, row.notify_id) == ("permanent-failure", "rejected", None)
    last = (await notify.status_events(message_id))[-1]
    assert (last["status"], last["failed"], last["reason"]) == ("permanent-failure", True, "rejected")


async def test_429s_back_off_exponentially_then_deliver(notify: Notify, stand_in: StandIn) -> None:
    message_id = await notify.owe_social_worker_a_message()
    await stand_in.script("429", "429")

    await notify.sender(stand_in).run_once()

    assert len(notify.waits) == 2
    assert notify.waits[1] > notify.waits[0] > 0
    assert (await notify.row(message_id)).status == "created"
    assert len((await stand_in.sent())["notifications"]) == 1


async def test_temporary_failures_past_the_maximum_attempts_fail_the_message(notify: Notify, stand_in: StandIn) -> None:
    message_id = await notify.owe_social_worker_a_message()
    await stand_in.script("500", "500", "500", "500", "500")

    await notify.sender(stand_in, max_attempts=3).run_once()

    assert (await stand_in.sent())["requests"] == 3
    row = await notify.row(message_id)
    assert (row.status, row.failure_reason) == ("technical-failure", "retries_exhausted")
    assert (await notify.status_events(message_id))[-1]["failed"] is True


async def test_an_answer_lost_after_notify_accepted_the_message_is_not_sent_twice(
    notify: Notify, stand_in: StandIn
) -> None:
    message_id = await notify.owe_social_worker_a_message()
    await stand_in.script("lost")  # Notify records the notification; its 201 never reaches us (here: a 500)

    await notify.sender(stand_in).run_once()

    sent = await stand_in.sent()
    assert sent["requests"] == 1
    assert [each["reference"] for each in sent["notifications"]] == [str(message_id)]
    assert (await notify.row(message_id)).notify_id == sent["notifications"][0]["id"]


async def test_a_sender_killed_mid_send_and_restarted_sends_nothing_twice(notify: Notify, stand_in: StandIn) -> None:
    message_id = await notify.owe_social_worker_a_message()
    await stand_in.script("hang")  # Notify records the notification and is slow to answer

    first = asyncio.create_task(notify.sender(stand_in).run_once())

    async def recorded() -> list[Any] | None:
        return (await stand_in.sent())["notifications"] or None

    await eventually(recorded, timeout=10, what="Notify recording the notification")
    first.cancel()  # the process dies mid-send: the claim stays, leased, with one attempt counted
    with pytest.raises(asyncio.CancelledError):
        await first
    row = await notify.row(message_id)
    assert (row.status, row.attempts) == ("pending", 1)

    notify.clock.now += timedelta(minutes=2)  # the dead sender's lease has run out
    assert await notify.sender(stand_in).run_once() >= 1

    sent = await stand_in.sent()
    assert sent["requests"] == 1
    assert [each["reference"] for each in sent["notifications"]] == [str(message_id)]
    row = await notify.row(message_id)
    assert (row.attempts, row.notify_id) == (2, sent["notifications"][0]["id"])
    # Adopted with whatever status Notify had reached by then (the stand-in moves on to "delivered" by itself).
    assert row.status in {"created", "sending", "delivered"}


async def test_delivery_receipts_move_the_status_on_and_need_the_bearer_token(
    notify: Notify, stand_in: StandIn
) -> None:
    from fastapi import FastAPI  # noqa: PLC0415

    message_id = await notify.owe_social_worker_a_message()
    sender = notify.sender(stand_in)
    await sender.run_once()
    notify_id = (await notify.row(message_id)).notify_id
    app = FastAPI()
    http.add_routes(app, notify.components.runtime.session_factory, sender.delivery, CALLBACK_TOKEN)
    receipt = {
        "id": notify_id,
        "reference": str(message_id),
        "to": "sam.worker@example.org",
        "status": "permanent-failure",
        "created_at": "2026-12-03T10:00:00Z",
        "completed_at": "2026-12-03T10:00:05Z",
        "sent_at": "2026-12-03T10:00:01Z",
        "notification_type": "email",
    }
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify") as client:
        refused = await client.post(http.CALLBACK_PATH, json=receipt, headers={"Authorization": "Bearer wrong"})
        assert refused.status_code == 401
        assert (await notify.row(message_id)).status == "created"

        taken = await client.post(
            http.CALLBACK_PATH, json=receipt, headers={"Authorization": f"Bearer {CALLBACK_TOKEN}"}
        )
        assert taken.status_code == 204
        late = await client.post(
            http.CALLBACK_PATH,
            json={**receipt, "status": "delivered"},
            headers={"Authorization": f"Bearer {CALLBACK_TOKEN}"},
        )
        assert late.status_code == 204

    row = await notify.row(message_id)
    assert (row.status, row.failure_reason) == ("permanent-failure", "provider")  # final: the late receipt ignored
    last = (await notify.status_events(message_id))[-1]
    assert (last["status"], last["failed"], last["reason"]) == ("permanent-failure", True, "provider")
