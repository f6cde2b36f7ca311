"""The officers' side of the cross-LA exchange (issue 9), in casework's app in-process on real PostgreSQL (consumers
off): "Tell or ask another authority" publishes the referral through the outbox with the child's details, timelines
it by LA code only, audits it and lists it under Messages as pending; notify's status reports update that row (the
newest status wins, in any order) and raise the exchange's tasks; the Exchange page shows notify's traffic from a
real HTTP server, and says so (503) when notify does not answer.

Each test makes its own users (in a team of their own) and cases, and asserts only on those.
"""

import json
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from contracts.envelope import CloudEventAttributes
from contracts.events.notify_v1 import MessageStatusChanged
from services.casework.adapters.accounts import Accounts
from services.casework.adapters.exchange_messages import messages_of_case
from services.casework.adapters.tables import audit_log, outbox, timeline
from services.casework.adapters.tasks import tasks
from services.casework.app import Components, build
from services.casework.domain.access import Role
from services.casework.domain.audit import digest_details
from services.casework.domain.tasks import TaskKind
from tests.integration.casework_security_support import (
    AppUser,
    add_case,
    add_user,
    assert_well_formed,
    casework_settings,
    client_for,
    csrf_in,
    running_app,
    session_factory,
    start_session,
)
from tests.support.infrastructure import Infrastructure

pytestmark = pytest.mark.integration

SESSION_COOKIE = "__Host-cme-session"
SERVICE_TOKEN = f"exchange-test-{uuid4().hex}"
REFERRAL = {
    "kind": "referral", "to_la": "886", "address_line_1": "4 Castle Street", "town": "Hereford",
    "postcode": "hr1 2nw", "reason": "The family told the school they were moving to Hereford.",
}


