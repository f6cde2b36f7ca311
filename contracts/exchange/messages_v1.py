"""Version 1 of the exchange messages: a CME referral, an enquiry, its answer, a receipt and an acknowledgement.

Every message names the sending and the receiving authority by DfE LA code and carries no more about the child than
the receiving team needs to find them (policy §4.1, §11.5): names, date of birth, the last known address, the
school, and how to reach the sending team.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from contracts.base import Event
from contracts.events.common_v1 import Address, Child, LaCode, Part, School

# The exchange's topic family. Each authority reads its own topic, `cme.exchange.<LA code>.v1`, and partners may
# only write to it (ACLs), so one authority never reads another's children.
EXCHANGE_TOPIC = "cme.exchange.v1"


def exchange_topic(la_code: str) -> str:
    """The topic an authority receives exchange messages on."""
    return f"cme.exchange.{la_code}.v1"


def la_source(la_code: str) -> str:
    """The CloudEvents `source` of everything an authority sends: its key must belong to the same authority."""
    return f"/la/{la_code}"


class TeamContact(Part):
    team: str = Field(max_length=200, description="The sending authority's CME team")
    email: str = Field(max_length=320)
    phone: str | None = Field(default=None, max_length=40)


class ExchangeMessage(Event):
    """What every exchange message carries. The CloudEvents id is the message id: a receiver refuses one seen
    before (a replay)."""

    topic: ClassVar[str] = EXCHANGE_TOPIC

    message_id: UUID
    from_la: LaCode
    to_la: LaCode
    sent_at: datetime


class ReferralSentToAuthority(ExchangeMessage):
    """Policy §4.1: a child of compulsory school age has moved to the receiving authority's area, or is believed to
    have, and is on no school roll there that the sender knows of. An acknowledgement is expected."""

    event_type: ClassVar[str] = "cme.exchange.referral.v1"

    sender_case_reference: str = Field(max_length=40, description="The sending team's case reference")
    child: Child
    last_known_address: Address | None = None
    believed_address: Address | None = Field(default=None, description="Where the child may now live")
    previous_school: School | None = None
    left_school_on: date | None = None
    reason: str = Field(max_length=2000, description="Why the sender believes the child is in the receiver's area")
    contact: TeamContact


class EnquirySentToAuthority(ExchangeMessage):
    """Is this child known to you? (policy §11.5: checks with the authority a family may have moved to)."""

    event_type: ClassVar[str] = "cme.exchange.enquiry.v1"

    sender_case_reference: str = Field(max_length=40)
    child: Child
    possible_address: Address | None = None
    contact: TeamContact


class EnquiryOutcome(StrEnum):
    KNOWN_ON_ROLL = "known_on_roll"
    KNOWN_NOT_ON_ROLL = "known_not_on_roll"
    NOT_KNOWN = "not_known"


class EnquiryAnswered(ExchangeMessage):
    """The answer to an enquiry: known to us or not, with the minimum: the school the child is on roll at, if any."""

    event_type: ClassVar[str] = "cme.exchange.answer.v1"

    in_reply_to: UUID = Field(description="The enquiry's message id")
    outcome: EnquiryOutcome
    school: School | None = None
    contact: TeamContact


class ReceiptOutcome(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"


class MessageReceived(ExchangeMessage):
    """A receipt for every exchange message received: accepted, or refused with the reason (never its content)."""

    event_type: ClassVar[str] = "cme.exchange.receipt.v1"

    receipt_for: UUID = Field(description="The received message's id")
    received_at: datetime
    outcome: ReceiptOutcome
    refusal_reason: str | None = Field(default=None, max_length=500)


class ReferralAcknowledged(ExchangeMessage):
    """The receiving team has the referral in hand: its own case reference, so the sender can close or chase."""

    event_type: ClassVar[str] = "cme.exchange.acknowledgement.v1"

    acknowledges: UUID = Field(description="The referral's message id")
    receiver_case_reference: str = Field(max_length=40)
    contact: TeamContact
