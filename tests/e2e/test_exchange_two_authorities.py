"""Issue 9 acceptance: two authorities exchange signed messages, on one broker, in one test run.

A (LA 885) and B (LA 886) each run as their own copy of the suite (tests/support/two_authorities.py): own topics,
own database, own keys; A reaches B over B's exchange topic (Kafka), B reaches A over HTTPS. A looked-after child
leaving A for B produces a signed referral B's intake accepts; B's case opens; B's receipt and acknowledgement reach
A and show on A's case. A tampered payload, a wrong key, a replayed id and an unknown authority are each refused
with their reason and change nothing at B. No personal data appears in either authority's logs or spans.
Every person here is invented.
"""

import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from cme_runtime.exchange_signing import ENVELOPE_CONTENT_TYPE, RefusalReason, SigningKey, seal
from contracts import topics
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import Record, publish_raw, read_until
from tests.support.otlp import OtlpReceiver
from tests.support.personal_data import personal_data_found
from tests.support.submissions import fictional_postcode, valid_upn
from tests.support.two_authorities import (
    A_LA,
    B_LA,
    Authority,
    TwoAuthorities,
    envelope_cloud_event,
    invented_referral,
    tampered,
    two_authorities,
)
from tests.support.waiting import eventually

# The module's fixture creates and migrates two databases and starts two suites (14 processes) before its first
# test: on the shared 2-core machine that alone has taken over the default 300 s.
pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(1200)]

API_TOKEN = "test-suite-token"
# The machine running these is shared and loaded: two suites start and one child crosses both.
FLOW_TIMEOUT = 180
_rng = random.Random()


@pytest.fixture(scope="module")
async def authorities(migrated: Infrastructure, otlp: OtlpReceiver, artifacts: Path) -> AsyncIterator[TwoAuthorities]:
    async with two_authorities(migrated, otlp.endpoint, artifacts / "logs") as running:
        yield running


@dataclass(frozen=True)
class LeavingChild:
    submission: dict[str, Any]
    child_id: str  # A's child id

    @property
    def secrets(self) -> list[str]:
        """The child's personal data as submitted: none of it may appear in a log or a span."""
        child = self.submission["child"]
        return [
            child["given_name"],
            child["family_name"],
            child["date_of_birth"],
            child["upn"],
            child["address"]["line1"],
            child["address"]["postcode"],
            self.submission["destination"]["address"]["line1"],
        ]


def leaving_area_alert() -> dict[str, Any]:
    """Social care's alert that a looked-after child is leaving for LA 886: a looked-after child placed out of county
    stays A's responsibility, so A keeps a case of its own and refers the child to B."""
    marker = uuid4().hex[:8]
    today = datetime.now(UTC).date()
    return {
        "submission_type": "social_care_alert",
        "submission_id": f"test-xla-{uuid4().hex}",
        "submitted_at": datetime.now(UTC).isoformat(),
        "submitter": {"name": "Test Social Care Admin", "organisation": "Test Children's Services"},
        "alert_type": "leaving_area",
        "child": {
            "given_name": f"Xlachild{marker}",
            "family_name": f"Xlafamily{marker}",
            "date_of_birth": (date(today.year - 13, 9, 1) + timedelta(days=_rng.randint(0, 6 * 365))).isoformat(),
            "sex": "F",
            "upn": valid_upn(),
            "address": {
                "line1": f"{_rng.randint(1, 200)} Xla{marker} Lane",
                "town": "Worcester",
                "postcode": fictional_postcode(),
            },
        },
        "social_worker": {"name": "Test Social Worker", "email": "sw@example.com"},
        "destination": {
            "local_authority": "Test Borough Council",
            "la_code": B_LA,
            "address": {"line1": f"{_rng.randint(1, 200)} Far{marker} Street", "town": "Elsewhere"},
        },
        "leaving_date": (today - timedelta(days=1)).isoformat(),
        "safeguarding": {"open_to_social_care": True, "looked_after": True},
        "details": "Invented details: placed with foster carers in another authority's area",
    }


@pytest.fixture(scope="module")
async def leaving_child(authorities: TwoAuthorities) -> LeavingChild:
    submission = leaving_area_alert()
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            authorities.a.suite.url("intake", "/api/v1/submissions/social_care_alert"), json=submission
        )
    assert response.status_code == 202, response.text
    return LeavingChild(submission, str(response.json()["child_id"]))


