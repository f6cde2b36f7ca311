"""The cross-LA exchange's use cases against in-memory ports: what each trigger owes, each branch of `receive`,
delivery and its retries, correlation of receipts, answers and acknowledgements, and the chase. Everyone here is
invented."""

import base64
import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from cme_runtime.exchange_signing import RefusalReason, SigningKey, TrustRegistry, open_envelope, seal
from cme_runtime.testing import TRANSACTION, FixedClock, RecordingOutbox
from contracts.envelope import CloudEventAttributes, new_attributes
from contracts.events.case_v1 import AuthorityContactKind, CaseOpened, CaseReferredToAuthority
from contracts.events.common_v1 import Address, Child, Destination, OrganisationType, School
from contracts.events.intake_v1 import LaEnquirySubmitted
from contracts.events.notify_v1 import MessageStatusChanged
from contracts.events.referral_v1 import ReferralKind
from contracts.events.triage_v1 import Priority, Track, TriageDecided
from contracts.exchange.messages_v1 import (
    EnquiryAnswered,
    EnquiryOutcome,
    EnquirySentToAuthority,
    ExchangeMessage,
    MessageReceived,
    ReceiptOutcome,
    ReferralAcknowledged,
    ReferralSentToAuthority,
    TeamContact,
)
from services.notify.adapters.exchange_log import ExchangeRecord
from services.notify.adapters.exchange_transport import PermanentExchangeError, Route, TemporaryExchangeError
from services.notify.adapters.intake_client import LookupResult
from services.notify.domain.exchange import (
    ACKNOWLEDGEMENT,
    ANSWER,
    ENQUIRY,
    RECEIPT,
    REFERRAL,
    Direction,
    ExchangeStatus,
)
from services.notify.service_layer.delivery import RetryPolicy
from services.notify.service_layer.exchange import ExchangeConfig, ExchangeService
from services.notify.tests.fakes import FakeExchangeLog, FixedLookup, ScriptedTransport

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # a Thursday
HOME, PARTNER, HTTPS_PARTNER, STRANGER = "885", "884", "893", "919"
CHILD = Child(
    given_name="Invented",
    family_name="Childname",
    date_of_birth=date(2014, 5, 6),
    address=Address(line1="1 Old Street", town="Worcester", postcode="WR1 1AA"),
)
TEAM = TeamContact(team="Test CME team", email="cme@test.invalid", phone="01234 567890")
SCHOOL = School(establishment_id="8842001", name="Hereford Primary")


@dataclass
class Exchange:
    service: ExchangeService
    log: FakeExchangeLog
    outbox: RecordingOutbox
    transport: ScriptedTransport
    lookup: FixedLookup
    clock: FixedClock
    home_key: SigningKey
    partner_key: SigningKey
    https_key: SigningKey

    def rows(self, **where: Any) -> list[ExchangeRecord]:
        return [row for row in self.log.rows.values() if all(getattr(row, k) == v for k, v in where.items())]

    def statuses(self) -> list[MessageStatusChanged]:
        return [e for e in self.outbox.of_type(MessageStatusChanged) if isinstance(e, MessageStatusChanged)]

    def forwarded(self) -> list[LaEnquirySubmitted]:
        return [e for e in self.outbox.of_type(LaEnquirySubmitted) if isinstance(e, LaEnquirySubmitted)]

    def from_partner(self, message: ExchangeMessage, key: SigningKey | None = None) -> bytes:
        return json.dumps(seal(message, key or self.partner_key)).encode()

    async def receive(self, raw: bytes, position: str | None = None) -> Any:
        return await self.service.receive(TRANSACTION, raw, "https" if position is None else "kafka", position=position)

    async def send_all(self) -> None:
        for claimed in await self.service.claim_due(TRANSACTION, 100):
            await self.service.record_outcome(TRANSACTION, claimed, await self.service.deliver(claimed))


