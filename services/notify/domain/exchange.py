"""The cross-LA exchange's rules: when another authority is owed a message, what status a message may move to, when
a referral is chased or given up on, and which received messages are owed a receipt.

Pure: the service layer reads the facts from events and the exchange log, asks these rules, and acts on the answer.
"""

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from contracts.reference.school_days import SchoolCalendar

REFERRAL = "cme.exchange.referral.v1"
ENQUIRY = "cme.exchange.enquiry.v1"
ANSWER = "cme.exchange.answer.v1"
RECEIPT = "cme.exchange.receipt.v1"
ACKNOWLEDGEMENT = "cme.exchange.acknowledgement.v1"

# The purpose a message has on the case timeline (MessageStatusChanged.purpose), by exchange type.
PURPOSES = {
    REFERRAL: "authority_referral",
    ENQUIRY: "authority_enquiry",
    ANSWER: "enquiry_answer",
    RECEIPT: "receipt",
    ACKNOWLEDGEMENT: "acknowledgement",
}

CHANNEL = "exchange"
RECIPIENT_ROLE = "other_local_authority"


class Direction(StrEnum):
    SENT = "sent"
    RECEIVED = "received"


class ExchangeStatus(StrEnum):
    # Outbound: owed, handed to the partner's transport, then what the partner said.
    PENDING = "pending"
    SENT = "sent"
    RECEIPTED = "receipted"  # an accepted receipt came back
    CHASED = "chased"  # the acknowledgement was overdue: the referral was sent again, once
    UNACKNOWLEDGED = "unacknowledged"  # the chase went unacknowledged too: an officer must phone
    ACKNOWLEDGED = "acknowledged"
    ANSWERED = "answered"
    REFUSED = "refused"  # a refusal receipt came back (outbound), or we refused it (inbound)
    FAILED = "failed"  # could not be delivered (no route, not configured, rejected, retries exhausted)
    # Inbound only.
    ACCEPTED = "accepted"


class FailureReason(StrEnum):
    NOT_CONFIGURED = "exchange_not_configured"
    NO_ROUTE = "no_route_to_authority"
    REJECTED = "rejected"  # the partner's endpoint answered 4xx: resending the same bytes cannot help
    RETRIES_EXHAUSTED = "retries_exhausted"


# Statuses an officer must act on: casework raises a task for MessageStatusChanged(failed=True).
NEEDS_AN_OFFICER = frozenset({ExchangeStatus.FAILED, ExchangeStatus.UNACKNOWLEDGED, ExchangeStatus.REFUSED})
FINAL = frozenset({ExchangeStatus.ACKNOWLEDGED, ExchangeStatus.ANSWERED, ExchangeStatus.REFUSED, ExchangeStatus.FAILED})
# Progress of an outbound message, so that a late receipt never overwrites an acknowledgement. Unacknowledged is
# not final: a late acknowledgement is still good news and is kept.
_RANK = {
    ExchangeStatus.PENDING: 0,
    ExchangeStatus.SENT: 1,
    ExchangeStatus.RECEIPTED: 2,
    ExchangeStatus.CHASED: 3,
    ExchangeStatus.UNACKNOWLEDGED: 4,
}


def may_move(current: ExchangeStatus, new: ExchangeStatus) -> bool:
    """A final status never changes; otherwise a status only moves forward (a final one is always forward)."""
    if current in FINAL or new == current:
        return False
    if new in FINAL:
        return True
    return _RANK.get(new, -1) > _RANK.get(current, -1)


def referral_owed_to(refer_to_authority: str | None, home_la_code: str) -> str | None:
    """Policy §4.1: triage found the child moved to another English authority, which is owed a CME referral.
    Never to ourselves: a move within the county is our own team's business."""
    if refer_to_authority is None or refer_to_authority == home_la_code:
        return None
    return refer_to_authority


def expects_acknowledgement(message_type: str) -> bool:
    """A referral is acknowledged (and chased when it is not); an enquiry is answered, and needs no chase."""
    return message_type == REFERRAL


