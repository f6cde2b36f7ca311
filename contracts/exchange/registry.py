"""Every exchange message contract, by CloudEvents type."""

from contracts.base import Event
from contracts.exchange.messages_v1 import (
    EnquiryAnswered,
    EnquirySentToAuthority,
    MessageReceived,
    ReferralAcknowledged,
    ReferralSentToAuthority,
)

EXCHANGE_TYPES: tuple[type[Event], ...] = (
    ReferralSentToAuthority,
    EnquirySentToAuthority,
    EnquiryAnswered,
    MessageReceived,
    ReferralAcknowledged,
)

BY_TYPE: dict[str, type[Event]] = {message.event_type: message for message in EXCHANGE_TYPES}