def make(signing: bool = True, lookup: LookupResult | None = None, *errors: Exception) -> Exchange:
    home, partner, https = SigningKey.generate(HOME), SigningKey.generate(PARTNER), SigningKey.generate(HTTPS_PARTNER)
    since = NOW - timedelta(days=30)
    registry = TrustRegistry([partner.trusted(since), https.trusted(since), home.trusted(since)])
    log, outbox = (
        FakeExchangeLog(),
        RecordingOutbox(declared=frozenset({MessageStatusChanged.event_type, LaEnquirySubmitted.event_type})),
    )
    transport = ScriptedTransport(*errors)  # type: ignore[arg-type]
    found = FixedLookup(lookup or LookupResult(EnquiryOutcome.NOT_KNOWN))
    clock = FixedClock(NOW)

    async def no_wait(seconds: float) -> None:
        return None

    service = ExchangeService(
        outbox,
        log,
        found,
        transport,
        ExchangeConfig(
            home_la=HOME,
            signing_key=home if signing else None,
            registry=registry,
            routes={PARTNER: Route("kafka"), HTTPS_PARTNER: Route("https", "https://partner.invalid/exchange")},
            team=TEAM,
        ),
        clock=clock,
        retry=RetryPolicy(max_attempts=3, initial_wait_seconds=0.01, max_wait_seconds=0.01, jitter_seconds=0),
        sleep=no_wait,
    )
    return Exchange(service, log, outbox, transport, found, clock, home, partner, https)


@pytest.fixture
def exchange() -> Exchange:
    return make()


def attributes_of(event: Any) -> CloudEventAttributes:
    return new_attributes(event, source="/tests", subject=None, time=NOW)


def decision(refer_to: str | None = PARTNER, **changes: Any) -> TriageDecided:
    made = TriageDecided(
        decision_id=uuid4(),
        referral_id=uuid4(),
        child_id=uuid4(),
        decided_at=NOW,
        is_cme=True,
        track=Track.CME_ENQUIRY,
        priority=Priority.P2,
        refer_to_authority=refer_to,
        rules_version="test",
        kind=ReferralKind.LEAVER,
        child=CHILD,
        school=School(establishment_id="8852001", name="Worcester Primary"),
        destination=Destination(
            local_authority="Herefordshire", la_code=PARTNER, address=Address(line1="2 New Road", town="Hereford")
        ),
        referral_date=date(2026, 11, 27),
    )
    return made.model_copy(update=changes)


def referred(kind: AuthorityContactKind, to_la: str = PARTNER) -> CaseReferredToAuthority:
    return CaseReferredToAuthority(
        case_id=uuid4(),
        child_id=uuid4(),
        referred_at=NOW,
        officer_id="officer-1",
        to_la=to_la,
        kind=kind,
        child=CHILD,
        believed_address=Address(line1="2 New Road", town="Hereford"),
        reason="The family told the school they were moving to Hereford",
    )


def partner_referral(to_la: str = HOME, from_la: str = PARTNER) -> ReferralSentToAuthority:
    return ReferralSentToAuthority(
        message_id=uuid4(),
        from_la=from_la,
        to_la=to_la,
        sent_at=NOW - timedelta(minutes=1),
        sender_case_reference="CME-AAAA1111",
        child=CHILD,
        believed_address=Address(line1="3 Our Lane", town="Worcester"),
        previous_school=SCHOOL,
        reason="Moved to Worcester, the family says",
        contact=TEAM,
    )


def opened_data(row: ExchangeRecord) -> dict[str, Any]:
    assert row.envelope is not None
    data: dict[str, Any] = json.loads(base64.b64decode(row.envelope["payload"]))["data"]
    return data


# -- Triggers -------------------------------------------------------------------------------------------------------


