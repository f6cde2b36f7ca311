"""Which messages the CME team owes to people outside it, and what they say."""

from dataclasses import dataclass
from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"


class Purpose(StrEnum):
    SOCIAL_WORKER_CASE_OPENED = "social_worker_case_opened"


@dataclass(frozen=True)
class CaseOpenedFacts:
    open_to_social_care: bool
    social_worker_name: str | None
    social_worker_email: str | None
    case_reference: str
    authority_name: str


@dataclass(frozen=True)
class OutgoingMessage:
    purpose: Purpose
    channel: Channel
    recipient_role: str
    recipient_name: str
    recipient_address: str
    subject: str
    body: str


def social_worker_message(facts: CaseOpenedFacts) -> OutgoingMessage | None:
    """Policy §11.2: when a CME case opens for a child open to social care, contact the named social worker."""
    if not (facts.open_to_social_care and facts.social_worker_name and facts.social_worker_email):
        return None
    return OutgoingMessage(
        purpose=Purpose.SOCIAL_WORKER_CASE_OPENED,
        channel=Channel.EMAIL,
        recipient_role="social_worker",
        recipient_name=facts.social_worker_name,
        recipient_address=facts.social_worker_email,
        subject=f"Children Missing Education case {facts.case_reference} opened",
        body=(
            f"Dear {facts.social_worker_name},\n\n"
            f"{facts.authority_name}'s Children Missing Education team has opened case {facts.case_reference} "
            "for a child on your caseload who appears to be missing education. A CME officer will contact you "
            "to share what each of us knows. Please sign in to the case management system to see the details; "
            "this message carries no personal information.\n"
        ),
    )
