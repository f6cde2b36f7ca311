"""Messages notify has recorded for delivery to people outside the CME team."""

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from contracts import topics
from contracts.base import Event
from contracts.events.common_v1 import LaCode


class MessageRecorded(Event):
    event_type: ClassVar[str] = "cme.notify.message.recorded.v1"
    topic: ClassVar[str] = topics.NOTIFY_MESSAGES

    message_id: UUID
    case_id: UUID
    child_id: UUID
    recorded_at: datetime
    recipient_role: str
    channel: str
    purpose: str
    status: str


class MessageStatusChanged(Event):
    """A message notify owes someone moved on: sent to GOV.UK Notify, delivered, or failed.

    Carries no recipient address or content: the case timeline needs to know who (by role) was told what (by
    purpose) and whether it arrived; a failure needs an officer to reach the recipient another way.
    """

    event_type: ClassVar[str] = "cme.notify.message.status_changed.v1"
    topic: ClassVar[str] = topics.NOTIFY_MESSAGES

    message_id: UUID
    child_id: UUID
    case_id: UUID | None = Field(
        default=None, description="None for messages owed before a case exists (a Family Front Door referral)"
    )
    referral_id: UUID | None = None
    changed_at: datetime
    recipient_role: str
    channel: str
    purpose: str
    status: str = Field(
        description="GOV.UK Notify's status words: created, sending, delivered, permanent-failure, "
        "temporary-failure, technical-failure"
    )
    failed: bool = Field(default=False, description="Final: the message will not arrive; an officer must act")
    reason: str | None = Field(default=None, description="Coded: rejected, retries_exhausted, provider; no data")
    attempts: int = 0
    counterpart_la: LaCode | None = Field(
        default=None, description="For cross-LA exchange messages (channel `exchange`): the other authority"
    )
    direction: str = Field(default="sent", description="sent (by this authority) or received (from another)")
    detail: str | None = Field(
        default=None,
        max_length=200,
        description="No personal data: for exchange messages, the other authority's reference or a refusal reason",
    )