async def test_a_decision_naming_another_authority_owes_it_a_signed_referral(exchange: Exchange) -> None:
    made = decision()

    await exchange.service.on_triage_decided(TRANSACTION, attributes_of(made), made)

    [row] = exchange.log.sent(REFERRAL)
    assert (row.status, row.counterpart_la, row.transport, row.child_id, row.referral_id) == (
        ExchangeStatus.PENDING,
        PARTNER,
        "kafka",
        made.child_id,
        made.referral_id,
    )
    assert row.envelope is not None
    registry = TrustRegistry([exchange.home_key.trusted(NOW - timedelta(days=1))])
    message = open_envelope(row.envelope, registry, receiver_la=PARTNER, now=NOW).message
    assert isinstance(message, ReferralSentToAuthority)
    assert message.child == CHILD and message.last_known_address == CHILD.address
    assert message.believed_address == Address(line1="2 New Road", town="Hereford")
    assert message.previous_school == made.school and message.left_school_on == date(2026, 11, 27)
    assert message.sender_case_reference == f"REF-{str(made.referral_id)[:8].upper()}"
    assert "left their school roll" in message.reason and message.contact == TEAM
    [status] = exchange.statuses()
    assert (status.channel, status.recipient_role, status.purpose, status.status, status.counterpart_la) == (
        "exchange",
        "other_local_authority",
        "authority_referral",
        "pending",
        PARTNER,
    )
    assert status.direction == "sent" and status.failed is False


async def test_a_decision_naming_no_authority_or_our_own_owes_nothing(exchange: Exchange) -> None:
    for made in (decision(None), decision(HOME)):
        await exchange.service.on_triage_decided(TRANSACTION, attributes_of(made), made)

    assert exchange.log.rows == {} and exchange.outbox.published == []


async def test_a_referral_to_an_authority_with_no_route_fails_for_an_officer(exchange: Exchange) -> None:
    made = decision(STRANGER)

    await exchange.service.on_triage_decided(TRANSACTION, attributes_of(made), made)

    [row] = exchange.log.sent(REFERRAL)
    assert (row.status, row.failure_reason, row.envelope) == (ExchangeStatus.FAILED, "no_route_to_authority", None)
    [status] = exchange.statuses()
    assert (status.status, status.failed, status.reason) == ("failed", True, "no_route_to_authority")


async def test_without_a_signing_key_every_message_owed_fails_as_not_configured() -> None:
    exchange = make(signing=False)
    made = decision()

    await exchange.service.on_triage_decided(TRANSACTION, attributes_of(made), made)

    [row] = exchange.log.sent(REFERRAL)
    assert (row.status, row.failure_reason) == (ExchangeStatus.FAILED, "exchange_not_configured")
    assert exchange.statuses()[0].failed is True


async def test_an_officers_referral_and_enquiry_become_the_matching_messages(exchange: Exchange) -> None:
    referral, enquiry = referred(AuthorityContactKind.REFERRAL), referred(AuthorityContactKind.ENQUIRY, HTTPS_PARTNER)

    await exchange.service.on_case_referred(TRANSACTION, attributes_of(referral), referral)
    await exchange.service.on_case_referred(TRANSACTION, attributes_of(enquiry), enquiry)

    [sent_referral] = exchange.log.sent(REFERRAL)
    [sent_enquiry] = exchange.log.sent(ENQUIRY)
    assert (sent_referral.case_id, sent_referral.counterpart_la) == (referral.case_id, PARTNER)
    assert (sent_enquiry.case_id, sent_enquiry.transport) == (enquiry.case_id, "https")
    assert opened_data(sent_referral)["reason"] == referral.reason
    assert opened_data(sent_enquiry)["possible_address"]["line1"] == "2 New Road"
    assert opened_data(sent_enquiry)["sender_case_reference"] == f"CME-{str(enquiry.case_id)[:8].upper()}"
    assert [each.purpose for each in exchange.statuses()] == ["authority_referral", "authority_enquiry"]


# -- Delivery -------------------------------------------------------------------------------------------------------


