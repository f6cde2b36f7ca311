"""The partner-authority stand-in that `cme up` runs as LA 886, over real HTTP: it refuses what a partner must
refuse, and answers an accepted referral with a signed receipt and acknowledgement that the home authority's own
checks accept. Every person here is invented."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cme_runtime.exchange_signing import ENVELOPE_CONTENT_TYPE, SigningKey, TrustRegistry, open_envelope, seal
from contracts.events.common_v1 import Child
from contracts.exchange.messages_v1 import (
    MessageReceived,
    ReferralAcknowledged,
    ReferralSentToAuthority,
    TeamContact,
)
from stand_ins.partner_authority.app import PartnerSettings, create_app
from tests.support.suite import free_port

HOME, PARTNER = SigningKey.generate("885"), SigningKey.generate("886")
SINCE = datetime.now(UTC) - timedelta(days=1)
REGISTRY = TrustRegistry([HOME.trusted(SINCE), PARTNER.trusted(SINCE)])
HEADERS = {"Content-Type": ENVELOPE_CONTENT_TYPE}


def referral(**changes: Any) -> ReferralSentToAuthority:
    fields: dict[str, Any] = {
        "message_id": uuid4(),
        "from_la": "885",
        "to_la": "886",
        "sent_at": datetime.now(UTC),
        "sender_case_reference": "CME-0001",
        "child": Child(given_name="Ivy", family_name="Exampleton", date_of_birth=date(2015, 5, 17)),
        "reason": "The family told the school they were moving to the partner's area",
        "contact": TeamContact(team="CME team", email="cme@home.example.invalid"),
    }
    return ReferralSentToAuthority(**(fields | changes))


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_the_partner_refuses_what_it_must_and_answers_a_referral_with_a_receipt_and_an_acknowledgement() -> None:
    replies: list[bytes] = []

    async def home_webhook(request: Request) -> Response:
        replies.append(await request.body())
        return Response(status_code=202)

    home = Starlette(routes=[Route("/exchange/v1/messages", home_webhook, methods=["POST"])])
    async with serving(home) as home_url:
        partner = create_app(
            PartnerSettings(
                key=PARTNER,
                registry=REGISTRY,
                reply_urls={"885": f"{home_url}/exchange/v1/messages"},
                reply_delay_seconds=0.0,
            )
        )
        async with serving(partner) as partner_url, httpx.AsyncClient(base_url=partner_url) as client:
            sent = referral()
            envelope = seal(sent, HOME)
            tampered = json.loads(json.dumps(envelope))
            tampered["payload"] = seal(referral(message_id=sent.message_id, reason="altered"), HOME)["payload"]
            stranger = seal(referral(), SigningKey.generate("885"))
            elsewhere = seal(referral(to_la="887"), HOME)

            accepted = await client.post("/exchange/v1/messages", content=json.dumps(envelope), headers=HEADERS)
            replayed = await client.post("/exchange/v1/messages", content=json.dumps(envelope), headers=HEADERS)
            refused = [
                (await client.post("/exchange/v1/messages", content=json.dumps(each), headers=HEADERS)).status_code
                for each in (tampered, stranger, elsewhere)
            ]
            not_json = await client.post(
                "/exchange/v1/messages", content=b"<xml/>", headers={"Content-Type": "application/xml"}
            )
            for _ in range(200):
                if len(replies) == 2:
                    break
                await asyncio.sleep(0.05)

    assert (accepted.status_code, replayed.status_code, not_json.status_code) == (202, 409, 415)
    assert refused == [403, 403, 421]
    answers = [open_envelope(body, REGISTRY, receiver_la="885", now=datetime.now(UTC)).message for body in replies]
    receipt, acknowledgement = answers
    assert isinstance(receipt, MessageReceived) and receipt.receipt_for == sent.message_id
    assert isinstance(acknowledgement, ReferralAcknowledged) and acknowledgement.acknowledges == sent.message_id