def acknowledgement_due_on(calendar: SchoolCalendar, sent_on: date, school_days: int) -> date:
    return calendar.add_school_days(sent_on, school_days)


def chase_due(*, status: ExchangeStatus, ack_due_on: date | None, today: date, is_chase: bool, chased: bool) -> bool:
    """The acknowledgement is overdue: chase once (never a chase of a chase, never twice)."""
    if is_chase or chased or ack_due_on is None:
        return False
    return status in {ExchangeStatus.SENT, ExchangeStatus.RECEIPTED} and today > ack_due_on


def unacknowledged_due(
    *, original_status: ExchangeStatus, chase_status: ExchangeStatus, chase_ack_due_on: date | None, today: date
) -> bool:
    """The chase went unacknowledged too: the original is given up on, for an officer to follow up by phone."""
    if original_status != ExchangeStatus.CHASED or chase_ack_due_on is None:
        return False
    return chase_status in {ExchangeStatus.SENT, ExchangeStatus.RECEIPTED} and today > chase_ack_due_on


def receipt_owed(message_type: str) -> bool:
    """Every accepted message is receipted, except a receipt: a receipt for a receipt would never end."""
    return message_type != RECEIPT


def refusal_receipt_owed(
    *, message_type: str | None, message_id: UUID | None, claimed_la: str | None, partner_known: bool, replayed: bool
) -> bool:
    """A refused message gets a refusal receipt only when we know whom to tell and what about: its claimed authority
    is a partner we can reach and its id was readable. Never for a receipt, and never for a replay: the sender's own
    retry of a message that did arrive is a replay, and a refusal would wrongly tell it the message was refused."""
    if replayed or message_id is None or claimed_la is None or not partner_known:
        return False
    return message_type != RECEIPT


def forward_enquiry(known_on_roll: bool) -> bool:
    """Policy §4.1: a child on a roll here is found; otherwise our team looks for the child."""
    return not known_on_roll


_KIND_WORDS = {
    "leaver": "left their school roll",
    "joiner": "did not arrive at the school expected",
    "absence": "stopped attending school",
    "sickness_15_day": "has been absent through sickness for 15 school days or more",
    "part_time_timetable": "is on a part-time timetable",
    "social_care_no_education": "was referred by social care as receiving no education",
    "social_care_leaving_area": "was reported by social care as leaving the area",
    "professional_referral": "was referred by a professional as missing education",
    "la_enquiry": "was the subject of another authority's enquiry",
    "ctf_bulk": "was sent to the Lost Pupil Database",
}


def referral_reason(kind: str, ground_code: str | None, destination_authority: str | None) -> str:
    """Why the child is believed to be in the receiving authority's area, in words a CME officer can read."""
    what = _KIND_WORDS.get(kind, "was referred to us")
    ground = f" (leaving ground {ground_code})" if ground_code else ""
    where = f" {destination_authority}" if destination_authority else " your area"
    return f"The child {what}{ground}; the information we hold says the family moved to{where}."


@dataclass(frozen=True)
class Peeked:
    """What a refused message claims about itself, read without trusting it: only for the audit row and for
    deciding whether a refusal receipt can be addressed. Never its content."""

    message_id: UUID | None = None
    claimed_la: str | None = None
    message_type: str | None = None


def peek(raw: bytes) -> Peeked:
    try:
        document = json.loads(raw)
        cloud_event = json.loads(base64.b64decode(document["payload"], validate=True))
    except (ValueError, TypeError, KeyError, binascii.Error):
        return Peeked()
    if not isinstance(cloud_event, dict):
        return Peeked()
    try:
        message_id: UUID | None = UUID(str(cloud_event.get("id")))
    except ValueError:
        message_id = None
    source = cloud_event.get("source")
    claimed = source.removeprefix("/la/") if isinstance(source, str) and source.startswith("/la/") else None
    if claimed is not None and not (len(claimed) == 3 and claimed.isdigit()):
        claimed = None
    kind = cloud_event.get("type")
    return Peeked(message_id, claimed, kind if isinstance(kind, str) and len(kind) <= 100 else None)


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