async def owe_referral(exchange: Exchange, to_la: str = PARTNER) -> ExchangeRecord:
    made = decision(to_la)
    await exchange.service.on_triage_decided(TRANSACTION, attributes_of(made), made)
    [row] = [each for each in exchange.log.sent(REFERRAL) if each.referral_id == made.referral_id]
    return row


async def test_a_temporary_failure_is_retried_into_one_delivery_with_an_acknowledgement_deadline() -> None:
    exchange = make(True, None, TemporaryExchangeError("HTTP 500"))
    row = await owe_referral(exchange)

    await exchange.send_all()

    assert exchange.transport.tries == 2
    [delivered] = exchange.transport.delivered
    assert json.loads(delivered.body) == row.envelope  # the same signed bytes it was recorded with
    assert (delivered.to_la, delivered.route.transport, delivered.message_type) == (PARTNER, "kafka", REFERRAL)
    sent = exchange.log.rows[row.message_id]
    assert (sent.status, sent.ack_due_on) == (ExchangeStatus.SENT, date(2026, 12, 10))
    assert [each.status for each in exchange.statuses()] == ["pending", "sent"]


async def test_a_permanent_refusal_by_the_endpoint_fails_at_once() -> None:
    exchange = make(True, None, PermanentExchangeError("HTTP 400"))
    row = await owe_referral(exchange)

    await exchange.send_all()

    assert exchange.transport.tries == 1
    assert (exchange.log.rows[row.message_id].status, exchange.log.rows[row.message_id].failure_reason) == (
        ExchangeStatus.FAILED,
        "rejected",
    )
    last = exchange.statuses()[-1]
    assert (last.status, last.failed, last.reason) == ("failed", True, "rejected")


async def test_temporary_failures_past_the_maximum_attempts_fail_the_message() -> None:
    exchange = make(True, None, *[TemporaryExchangeError("HTTP 503")] * 3)
    row = await owe_referral(exchange)

    await exchange.send_all()

    assert exchange.transport.tries == 3 and exchange.transport.delivered == []
    assert exchange.log.rows[row.message_id].failure_reason == "retries_exhausted"


# -- Receiving ------------------------------------------------------------------------------------------------------


async def test_an_accepted_referral_is_forwarded_to_intake_and_receipted(exchange: Exchange) -> None:
    message = partner_referral()

    received = await exchange.receive(exchange.from_partner(message))

    assert received.accepted and received.message_id == message.message_id
    row = exchange.log.rows[message.message_id]
    assert (row.direction, row.status, row.counterpart_la, row.submission_id) == (
        Direction.RECEIVED,
        ExchangeStatus.ACCEPTED,
        PARTNER,
        f"exchange-{message.message_id}",
    )
    [forwarded] = exchange.forwarded()
    assert forwarded.submission_id == f"exchange-{message.message_id}"
    assert forwarded.child == CHILD and forwarded.possible_address_here == message.believed_address
    assert forwarded.last_known_school == SCHOOL and forwarded.enquiry == message.reason
    authority = forwarded.enquiring_authority
    assert (authority.organisation_type, authority.local_authority_code, authority.email) == (
        OrganisationType.OTHER_LOCAL_AUTHORITY,
        PARTNER,
        TEAM.email,
    )
    [receipt] = exchange.log.sent(RECEIPT)
    data = opened_data(receipt)
    assert (data["receipt_for"], data["outcome"], data["to_la"]) == (str(message.message_id), "accepted", PARTNER)
    assert exchange.statuses() == []  # nothing here is about one of our children yet