async def cases_of(authority: Authority, child_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(
            authority.suite.url("casework", "/api/v1/cases"),
            params={"child_id": child_id},
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
    response.raise_for_status()
    return list(response.json()["cases"])


async def case_detail(authority: Authority, case_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(
            authority.suite.url("casework", f"/api/v1/cases/{case_id}"),
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    return found


def is_referral(message: dict[str, Any]) -> bool:
    return "referral" in str(message["type"])


async def sent_referral(authorities: TwoAuthorities) -> dict[str, Any]:
    """A's record of the referral it sent B (the only message A sends in this module)."""

    async def probe() -> dict[str, Any] | None:
        sent = [m for m in await authorities.a.traffic(direction="sent") if is_referral(m)]
        return sent[0] if sent else None

    return await eventually(probe, timeout=FLOW_TIMEOUT, interval=1, what="A's referral to B in A's traffic log")


async def referral_on_b_topic(authorities: TwoAuthorities, message_id: str) -> Record:
    """The envelope A published on B's exchange topic, byte for byte."""

    def carries(record: Record) -> bool:
        try:
            return str(envelope_cloud_event(record.value)["id"]) == message_id
        except (ValueError, KeyError, TypeError):
            return False

    records = await read_until(
        authorities.b.suite.kafka,
        authorities.b.exchange_topic,
        lambda records: any(map(carries, records)),
        timeout=FLOW_TIMEOUT,
    )
    return next(record for record in records if carries(record))


async def b_counts(b: Authority) -> dict[str, int]:
    """What a message B acted on would add to: submissions and referrals at B's intake, children in its register,
    cases at B's casework."""
    return {
        "submissions": await b.database["intake"].fetchval("SELECT count(*) FROM submissions"),
        "referrals": await b.database["intake"].fetchval("SELECT count(*) FROM referrals"),
        "children": await b.database["intake"].fetchval("SELECT count(*) FROM children"),
        "cases": await b.database["casework"].fetchval("SELECT count(*) FROM cases"),
    }


async def test_a_child_leaving_a_for_b_is_referred_accepted_opened_receipted_and_acknowledged(
    authorities: TwoAuthorities, leaving_child: LeavingChild
) -> None:
    a, b = authorities.a, authorities.b

    # A keeps a case of its own for the looked-after child.
    async def a_case() -> list[dict[str, Any]] | None:
        return await cases_of(a, leaving_child.child_id) or None

    [case_at_a] = await eventually(a_case, timeout=FLOW_TIMEOUT, interval=1, what="A's case for the leaving child")

    # A signs and sends B the referral; B's intake has it as a forwarded enquiry.
    referral = await sent_referral(authorities)
    message_id = str(referral["message_id"])
    assert referral["counterpart_la"] == B_LA
    assert referral["transport"] == "kafka"
    record = await referral_on_b_topic(authorities, message_id)
    cloud_event = envelope_cloud_event(record.value)
    assert (cloud_event["source"], cloud_event["data"]["from_la"], cloud_event["data"]["to_la"]) == (
        f"/la/{A_LA}",
        A_LA,
        B_LA,
    )

    async def forwarded() -> Any:
        return await b.database["intake"].fetchrow(
            "SELECT submission_id, child_id FROM submissions WHERE submission_id = $1", f"exchange-{message_id}"
        )

    submission_at_b = await eventually(
        forwarded, timeout=FLOW_TIMEOUT, interval=1, what="the forwarded referral at B's intake"
    )
    assert submission_at_b["child_id"] is not None

    # B's case opens for the child.
    async def b_case() -> list[dict[str, Any]] | None:
        return [c for c in await cases_of(b, str(submission_at_b["child_id"])) if c["closed_at"] is None] or None

    [case_at_b] = await eventually(b_case, timeout=FLOW_TIMEOUT, interval=1, what="B's open case for the child")
    assert case_at_b["reference"]

    # B's receipt and acknowledgement reach A, and A's case shows them, the acknowledgement with B's reference.
    async def receipted_and_acknowledged() -> list[dict[str, Any]] | None:
        timeline = (await case_detail(a, case_at_a["case_id"]))["timeline"]
        kinds = {entry["kind"] for entry in timeline}
        return timeline if {"message.receipted", "message.acknowledged"} <= kinds else None

    timeline = await eventually(
        receipted_and_acknowledged,
        timeout=FLOW_TIMEOUT,
        interval=1,
        what="B's receipt and acknowledgement on A's case timeline",
    )
    exchange_entries = [e for e in timeline if e["kind"] in {"message.receipted", "message.acknowledged"}]
    assert all(e["source"] == "notify" and f"local authority {B_LA}" in e["summary"] for e in exchange_entries), (
        exchange_entries
    )

    # Each side's traffic log: A sent it and it was acknowledged (after its receipt); B received it.
    async def acknowledged_at_a() -> dict[str, Any] | None:
        found = [m for m in await a.traffic(direction="sent") if str(m["message_id"]) == message_id]
        return found[0] if found and found[0]["status"] == "acknowledged" else None

    at_a = await eventually(acknowledged_at_a, timeout=FLOW_TIMEOUT, interval=1, what="A's referral acknowledged")
    assert at_a["detail"] == case_at_b["reference"]
    received_at_a = {str(m["type"]) for m in await a.traffic(direction="received") if m["counterpart_la"] == B_LA}
    assert any("receipt" in kind for kind in received_at_a) and any("acknowledg" in kind for kind in received_at_a)
    received_at_b = [m for m in await b.traffic(direction="received") if str(m["message_id"]) == message_id]
    assert [m["counterpart_la"] for m in received_at_b] == [A_LA]
    assert received_at_b[0]["refusal_reason"] is None
    sent_by_b = [m for m in await b.traffic(direction="sent") if m["counterpart_la"] == A_LA]
    assert {m["transport"] for m in sent_by_b} == {"https"}


async def test_as_case_timeline_names_bs_case_reference_on_the_acknowledgement(
    authorities: TwoAuthorities, leaving_child: LeavingChild
) -> None:
    """The acceptance's "A's case shows [the acknowledgement]": B's case reference, on A's case timeline (the
    casework JSON API's view of the case), so A's officer knows whom to chase without leaving the case."""
    a, b = authorities.a, authorities.b
    message_id = str((await sent_referral(authorities))["message_id"])
    forwarded = await eventually(
        lambda: b.database["intake"].fetchval(
            "SELECT child_id FROM submissions WHERE submission_id = $1", f"exchange-{message_id}"
        ),
        timeout=FLOW_TIMEOUT,
        interval=1,
        what="the forwarded referral at B's intake",
    )
    [case_at_b] = await eventually(
        lambda: cases_of(b, str(forwarded)), timeout=FLOW_TIMEOUT, interval=1, what="B's case for the child"
    )
    [case_at_a] = await cases_of(a, leaving_child.child_id)

    async def acknowledged_on_timeline() -> list[str] | None:
        timeline = (await case_detail(a, case_at_a["case_id"]))["timeline"]
        summaries = [entry["summary"] for entry in timeline if entry["kind"] == "message.acknowledged"]
        return summaries or None

    summaries = await eventually(
        acknowledged_on_timeline, timeout=FLOW_TIMEOUT, interval=1, what="the acknowledgement on A's timeline"
    )
    assert any(case_at_b["reference"] in summary for summary in summaries), summaries


async def assert_refused_over_https(
    b: Authority, envelope: dict[str, Any] | bytes, message_id: str, status: int, reason: RefusalReason
) -> None:
    response = await b.post_envelope(envelope)
    assert response.status_code == status, response.text
    assert response.json()["reason"] == reason.value

    async def logged() -> list[dict[str, Any]] | None:
        refused = await b.traffic(direction="received", outcome="refused")
        return [m for m in refused if str(m["message_id"]) == message_id] or None

    [entry] = await eventually(logged, timeout=60, what=f"B's traffic log showing the refusal ({reason.name})")
    assert entry["refusal_reason"] == reason.value


async def test_tampered_wrong_key_replayed_and_unknown_authority_messages_are_refused_and_change_nothing(
    authorities: TwoAuthorities, leaving_child: LeavingChild
) -> None:
    a, b = authorities.a, authorities.b
    # The replay is the very envelope A sent B: wait until B has taken it in, so that what follows is all refusal.
    original = await referral_on_b_topic(authorities, str((await sent_referral(authorities))["message_id"]))
    replayed_id = str(envelope_cloud_event(original.value)["id"])

    async def received_by_b() -> bool:
        return any(str(m["message_id"]) == replayed_id for m in await b.traffic(direction="received"))

    await eventually(received_by_b, timeout=FLOW_TIMEOUT, interval=1, what="B receiving A's referral")
    before = await b_counts(b)
    forged_ids = []

    # A tampered payload: A's valid seal over a payload with one byte changed.
    marker = uuid4().hex[:12]
    message = invented_referral(A_LA, B_LA, marker)
    forged_ids.append(str(message.message_id))
    await assert_refused_over_https(
        b,
        tampered(seal(message, a.key.signing_key()), marker),
        str(message.message_id),
        403,
        RefusalReason.BAD_SIGNATURE,
    )

    # A wrong key: signed by a key B's registry does not hold, claiming to be A.
    message = invented_referral(A_LA, B_LA)
    forged_ids.append(str(message.message_id))
    await assert_refused_over_https(
        b, seal(message, SigningKey.generate(A_LA)), str(message.message_id), 403, RefusalReason.UNKNOWN_KEY
    )

    # A replayed id: the exact bytes A sent, delivered again.
    await assert_refused_over_https(b, original.value, replayed_id, 409, RefusalReason.REPLAYED)

    # An unknown authority: LA 999, with a key of its own.
    message = invented_referral("999", B_LA)
    forged_ids.append(str(message.message_id))
    await assert_refused_over_https(
        b, seal(message, SigningKey.generate("999")), str(message.message_id), 403, RefusalReason.UNKNOWN_AUTHORITY
    )

    # Over Kafka: a tampered envelope on B's exchange topic is dead-lettered with the reason.
    marker = uuid4().hex[:12]
    message = invented_referral(A_LA, B_LA, marker)
    kafka_id = str(message.message_id)
    forged_ids.append(kafka_id)
    await publish_raw(
        b.suite.kafka,
        b.exchange_topic,
        json.dumps(tampered(seal(message, a.key.signing_key()), marker)).encode(),
        headers=[("content-type", ENVELOPE_CONTENT_TYPE.encode())],
        key=A_LA.encode(),
    )

    def dead_lettered(records: list[Record]) -> bool:
        return any(r.headers.get("dlq_topic") == b.exchange_topic for r in records)

    dead_letters = await read_until(
        b.suite.kafka, b.suite.topic(topics.DEAD_LETTER), dead_lettered, timeout=FLOW_TIMEOUT
    )
    [dead_letter] = [r for r in dead_letters if r.headers.get("dlq_topic") == b.exchange_topic]
    assert RefusalReason.BAD_SIGNATURE.value in dead_letter.headers["dlq_reason"]
    assert json.loads(dead_letter.value)["payload"], "the dead letter keeps the original envelope"

    async def logged() -> list[dict[str, Any]] | None:
        refused = await b.traffic(direction="received", outcome="refused")
        return [m for m in refused if str(m["message_id"]) == kafka_id] or None

    [entry] = await eventually(logged, timeout=60, what="B's traffic log showing the Kafka refusal")
    assert (entry["refusal_reason"], entry["transport"]) == (RefusalReason.BAD_SIGNATURE.value, "kafka")

    # A barrier: a genuine referral signed with A's key, sent after the forgeries. Once its case is open at B,
    # anything B had taken from a forgery would have reached B's intake and casework before it.
    barrier = invented_referral(A_LA, B_LA)
    response = await b.post_envelope(seal(barrier, a.key.signing_key()))
    assert response.status_code == 202, response.text
    barrier_child = await eventually(
        lambda: b.database["intake"].fetchval(
            "SELECT child_id FROM submissions WHERE submission_id = $1", f"exchange-{barrier.message_id}"
        ),
        timeout=FLOW_TIMEOUT,
        interval=1,
        what="the barrier referral at B's intake",
    )
    await eventually(
        lambda: cases_of(b, str(barrier_child)), timeout=FLOW_TIMEOUT, interval=1, what="the barrier's case at B"
    )

    # Nothing changed at B: no submission, referral, child or case was added but the barrier's, none for a forgery.
    assert await b_counts(b) == {name: count + 1 for name, count in before.items()}
    forwarded = await b.database["intake"].fetch(
        "SELECT submission_id FROM submissions WHERE submission_id = ANY($1::text[])",
        [f"exchange-{each}" for each in forged_ids],
    )
    assert forwarded == []


async def test_no_personal_data_in_either_authoritys_logs_or_spans(
    authorities: TwoAuthorities, leaving_child: LeavingChild, otlp: OtlpReceiver
) -> None:
    """Run after the whole exchange (the acknowledgement is its last step): every process of both authorities."""

    async def acknowledged() -> bool:
        return any(m["status"] == "acknowledged" for m in await authorities.a.traffic(direction="sent"))

    await eventually(acknowledged, timeout=FLOW_TIMEOUT, interval=1, what="the exchange finished")
    record = await referral_on_b_topic(authorities, str((await sent_referral(authorities))["message_id"]))
    # The envelope's payload is the child's details in base64: logged whole or in part, it is still personal data.
    payload = json.loads(record.value)["payload"]
    secrets = [*leaving_child.secrets, payload[64:128]]

    assert personal_data_found(secrets, otlp.snapshot(), authorities.log_dirs) == []
    assert {path.name for d in authorities.log_dirs for path in d.glob("*.log")} >= {"notify.log", "intake.log"}
