"""Which messages the CME team owes to people outside it, and what each carries.

Each rule reads facts taken from an event and returns the message owed, or None. A message names a GOV.UK Notify
template kind (its purpose and channel) and the personalisation for it: no more personal data than the recipient
needs (a social worker already knows the child on their caseload, so gets the case reference; the Family Front Door
must identify the child to take the referral, so gets the name and date of birth).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"
    LETTER = "letter"


class Purpose(StrEnum):
    SOCIAL_WORKER_CASE_OPENED = "social_worker_case_opened"
    SOCIAL_WORKER_CASE_UPDATED = "social_worker_case_updated"
    FAMILY_FRONT_DOOR_REFERRAL = "family_front_door_referral"


class RecipientRole(StrEnum):
    SOCIAL_WORKER = "social_worker"
    FAMILY_FRONT_DOOR = "family_front_door"


# The case flags that mean the child is open to children's social care (CLA, CP, CiN, or open by name).
SOCIAL_CARE_FLAGS = frozenset({"cla", "cp", "cin", "open_to_social_care"})
FLAG_WORDS = {
    "cla": "looked after",
    "cp": "child protection plan",
    "cin": "child in need",
    "open_to_social_care": "open to social care",
}


@dataclass(frozen=True)
class SocialCare:
    """What the case knows of the child's social care: the flags and the named social worker's contact."""

    looked_after: bool = False
    child_protection_plan: bool = False
    child_in_need: bool = False
    open_to_social_care: bool = False
    social_worker_name: str | None = field(default=None, repr=False)
    social_worker_email: str | None = field(default=None, repr=False)

    @property
    def open_to_children_social_care(self) -> bool:
        """Policy §11.2 "already open to social care": a CLA, CP or CiN child is, whether or not the referral
        also said so in as many words."""
        return self.looked_after or self.child_protection_plan or self.child_in_need or self.open_to_social_care

    @property
    def reachable_social_worker(self) -> tuple[str, str] | None:
        if self.social_worker_name and self.social_worker_email:
            return self.social_worker_name, self.social_worker_email
        return None


@dataclass(frozen=True)
class CaseOpenedFacts:
    social_care: SocialCare
    case_reference: str
    authority_name: str


@dataclass(frozen=True)
class CaseUpdatedFacts:
    change: str
    flags_raised: tuple[str, ...]
    social_care: SocialCare
    case_reference: str
    authority_name: str


@dataclass(frozen=True)
class FrontDoorFacts:
    refer_to_family_front_door: bool
    family_front_door_email: str | None
    referral_reference: str
    child_name: str = field(repr=False)
    date_of_birth: date | None = field(repr=False)
    reasons: tuple[str, ...]
    authority_name: str


@dataclass(frozen=True)
class OutgoingMessage:
    purpose: Purpose
    channel: Channel
    recipient_role: RecipientRole
    recipient_name: str = field(repr=False)
    recipient_address: str = field(repr=False)
    subject: str  # for the delivery log and the case timeline: never personal data
    personalisation: Mapping[str, str] = field(repr=False)


def social_worker_message(facts: CaseOpenedFacts) -> OutgoingMessage | None:
    """Policy §11.2: when a CME case opens for a child open to social care, contact the named social worker."""
    worker = facts.social_care.reachable_social_worker
    if not (facts.social_care.open_to_children_social_care and worker):
        return None
    return _to_social_worker(
        Purpose.SOCIAL_WORKER_CASE_OPENED,
        worker,
        facts.case_reference,
        facts.authority_name,
        what_happened="opened a Children Missing Education case",
        subject=f"Children Missing Education case {facts.case_reference} opened",
    )


def social_worker_update(facts: CaseUpdatedFacts) -> OutgoingMessage | None:
    """Policy §11.2, kept true after opening: the named social worker hears when an open case gains a social-care
    flag (a later referral says the child is now on a CP plan, say) and when a closed case reopens for a child open
    to social care. Other changes (allocation, checks, notes) are the CME team's own business."""
    worker = facts.social_care.reachable_social_worker
    if worker is None:
        return None
    if facts.change == "flags_raised":
        raised = [flag for flag in facts.flags_raised if flag in SOCIAL_CARE_FLAGS]
        if not raised:
            return None
        words = ", ".join(FLAG_WORDS[flag] for flag in raised)
        return _to_social_worker(
            Purpose.SOCIAL_WORKER_CASE_UPDATED,
            worker,
            facts.case_reference,
            facts.authority_name,
            what_happened=f"recorded a new referral on its Children Missing Education case ({words})",
            subject=f"Children Missing Education case {facts.case_reference}: social care flags raised ({words})",
        )
    if facts.change == "reopened" and facts.social_care.open_to_children_social_care:
        return _to_social_worker(
            Purpose.SOCIAL_WORKER_CASE_UPDATED,
            worker,
            facts.case_reference,
            facts.authority_name,
            what_happened="reopened its Children Missing Education case",
            subject=f"Children Missing Education case {facts.case_reference} reopened",
        )
    return None


def family_front_door_referral(facts: FrontDoorFacts) -> OutgoingMessage | None:
    """Policy §2.4 and §11.1: a safeguarding concern goes to the Family Front Door, the initial point of contact for
    all safeguarding referrals, alongside (never instead of) the CME enquiries."""
    if not (facts.refer_to_family_front_door and facts.family_front_door_email):
        return None
    return OutgoingMessage(
        purpose=Purpose.FAMILY_FRONT_DOOR_REFERRAL,
        channel=Channel.EMAIL,
        recipient_role=RecipientRole.FAMILY_FRONT_DOOR,
        recipient_name="Family Front Door",
        recipient_address=facts.family_front_door_email,
        subject=f"Safeguarding referral from Children Missing Education ({facts.referral_reference})",
        personalisation={
            "authority_name": facts.authority_name,
            "referral_reference": facts.referral_reference,
            "child_name": facts.child_name,
            "date_of_birth": facts.date_of_birth.strftime("%-d %B %Y") if facts.date_of_birth else "not known",
            "reasons": "; ".join(facts.reasons) or "a safeguarding concern was raised with the referral",
        },
    )


def _to_social_worker(
    purpose: Purpose,
    worker: tuple[str, str],
    case_reference: str,
    authority_name: str,
    *,
    what_happened: str,
    subject: str,
) -> OutgoingMessage:
    name, email = worker
    return OutgoingMessage(
        purpose=purpose,
        channel=Channel.EMAIL,
        recipient_role=RecipientRole.SOCIAL_WORKER,
        recipient_name=name,
        recipient_address=email,
        subject=subject,
        personalisation={
            "social_worker_name": name,
            "authority_name": authority_name,
            "case_reference": case_reference,
            "what_happened": what_happened,
        },
    )