async def test_a_tampered_message_is_refused_kept_with_its_reason_and_changes_nothing_else(exchange: Exchange) -> None:
    message = partner_referral()
    document = seal(message, exchange.partner_key)
    cloud_event = json.loads(base64.b64decode(document["payload"]))
    cloud_event["data"]["reason"] = "something else"
    document["payload"] = base64.b64encode(json.dumps(cloud_event).encode()).decode()

    received = await exchange.receive(json.dumps(document).encode())

    assert (received.accepted, received.reason) == (False, RefusalReason.BAD_SIGNATURE)
    [row] = exchange.rows(direction=Direction.RECEIVED)
    assert (row.status, row.refusal_reason, row.claimed_message_id, row.counterpart_la) == (
        ExchangeStatus.REFUSED,
        RefusalReason.BAD_SIGNATURE.value,
        message.message_id,
        PARTNER,
    )
    assert row.message_id != message.message_id  # a forgery cannot take the genuine message's id
    assert exchange.outbox.published == []
    # The claimed sender is a partner we can reach and the id was readable: it is told, with the reason only.
    [receipt] = exchange.log.sent(RECEIPT)
    assert (opened_data(receipt)["outcome"], opened_data(receipt)["refusal_reason"]) == (
        "refused",
        RefusalReason.BAD_SIGNATURE.value,
    )


async def test_a_message_from_an_unknown_authority_is_refused_without_a_receipt(exchange: Exchange) -> None:
    stranger = SigningKey.generate(STRANGER)

    received = await exchange.receive(exchange.from_partner(partner_referral(from_la=STRANGER), stranger))

    assert received.reason is RefusalReason.UNKNOWN_AUTHORITY
    assert exchange.log.sent() == [] and exchange.outbox.published == []


async def test_bytes_that_are_not_an_envelope_are_refused(exchange: Exchange) -> None:
    received = await exchange.receive(b"this is not JSON")

    assert received.reason is RefusalReason.NOT_AN_ENVELOPE
    [row] = exchange.rows(direction=Direction.RECEIVED)
    assert (row.claimed_message_id, row.counterpart_la, row.type) == (None, None, None)
    assert exchange.log.sent() == [] and exchange.outbox.published == []


async def test_a_replayed_message_is_refused_and_changes_nothing(exchange: Exchange) -> None:
    raw = exchange.from_partner(partner_referral())
    await exchange.receive(raw)
    before_sent, before_published = len(exchange.log.sent()), len(exchange.outbox.published)

    again = await exchange.receive(raw)

    assert (again.accepted, again.reason) == (False, RefusalReason.REPLAYED)
    assert len(exchange.forwarded()) == 1 and len(exchange.outbox.published) == before_published
    assert len(exchange.log.sent()) == before_sent  # no receipt: it may be the sender's own retry that landed


async def test_a_message_reusing_the_id_of_one_we_sent_is_a_replay(exchange: Exchange) -> None:
    ours = await owe_referral(exchange)
    message = partner_referral().model_copy(update={"message_id": ours.message_id})

    assert (await exchange.receive(exchange.from_partner(message))).reason is RefusalReason.REPLAYED


async def test_kafka_redelivering_the_same_offset_is_a_duplicate_not_a_replay(exchange: Exchange) -> None:
    raw = exchange.from_partner(partner_referral())
    await exchange.receive(raw, position="cme.exchange.885.v1:0:7")

    again = await exchange.receive(raw, position="cme.exchange.885.v1:0:7")
    elsewhere = await exchange.receive(raw, position="cme.exchange.885.v1:0:8")

    assert (again.accepted, again.duplicate) == (True, True)
    assert elsewhere.reason is RefusalReason.REPLAYED
    assert len(exchange.forwarded()) == 1


