"""Messages notify sent or received about a child, as casework keeps them for the case page, and the tasks the
cross-LA exchange owes a person (issue 9).

Notify reports each message's status as it moves (`cme.notify.message.status_changed.v1`); casework keeps one row
per message with its newest status, and when (if ever) it was receipted and acknowledged. Nothing here holds
personal data: roles, purposes, LA codes, statuses, the other authority's reference or a coded refusal.

The task rules:

- A message that will not arrive, about a child with no case open here (an outbound referral for a child whose case
  was never opened here, then unacknowledged), must still reach a person: a task with no case, for the CME lead
  officer (the named point of referral; the team when there is not exactly one), titled with the LA code and the
  purpose.
- The other authority acknowledged our CME referral: the child is known there. DOMAIN: "moved to another LA: tell
  that LA, close when acknowledged", and a person closes a case, not the machine: a task for the case's officer.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from services.casework.domain.case import Case
from services.casework.domain.tasks import MAX_TITLE_LENGTH, TaskDraft, TaskKind, case_task
from services.casework.domain.vocabulary import Priority

EXCHANGE_CHANNEL: Final = "exchange"
OTHER_AUTHORITY: Final = "other_local_authority"
SENT: Final = "sent"
RECEIVED: Final = "received"
REFERRAL_PURPOSE: Final = "authority_referral"
ENQUIRY_PURPOSE: Final = "authority_enquiry"
RECEIPTED: Final = "receipted"
ACKNOWLEDGED: Final = "acknowledged"
PENDING: Final = "pending"

PURPOSE_WORDS: Final = {
    REFERRAL_PURPOSE: "CME referral",
    ENQUIRY_PURPOSE: "Enquiry: is the child known there",
    "enquiry_answer": "Answer to an enquiry",
    "receipt": "Receipt",
    "acknowledgement": "Acknowledgement",
}
STATUS_WORDS: Final = {
    PENDING: "Pending",
    "sent": "Sent",
    RECEIPTED: "Receipted",
    "refused": "Refused",
    ACKNOWLEDGED: "Acknowledged",
    "answered": "Answered",
    "chased": "Chased",
    "unacknowledged": "Not acknowledged",
    "failed": "Failed",
    "created": "Created",
    "sending": "Sending",
    "delivered": "Delivered",
    "permanent-failure": "Not delivered",
    "temporary-failure": "Not delivered yet",
    "technical-failure": "Not delivered (technical problem)",
}
ROLE_WORDS: Final = {
    "social_worker": "Social worker",
    "family_front_door": "Family Front Door",
    "school": "School",
}


def purpose_words(purpose: str) -> str:
    return PURPOSE_WORDS.get(purpose) or purpose.replace("_", " ").capitalize()


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status) or status.replace("_", " ").replace("-", " ").capitalize()


def counterpart_words(recipient_role: str, counterpart_la: str | None) -> str:
    """Who is at the other end, in words: "Local authority 886" for the exchange, else the role."""
    if counterpart_la:
        return f"Local authority {counterpart_la}"
    if recipient_role == OTHER_AUTHORITY:
        return "Another local authority"
    return ROLE_WORDS.get(recipient_role) or recipient_role.replace("_", " ").capitalize()


@dataclass(frozen=True)
class MessageUpdate:
    """One status a message reached, as notify reported it (the contract's fields casework uses)."""

    message_id: str
    child_id: str
    case_id: str | None
    changed_at: datetime
    recipient_role: str
    channel: str
    purpose: str
    status: str
    failed: bool = False
    reason: str | None = None
    counterpart_la: str | None = None
    direction: str = SENT
    detail: str | None = None

    @property
    def is_exchange(self) -> bool:
        return self.channel == EXCHANGE_CHANNEL

    @property
    def who(self) -> str:
        return counterpart_words(self.recipient_role, self.counterpart_la)


@dataclass(frozen=True)
class CaseMessage:
    """A message as the case page lists it: its newest status, and when it was receipted and acknowledged."""

    message_id: str
    child_id: str
    case_id: str | None
    direction: str
    recipient_role: str
    counterpart_la: str | None
    channel: str
    purpose: str
    status: str
    failed: bool
    detail: str | None
    first_at: datetime
    changed_at: datetime
    receipted_at: datetime | None = None
    acknowledged_at: datetime | None = None
    requested_here: bool = False
    """A row casework wrote when the officer sent the request, before notify reported on it."""

    @property
    def who(self) -> str:
        return counterpart_words(self.recipient_role, self.counterpart_la)

    @property
    def what(self) -> str:
        return purpose_words(self.purpose)

    @property
    def status_text(self) -> str:
        return status_words(self.status)


def receipt_times(update: MessageUpdate) -> tuple[datetime | None, datetime | None]:
    """(receipted at, acknowledged at) this update tells: an acknowledgement means the message was received too."""
    if update.status == ACKNOWLEDGED:
        return update.changed_at, update.changed_at
    if update.status == RECEIPTED:
        return update.changed_at, None
    return None, None


# ---------------------------------------------------------------------- tasks


def _subject(update: MessageUpdate) -> str:
    if update.is_exchange:
        return f"LA {update.counterpart_la or 'unknown'}, {purpose_words(update.purpose)}"
    return f"{update.who}, {purpose_words(update.purpose)}"


def task_without_case(update: MessageUpdate, lead_officer_id: str | None, on: date) -> TaskDraft | None:
    """A failed message (failed, unacknowledged, refused) about a child with no case open here: a task with no case
    for the lead officer, or the team. One per message (the same key as a failed message on a case)."""
    if not update.failed or update.case_id is not None:
        return None
    title = (
        f"{_subject(update)}: {status_words(update.status).lower()}, and the child has no open case here. "
        "Decide what to do and record it"
    )
    return TaskDraft(
        natural_key=f"{TaskKind.MESSAGE_FAILED.value}:{update.message_id}",
        kind=TaskKind.EXCHANGE_WITHOUT_CASE,
        title=title[:MAX_TITLE_LENGTH],
        due_on=on,
        # No case means no priority was set; an unanswered message about a possibly missing child comes before P3.
        priority=Priority.P2,
        child_id=update.child_id,
        case_id=None,
        assignee_id=lead_officer_id,
    )


def acknowledged_referral_task(case: Case, update: MessageUpdate, on: date) -> TaskDraft | None:
    """The other authority acknowledged our CME referral: the case's officer closes the case if the child is in
    education there (the machine never closes it). Only for an open case."""
    acknowledged_our_referral = (
        update.is_exchange and update.direction == SENT and update.purpose == REFERRAL_PURPOSE
        and update.status == ACKNOWLEDGED
    )
    if not acknowledged_our_referral or not case.is_open:
        return None
    reference = f"their reference {update.detail}" if update.detail else "no reference given"
    return case_task(
        case,
        TaskKind.AUTHORITY_ACKNOWLEDGED,
        key=update.message_id,
        title=(
            f"LA {update.counterpart_la or 'unknown'} acknowledged the referral ({reference}): "
            "close the case if the child is in education there"
        )[:MAX_TITLE_LENGTH],
        due_on=on,
        assignee_id=case.lead_officer_oversight or case.officer_id,
    )


def sole_lead_officer(lead_officer_ids: list[str]) -> str | None:
    """The lead officer a task with no case goes to: the one named lead officer, else the team (None), so the task
    is never assigned to one of several by chance."""
    return lead_officer_ids[0] if len(lead_officer_ids) == 1 else None
