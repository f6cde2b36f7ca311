"""The cross-LA exchange's pure rules: who is owed a referral, how statuses move, when a referral is chased or
given up on, which messages are owed a receipt, and what a refused message's claims can tell us."""

import base64
import json
from datetime import date
from uuid import uuid4

import pytest
from pydantic import ValidationError

from contracts.reference.school_days import SchoolCalendar
from services.notify.domain.exchange import (
    ACKNOWLEDGEMENT,
    ANSWER,
    ENQUIRY,
    RECEIPT,
    REFERRAL,
    ExchangeStatus,
    acknowledgement_due_on,
    chase_due,
    expects_acknowledgement,
    forward_enquiry,
    may_move,
    peek,
    receipt_owed,
    referral_owed_to,
    referral_reason,
    refusal_receipt_owed,
    unacknowledged_due,
)
from services.notify.settings import NotifySettings

S = ExchangeStatus


def test_a_child_who_moved_to_another_authority_is_owed_a_referral_there() -> None:
    assert referral_owed_to("884", "885") == "884"


def test_no_referral_when_no_authority_is_named_or_it_is_our_own() -> None:
    assert referral_owed_to(None, "885") is None
    assert referral_owed_to("885", "885") is None


def test_only_a_referral_expects_an_acknowledgement() -> None:
    assert expects_acknowledgement(REFERRAL)
    assert not any(expects_acknowledgement(kind) for kind in (ENQUIRY, ANSWER, RECEIPT, ACKNOWLEDGEMENT))


def test_the_acknowledgement_is_due_five_school_days_after_sending_skipping_weekends_and_bank_holidays() -> None:
    calendar = SchoolCalendar()
    # Thursday 24 December 2026: Christmas Day, Boxing Day (Monday 28th substitute), weekends skipped.
    assert acknowledgement_due_on(calendar, date(2026, 12, 3), 5) == date(2026, 12, 10)
    assert acknowledgement_due_on(calendar, date(2026, 12, 24), 5) == date(2027, 1, 5)


def test_statuses_only_move_forward_and_final_ones_stay() -> None:
    assert may_move(S.PENDING, S.SENT)
    assert may_move(S.SENT, S.RECEIPTED)
    assert not may_move(S.RECEIPTED, S.SENT)  # a late sender's record never undoes a receipt
    assert may_move(S.CHASED, S.ACKNOWLEDGED)
    assert may_move(S.UNACKNOWLEDGED, S.ACKNOWLEDGED)  # a late acknowledgement is still good news
    assert not may_move(S.ACKNOWLEDGED, S.RECEIPTED)
    assert not may_move(S.FAILED, S.SENT)
    assert not may_move(S.REFUSED, S.ACKNOWLEDGED)
    assert not may_move(S.SENT, S.SENT)


def test_a_referral_is_chased_once_when_its_acknowledgement_is_overdue() -> None:
    due = date(2026, 12, 10)
    assert not chase_due(status=S.SENT, ack_due_on=due, today=due, is_chase=False, chased=False)
    assert chase_due(status=S.SENT, ack_due_on=due, today=date(2026, 12, 11), is_chase=False, chased=False)
    assert chase_due(status=S.RECEIPTED, ack_due_on=due, today=date(2026, 12, 11), is_chase=False, chased=False)
    assert not chase_due(status=S.RECEIPTED, ack_due_on=due, today=date(2026, 12, 11), is_chase=False, chased=True)
    assert not chase_due(status=S.SENT, ack_due_on=due, today=date(2026, 12, 11), is_chase=True, chased=False)
    assert not chase_due(status=S.ACKNOWLEDGED, ack_due_on=due, today=date(2026, 12, 11), is_chase=False, chased=False)


def test_the_original_is_unacknowledged_only_once_its_chase_is_overdue_too() -> None:
    due = date(2026, 12, 17)
    args = {"original_status": S.CHASED, "chase_status": S.SENT, "chase_ack_due_on": due}
    assert not unacknowledged_due(**args, today=due)  # type: ignore[arg-type]
    assert unacknowledged_due(**args, today=date(2026, 12, 18))  # type: ignore[arg-type]
    assert not unacknowledged_due(
        original_status=S.ACKNOWLEDGED, chase_status=S.SENT, chase_ack_due_on=due, today=date(2026, 12, 18)
    )


def test_every_accepted_message_but_a_receipt_is_receipted() -> None:
    assert all(receipt_owed(kind) for kind in (REFERRAL, ENQUIRY, ANSWER, ACKNOWLEDGEMENT))
    assert not receipt_owed(RECEIPT)


def test_a_refusal_receipt_goes_only_to_a_known_partner_about_a_readable_id_and_never_for_a_replay() -> None:
    message_id = uuid4()
    owed = {"message_type": REFERRAL, "message_id": message_id, "claimed_la": "884", "partner_known": True}
    assert refusal_receipt_owed(**owed, replayed=False)  # type: ignore[arg-type]
    assert not refusal_receipt_owed(**owed, replayed=True)  # type: ignore[arg-type]
    assert not refusal_receipt_owed(**{**owed, "partner_known": False}, replayed=False)  # type: ignore[arg-type]
    assert not refusal_receipt_owed(**{**owed, "message_id": None}, replayed=False)  # type: ignore[arg-type]
    assert not refusal_receipt_owed(**{**owed, "message_type": RECEIPT}, replayed=False)  # type: ignore[arg-type]


def test_an_enquiry_is_forwarded_to_our_team_unless_the_child_is_on_a_roll_here() -> None:
    assert forward_enquiry(known_on_roll=False)
    assert not forward_enquiry(known_on_roll=True)


def test_the_referrals_reason_is_in_words_with_the_ground_and_the_authority() -> None:
    assert referral_reason("leaver", "9(1)(g)", "Herefordshire") == (
        "The child left their school roll (leaving ground 9(1)(g)); the information we hold says the family moved "
        "to Herefordshire."
    )
    assert referral_reason("unheard_of", None, None).endswith("moved to your area.")


def test_peek_reads_what_a_message_claims_without_trusting_it() -> None:
    message_id = uuid4()
    cloud_event = {"id": str(message_id), "source": "/la/884", "type": REFERRAL}
    raw = json.dumps({"payload": base64.b64encode(json.dumps(cloud_event).encode()).decode()}).encode()

    claims = peek(raw)

    assert (claims.message_id, claims.claimed_la, claims.message_type) == (message_id, "884", REFERRAL)


def test_peek_of_bytes_that_are_not_an_envelope_claims_nothing() -> None:
    for raw in (b"not json", b"{}", b'{"payload": "%%%"}', json.dumps({"payload": "bnVsbA=="}).encode()):
        claims = peek(raw)
        assert (claims.message_id, claims.claimed_la, claims.message_type) == (None, None, None)
    odd = {"id": "not-a-uuid", "source": "/la/../etc", "type": REFERRAL}
    claims = peek(json.dumps({"payload": base64.b64encode(json.dumps(odd).encode()).decode()}).encode())
    assert (claims.message_id, claims.claimed_la) == (None, None)


def test_an_https_partner_without_a_url_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError):
        NotifySettings(exchange_partners={"893": {"transport": "https"}})
    settings = NotifySettings(exchange_partners={"884": {"transport": "kafka"}})
    assert settings.exchange_partners["884"].transport == "kafka"