async def test_an_enquiry_about_a_child_on_roll_here_is_answered_with_the_school_and_not_forwarded() -> None:
    exchange = make(True, LookupResult(EnquiryOutcome.KNOWN_ON_ROLL, SCHOOL))
    enquiry = EnquirySentToAuthority(
        message_id=uuid4(),
        from_la=PARTNER,
        to_la=HOME,
        sent_at=NOW,
        sender_case_reference="CME-BBBB2222",
        child=CHILD,
        contact=TEAM,
    )

    await exchange.receive(exchange.from_partner(enquiry))

    assert exchange.lookup.asked == [(CHILD, PARTNER)]
    [answer] = exchange.log.sent(ANSWER)
    data = opened_data(answer)
    assert (data["in_reply_to"], data["outcome"], data["school"]["establishment_id"]) == (
        str(enquiry.message_id),
        "known_on_roll",
        "8842001",
    )
    assert len(exchange.log.sent(RECEIPT)) == 1
    assert exchange.forwarded() == []


async def test_an_enquiry_about_a_child_not_on_roll_is_answered_without_a_school_and_forwarded() -> None:
    exchange = make(True, LookupResult(EnquiryOutcome.KNOWN_NOT_ON_ROLL, SCHOOL))
    enquiry = EnquirySentToAuthority(
        message_id=uuid4(),
        from_la=PARTNER,
        to_la=HOME,
        sent_at=NOW,
        sender_case_reference="CME-BBBB2222",
        child=CHILD,
        possible_address=Address(line1="4 Maybe Close"),
        contact=TEAM,
    )

    await exchange.receive(exchange.from_partner(enquiry))

    [answer] = exchange.log.sent(ANSWER)
    assert (opened_data(answer)["outcome"], opened_data(answer)["school"]) == ("known_not_on_roll", None)
    [forwarded] = exchange.forwarded()
    assert forwarded.possible_address_here == Address(line1="4 Maybe Close") and "CME-BBBB2222" in forwarded.enquiry


async def test_a_receipt_moves_our_message_on_and_is_not_itself_receipted(exchange: Exchange) -> None:
    ours = await owe_referral(exchange)
    await exchange.send_all()
    receipt = MessageReceived(
        message_id=uuid4(),
        from_la=PARTNER,
        to_la=HOME,
        sent_at=NOW,
        receipt_for=ours.message_id,
        received_at=NOW,
        outcome=ReceiptOutcome.ACCEPTED,
    )

    assert (await exchange.receive(exchange.from_partner(receipt))).accepted

    assert exchange.log.rows[ours.message_id].status is ExchangeStatus.RECEIPTED
    assert exchange.log.sent(RECEIPT) == []
    last = exchange.statuses()[-1]
    assert (last.status, last.child_id, last.referral_id) == ("receipted", ours.child_id, ours.referral_id)


async def test_a_refusal_receipt_marks_our_message_refused_for_an_officer(exchange: Exchange) -> None:
    ours = await owe_referral(exchange)
    await exchange.send_all()
    receipt = MessageReceived(
        message_id=uuid4(),
        from_la=PARTNER,
        to_la=HOME,
        sent_at=NOW,
        receipt_for=ours.message_id,
        received_at=NOW,
        outcome=ReceiptOutcome.REFUSED,
        refusal_reason=RefusalReason.UNKNOWN_KEY.value,
    )

    await exchange.receive(exchange.from_partner(receipt))

    last = exchange.statuses()[-1]
    assert (last.status, last.failed, last.detail) == ("refused", True, RefusalReason.UNKNOWN_KEY.value)


async def test_a_reply_from_an_authority_we_did_not_send_to_changes_nothing(exchange: Exchange) -> None:
    ours = await owe_referral(exchange)
    await exchange.send_all()
    ack = ReferralAcknowledged(
        message_id=uuid4(),
        from_la=HTTPS_PARTNER,
        to_la=HOME,
        sent_at=NOW,
        acknowledges=ours.message_id,
        receiver_case_reference="XYZ-1",
        contact=TEAM,
    )

    await exchange.receive(exchange.from_partner(ack, exchange.https_key))

    assert exchange.log.rows[ours.message_id].status is ExchangeStatus.SENT


