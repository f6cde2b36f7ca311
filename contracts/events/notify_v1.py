"""Messages notify has recorded for delivery to people outside the CME team."""

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from contracts import topics
from contracts.base import Event


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