class NotifyStandIn(BaseHTTPRequestHandler):
    """A real HTTP server answering notify's exchange traffic endpoint, recording what it was asked."""

    messages: list[dict[str, Any]] = []
    requests: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:
        type(self).requests.append((self.path, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != f"Bearer {SERVICE_TOKEN}":
            self.send_response(401)
            self.end_headers()
            return
        body = json.dumps({"messages": type(self).messages}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        return


@pytest.fixture(scope="module")
def notify_stand_in() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotifyStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
async def app(migrated: Infrastructure, notify_stand_in: str) -> AsyncIterator[FastAPI]:
    settings = casework_settings(migrated, notify_api_url=notify_stand_in, internal_api_token=SERVICE_TOKEN)
    async with running_app(settings) as running:
        yield running


@pytest.fixture(scope="module")
def components(migrated: Infrastructure) -> Components:
    """The same use cases the Kafka consumer calls (built once, as the app builds them), on the same database."""
    return build(casework_settings(migrated))


async def signed_in(app: FastAPI, user: AppUser) -> httpx.AsyncClient:
    client = client_for(app)
    token, _ = await start_session(app, user)
    client.cookies.set(SESSION_COOKIE, token)
    return client


async def send(client: httpx.AsyncClient, case_id: str, data: dict[str, str]) -> httpx.Response:
    page = await client.get(f"/cases/{case_id}/authority-contact")
    assert page.status_code == 200, page.text
    assert_well_formed(page.text)
    return await client.post(f"/cases/{case_id}/authority-contact", data={"csrf_token": csrf_in(page.text), **data})


async def rows(app: FastAPI, query: Any) -> list[Any]:
    async with session_factory(app).begin() as session:
        return list((await session.execute(query)).mappings())


async def team_of_officer(app: FastAPI) -> tuple[AppUser, str]:
    officer = await add_user(app, Role.CME_OFFICER, team_id=f"team-{uuid4().hex[:8]}")
    return officer, await add_case(app, officer.user_id)


def status_changed(case_id: str | None, child_id: str, message_id: UUID, status: str, at: datetime, *,
                   failed: bool = False, detail: str | None = None) -> MessageStatusChanged:
    return MessageStatusChanged(
        message_id=message_id, child_id=UUID(child_id), case_id=UUID(case_id) if case_id else None, changed_at=at,
        recipient_role="other_local_authority", channel="exchange", purpose="authority_referral", status=status,
        failed=failed, counterpart_la="886", direction="sent", detail=detail,
    )


async def deliver(app: FastAPI, components: Components, change: MessageStatusChanged) -> None:
    attributes = CloudEventAttributes(id=str(uuid4()), source="notify", type=change.event_type,
                                      time=datetime.now(UTC))
    async with session_factory(app).begin() as session:
        await components.service.on_message_status_changed(session, attributes, change)


async def child_of(app: FastAPI, case_id: str) -> str:
    [row] = await rows(app, select(outbox.c.aggregateid).where(outbox.c.subject == case_id,
                                                                outbox.c.type == "cme.case.referred_to_authority.v1"))
    return str(row["aggregateid"])


# ---------------------------------------------------------------------- the form


async def test_the_case_s_officer_sends_a_referral_through_the_outbox_with_the_child_s_details(app: FastAPI) -> None:
    officer, case_id = await team_of_officer(app)
    client = await signed_in(app, officer)
    # A recorded address is the last known address the referral carries.
    page = await client.get(f"/cases/{case_id}/record-address")
    await client.post(f"/cases/{case_id}/record-address", data={
        "csrf_token": csrf_in(page.text), "address_line_1": "12 Old Road", "town": "Worcester", "postcode": "WR1 2AB"})

    response = await send(client, case_id, REFERRAL)

    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{case_id}?success=authority_contacted"
    [event] = await rows(app, select(outbox).where(outbox.c.subject == case_id,
                                                   outbox.c.type == "cme.case.referred_to_authority.v1"))
    payload = event["payload"]
    assert event["aggregateid"] == payload["child_id"]  # keyed by the child, in order with the case's events
    assert (payload["kind"], payload["to_la"], payload["officer_id"]) == ("referral", "886", officer.user_id)
    assert (payload["child"]["given_name"], payload["child"]["family_name"]) == ("Zephyrine", "Quillfeather")
    assert payload["child"]["date_of_birth"] == "2015-05-01"
    assert payload["believed_address"] == {"line1": "4 Castle Street", "line2": None, "town": "Hereford",
                                           "postcode": "HR1 2NW"}
    assert payload["last_known_address"]["line1"] == "12 Old Road"
    assert payload["reason"] == REFERRAL["reason"]
    [entry] = await rows(app, select(timeline).where(timeline.c.case_id == UUID(case_id),
                                                     timeline.c.kind == "exchange.referral_sent"))
    assert entry["summary"] == "CME referral sent to LA 886 (pending)"
    assert entry["event_id"] == str(event["id"])
    [audited] = await rows(app, select(audit_log).where(audit_log.c.record_id == case_id,
                                                        audit_log.c.action == "case.authority_contacted"))
    assert audited["actor_id"] == officer.user_id
    assert audited["detail_digest"] == digest_details({"kind": "referral", "to_la": "886",
                                                       "event_id": str(event["id"])})

    shown = await client.get(response.headers["location"])
    assert_well_formed(shown.text)
    assert "Sent to the other authority" in shown.text
    messages = shown.text.split('id="messages-heading"')[1]
    assert "To Local authority 886" in messages and "CME referral" in messages and "Pending" in messages


async def test_the_form_names_every_problem_and_refuses_this_authority_s_own_code(app: FastAPI) -> None:
    officer, case_id = await team_of_officer(app)
    client = await signed_in(app, officer)

    response = await send(client, case_id, {"kind": "", "to_la": "885", "reason": "", "town": "Hereford"})

    assert response.status_code == 400
    assert_well_formed(response.text)
    for message in ("Select whether this is a CME referral or an enquiry", "885 is this authority&#39;s own code",
                    "Enter the first line of the address and the postcode",
                    "Enter why you believe the child is, or may be, in that authority&#39;s area"):
        assert message in response.text
    control = await send(client, case_id, {**REFERRAL, "reason": "Moved\x00 away"})
    assert control.status_code == 400 and "hidden control characters" in control.text
    assert await rows(app, select(outbox.c.id).where(outbox.c.subject == case_id,
                                                     outbox.c.type == "cme.case.referred_to_authority.v1")) == []


async def test_another_officer_of_the_team_is_refused_and_the_refusal_is_audited(app: FastAPI) -> None:
    officer, case_id = await team_of_officer(app)
    colleague = await add_user(app, Role.CME_OFFICER, team_id=officer.team_id)
    client = await signed_in(app, colleague)

    response = await send(client, case_id, REFERRAL)

    assert response.status_code == 403
    assert await rows(app, select(outbox.c.id).where(outbox.c.subject == case_id)) == []
    [refusal] = await rows(app, select(audit_log).where(audit_log.c.record_id == case_id,
                                                        audit_log.c.action == "case.change_refused"))
    assert refusal["actor_id"] == colleague.user_id
    assert refusal["detail_digest"] == digest_details({"permission": "contact_other_authority"})


async def test_the_lead_officer_may_send_an_enquiry_on_any_case_but_not_on_a_closed_one(app: FastAPI) -> None:
    officer, case_id = await team_of_officer(app)
    lead = await add_user(app, Role.LEAD_OFFICER, team_id=f"team-{uuid4().hex[:8]}")
    client = await signed_in(app, lead)

    sent = await send(client, case_id, {"kind": "enquiry", "to_la": "203", "reason": "Is the child known to you?"})
    assert sent.status_code == 303
    [entry] = await rows(app, select(timeline.c.summary).where(timeline.c.case_id == UUID(case_id),
                                                               timeline.c.kind == "exchange.enquiry_sent"))
    assert entry["summary"] == "Enquiry sent to LA 203 (pending)"

    officer_client = await signed_in(app, officer)
    page = await officer_client.get(f"/cases/{case_id}/close")
    closed = await officer_client.post(f"/cases/{case_id}/close", data={
        "csrf_token": csrf_in(page.text), "reason": "other", "details": "Test closure",
        "version": page.text.split('name="version" value="')[1].split('"')[0]})
    assert closed.status_code == 303, closed.text
    refused = await send(client, case_id, {"kind": "enquiry", "to_la": "203", "reason": "Again?"})
    assert refused.status_code == 400
    assert "The case is closed: reopen it before telling or asking another authority" in refused.text


# ---------------------------------------------------------------------- notify's status reports


async def test_notify_s_reports_take_over_the_request_and_the_newest_status_wins_in_any_order(
    app: FastAPI, components: Components
) -> None:
    officer, case_id = await team_of_officer(app)
    client = await signed_in(app, officer)
    assert (await send(client, case_id, REFERRAL)).status_code == 303
    child_id = await child_of(app, case_id)
    message_id, start = uuid4(), datetime.now(UTC)

    # Notify gives the message an id of its own: its first report takes over the officer's pending request.
    await deliver(app, components, status_changed(case_id, child_id, message_id, "sent", start))
    await deliver(app, components, status_changed(case_id, child_id, message_id, "acknowledged",
                                                  start + timedelta(minutes=5), detail="HER-2026-0042"))
    # A late, older report (another partition, a redelivery) changes no status but its receipt time is kept.
    await deliver(app, components, status_changed(case_id, child_id, message_id, "receipted",
                                                  start + timedelta(minutes=1)))

    async with session_factory(app).begin() as session:
        [message] = await messages_of_case(session, case_id)
    assert (message.message_id, message.status, message.detail) == (str(message_id), "acknowledged", "HER-2026-0042")
    assert message.receipted_at == start + timedelta(minutes=1)
    assert message.acknowledged_at == start + timedelta(minutes=5)
    assert not message.requested_here
    [task] = await rows(app, select(tasks).where(tasks.c.case_id == UUID(case_id),
                                                 tasks.c.kind == TaskKind.AUTHORITY_ACKNOWLEDGED.value))
    assert task["assignee_id"] == officer.user_id
    assert task["title"] == ("LA 886 acknowledged the referral (their reference HER-2026-0042): close the case if "
                             "the child is in education there")
    page = (await client.get(f"/cases/{case_id}")).text
    section = page.split('id="messages-heading"')[1]
    assert "Acknowledged" in section and "HER-2026-0042" in section and "Not yet receipted" not in section


async def test_a_failure_about_a_child_with_no_open_case_is_a_task_for_the_lead_officer(
    app: FastAPI, components: Components
) -> None:
    child_id, message_id = str(uuid4()), uuid4()
    unacknowledged = status_changed(None, child_id, message_id, "unacknowledged", datetime.now(UTC), failed=True)

    await deliver(app, components, unacknowledged)
    await deliver(app, components, unacknowledged)  # redelivered without the inbox: still one task

    [task] = await rows(app, select(tasks).where(tasks.c.child_id == UUID(child_id)))
    assert (task["kind"], task["case_id"]) == (TaskKind.EXCHANGE_WITHOUT_CASE.value, None)
    assert task["title"].startswith("LA 886, CME referral: not acknowledged, and the child has no open case here")
    lead_officers = [user.user_id for user in await all_users(app) if Role.LEAD_OFFICER in user.roles]
    assert task["assignee_id"] == (lead_officers[0] if len(lead_officers) == 1 else None)


# ---------------------------------------------------------------------- the Exchange page


async def test_the_exchange_page_lists_notify_s_traffic_with_links_only_to_cases_the_user_may_see(
    app: FastAPI
) -> None:
    _, case_id = await team_of_officer(app)
    NotifyStandIn.messages = [
        {"message_id": str(uuid4()), "direction": "received", "counterpart_la": "203",
         "type": "cme.exchange.referral.v1", "status": "refused", "detail": None,
         "refusal_reason": "signature_invalid", "at": "2026-12-03T09:30:00+00:00", "case_id": None,
         "transport": "kafka"},
        {"message_id": str(uuid4()), "direction": "sent", "counterpart_la": "886", "type": "cme.exchange.referral.v1",
         "status": "acknowledged", "detail": "HER-2026-0042", "refusal_reason": None,
         "at": "2026-12-03T09:00:00+00:00", "case_id": case_id, "transport": "https"},
    ]
    NotifyStandIn.requests.clear()
    lead = await add_user(app, Role.LEAD_OFFICER, team_id=f"team-{uuid4().hex[:8]}")
    group = await add_user(app, Role.GROUP_MANAGER)

    page = await (await signed_in(app, lead)).get("/exchange?direction=received&outcome=refused")

    assert page.status_code == 200
    assert_well_formed(page.text)
    assert "Received from LA 203" in page.text and "signature_invalid" in page.text and "Refused" in page.text
    assert f'href="/cases/{case_id}"' in page.text and "HER-2026-0042" in page.text
    [(path, authorization)] = NotifyStandIn.requests
    assert path.startswith("/internal/v1/exchange/traffic?") and "direction=received" in path
    assert "outcome=refused" in path and "limit=100" in path
    assert authorization == f"Bearer {SERVICE_TOKEN}"
    [audited] = await rows(app, select(audit_log).where(audit_log.c.actor_id == lead.user_id,
                                                        audit_log.c.action == "exchange.traffic_viewed"))
    assert audited["detail_digest"] == digest_details({"direction": "received", "refused_only": "true",
                                                       "messages": 2})
    # The group manager reads it too; officers cannot (the route matrix covers every role).
    assert (await (await signed_in(app, group)).get("/exchange")).status_code == 200


async def test_the_exchange_page_says_so_when_notify_does_not_answer(migrated: Infrastructure) -> None:
    settings = casework_settings(migrated, notify_api_url="http://127.0.0.1:9", internal_api_token=SERVICE_TOKEN)
    async with running_app(settings) as down:
        lead = await add_user(down, Role.LEAD_OFFICER)
        page = await (await signed_in(down, lead)).get("/exchange")

    assert page.status_code == 503
    assert_well_formed(page.text)
    assert "There is a problem" in page.text
    assert "The exchange traffic cannot be shown now" in page.text


async def all_users(app: FastAPI) -> list[Any]:
    async with session_factory(app).begin() as session:
        return await Accounts().all_users(session)