async def test_an_acknowledgement_correlates_to_our_referral_and_is_receipted(exchange: Exchange) -> None:
    ours = await owe_referral(exchange)
    await exchange.send_all()
    ack = ReferralAcknowledged(
        message_id=uuid4(),
        from_la=PARTNER,
        to_la=HOME,
        sent_at=NOW,
        acknowledges=ours.message_id,
        receiver_case_reference="HER-00042",
        contact=TEAM,
    )

    await exchange.receive(exchange.from_partner(ack))

    row = exchange.log.rows[ours.message_id]
    assert (row.status, row.receiver_reference) == (ExchangeStatus.ACKNOWLEDGED, "HER-00042")
    last = exchange.statuses()[-1]
    assert (last.status, last.detail, last.failed) == ("acknowledged", "HER-00042", False)
    [receipt] = exchange.log.sent(RECEIPT)
    assert opened_data(receipt)["receipt_for"] == str(ack.message_id)


async def test_an_answer_correlates_to_our_enquiry(exchange: Exchange) -> None:
    enquiry = referred(AuthorityContactKind.ENQUIRY)
    await exchange.service.on_case_referred(TRANSACTION, attributes_of(enquiry), enquiry)
    [ours] = exchange.log.sent(ENQUIRY)
    answer = EnquiryAnswered(
        message_id=uuid4(),
        from_la=PARTNER,
        to_la=HOME,
        sent_at=NOW,
        in_reply_to=ours.message_id,
        outcome=EnquiryOutcome.KNOWN_ON_ROLL,
        school=SCHOOL,
        contact=TEAM,
    )

    await exchange.receive(exchange.from_partner(answer))

    last = exchange.statuses()[-1]
    assert (last.status, last.detail, last.case_id) == ("answered", "known_on_roll at 8842001", enquiry.case_id)


# -- Acknowledging a partner's referral -----------------------------------------------------------------------------


async def receive_referral(exchange: Exchange) -> ReferralSentToAuthority:
    message = partner_referral()
    await exchange.receive(exchange.from_partner(message))
    return message


async def test_a_forwarded_referral_triage_finds_not_missing_is_acknowledged_at_once(exchange: Exchange) -> None:
    message = await receive_referral(exchange)
    made = decision(None, submission_id=f"exchange-{message.message_id}", is_cme=False)

    await exchange.service.on_triage_decided(TRANSACTION, attributes_of(made), made)

    [ack] = exchange.log.sent(ACKNOWLEDGEMENT)
    data = opened_data(ack)
    assert (data["acknowledges"], data["to_la"]) == (str(message.message_id), PARTNER)
    assert data["receiver_case_reference"] == f"REF-{str(made.referral_id)[:8].upper()}"
    assert exchange.log.rows[message.message_id].status is ExchangeStatus.ACKNOWLEDGED


async def test_a_forwarded_referral_is_acknowledged_with_our_case_reference_when_its_case_opens(
    exchange: Exchange,
) -> None:
    message = await receive_referral(exchange)
    made = decision(None, submission_id=f"exchange-{message.message_id}", is_cme=True)
    await exchange.service.on_triage_decided(TRANSACTION, attributes_of(made), made)
    assert exchange.log.sent(ACKNOWLEDGEMENT) == []
    opened = CaseOpened(
        case_id=uuid4(),
        child_id=made.child_id,
        referral_id=made.referral_id,
        opened_at=NOW,
        priority=Priority.P2,
        track=Track.CME_ENQUIRY,
        due_date=date(2026, 12, 30),
        child=CHILD,
    )

    await exchange.service.on_case_opened(TRANSACTION, attributes_of(opened), opened)
    await exchange.service.on_case_opened(TRANSACTION, attributes_of(opened), opened)  # once only

    [ack] = exchange.log.sent(ACKNOWLEDGEMENT)
    assert opened_data(ack)["receiver_case_reference"] == f"CME-{str(opened.case_id)[:8].upper()}"
    assert (ack.case_id, ack.child_id) == (opened.case_id, opened.child_id)


# -- The acknowledgement deadline -----------------------------------------------------------------------------------


async def test_an_unacknowledged_referral_is_chased_once_then_marked_unacknowledged(exchange: Exchange) -> None:
    ours = await owe_referral(exchange)
    await exchange.send_all()
    assert exchange.log.rows[ours.message_id].ack_due_on == date(2026, 12, 10)

    nothing = await exchange.service.run_due(TRANSACTION, datetime(2026, 12, 10, 17, 0, tzinfo=UTC))
    exchange.clock.now = datetime(2026, 12, 11, 9, 0, tzinfo=UTC)
    first = await exchange.service.run_due(TRANSACTION, exchange.clock.now)
    again = await exchange.service.run_due(TRANSACTION, exchange.clock.now)

    assert (nothing.chased, first.chased, again.chased) == (0, 1, 0)
    [chase] = [row for row in exchange.log.sent(REFERRAL) if row.correlates_to == ours.message_id]
    assert chase.message_id != ours.message_id
    original_data, chase_data = opened_data(exchange.log.rows[ours.message_id]), opened_data(chase)
    assert {k: v for k, v in chase_data.items() if k not in {"message_id", "sent_at"}} == {
        k: v for k, v in original_data.items() if k not in {"message_id", "sent_at"}
    }
    assert exchange.log.rows[ours.message_id].status is ExchangeStatus.CHASED
    await exchange.send_all()
    assert exchange.log.rows[chase.message_id].ack_due_on == date(2026, 12, 18)

    exchange.clock.now = datetime(2026, 12, 21, 9, 0, tzinfo=UTC)
    late = await exchange.service.run_due(TRANSACTION, exchange.clock.now)

    assert late.unacknowledged == 1
    assert exchange.log.rows[ours.message_id].status is ExchangeStatus.UNACKNOWLEDGED
    last = [each for each in exchange.statuses() if each.message_id == ours.message_id][-1]
    assert (last.status, last.failed) == ("unacknowledged", True)


async def test_an_acknowledgement_of_the_chase_acknowledges_the_referral(exchange: Exchange) -> None:
    ours = await owe_referral(exchange)
    await exchange.send_all()
    exchange.clock.now = datetime(2026, 12, 11, 9, 0, tzinfo=UTC)
    await exchange.service.run_due(TRANSACTION, exchange.clock.now)
    [chase] = [row for row in exchange.log.sent(REFERRAL) if row.correlates_to == ours.message_id]
    await exchange.send_all()
    ack = ReferralAcknowledged(
        message_id=uuid4(),
        from_la=PARTNER,
        to_la=HOME,
        sent_at=NOW,
        acknowledges=chase.message_id,
        receiver_case_reference="HER-00043",
        contact=TEAM,
    )

    await exchange.receive(exchange.from_partner(ack))

    assert exchange.log.rows[ours.message_id].status is ExchangeStatus.ACKNOWLEDGED
    assert exchange.log.rows[chase.message_id].status is ExchangeStatus.ACKNOWLEDGED
    exchange.clock.now = datetime(2026, 12, 21, 9, 0, tzinfo=UTC)
    assert (await exchange.service.run_due(TRANSACTION, exchange.clock.now)).unacknowledged == 0


async def test_the_traffic_view_lists_newest_first_without_envelopes(exchange: Exchange) -> None:
    ours = await owe_referral(exchange)
    await exchange.receive(b"garbage")

    traffic = await exchange.service.traffic(TRANSACTION)

    assert [row.direction for row in traffic] == [Direction.RECEIVED, Direction.SENT]
    assert all(row.envelope is None for row in traffic)
    refused = await exchange.service.traffic(TRANSACTION, status=ExchangeStatus.REFUSED)
    assert [row.status for row in refused] == [ExchangeStatus.REFUSED]
    assert replace(traffic[1], envelope=None).message_id == ours.message_id
    assert isinstance(ours.message_id, UUID)
