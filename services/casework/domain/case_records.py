"""Records kept beside a case rather than inside the `Case` aggregate: the family (sibling links), the history
of the child's address and contact details, and the Family Front Door prompt (issue 8).

They live beside the aggregate because none of them changes what may happen to the case (its status, checklist
or closure rules): a sibling link joins two cases, an address is a dated fact about the child, and the Family
Front Door prompt is owed once per triage decision that asked for it. Each rule here checks everything before
anything is stored, and says what is wrong in words an officer can act on (never naming a child).
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final

from services.casework.domain.case_state import MAX_TEXT_LENGTH, require_aware
from services.casework.domain.errors import InvalidRecord, InvalidTransition

# The shape of a UK postcode (outward code, then inward code), after spaces are removed; not a lookup.
_POSTCODE: Final = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE: Final = re.compile(r"\+?[0-9 ()-]{7,20}")
SHORT_TEXT_LENGTH: Final = 200


# ---------------------------------------------------------------------- siblings


@dataclass(frozen=True)
class SiblingLink:
    """Two cases about children of one family. Symmetric: stored once, shown on both cases."""

    case_id: str
    sibling_case_id: str
    linked_by: str
    linked_at: datetime

    def other(self, case_id: str) -> str:
        return self.sibling_case_id if case_id == self.case_id else self.case_id


def sibling_link(
    *,
    case_id: str,
    child_id: str,
    other_case_id: str,
    other_child_id: str,
    linked_case_ids: Iterable[str],
    by: str,
    at: datetime,
) -> SiblingLink:
    """Link a case to a sibling's case; the pair is kept in one order so A-B and B-A are the same link."""
    require_aware(at)
    if other_case_id == case_id:
        raise InvalidRecord("a case cannot be linked to itself as a sibling")
    if other_child_id == child_id:
        raise InvalidRecord("the other case is about the same child, not a sibling: close one as a duplicate")
    if other_case_id in set(linked_case_ids):
        raise InvalidTransition("the two cases are already linked as siblings")
    first, second = sorted((case_id, other_case_id))
    return SiblingLink(case_id=first, sibling_case_id=second, linked_by=by, linked_at=at)


# ---------------------------------------------------------------------- address and contact details


@dataclass(frozen=True)
class AddressEntry:
    """What an officer records when the child's address or the family's contact details change."""

    address_line_1: str = ""
    address_line_2: str = ""
    town: str = ""
    postcode: str = ""
    phone: str = ""
    email: str = ""
    moved_on: date | None = None
    source: str = ""

    @property
    def has_address(self) -> bool:
        return bool(self.address_line_1 or self.postcode)


@dataclass(frozen=True)
class AddressRecord:
    """One entry in the history. Entries are never changed: a correction is a newer entry."""

    record_id: int
    case_id: str
    entry: AddressEntry
    recorded_by: str
    recorded_at: datetime


def normalise_postcode(text: str) -> str:
    compact = re.sub(r"\s+", "", text).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact  # the inward code is 3 long


def address_problems(entry: AddressEntry, today: date) -> dict[str, str]:
    """What is wrong with an entry, by field (empty when it can be recorded)."""
    problems: dict[str, str] = {}
    if not (entry.has_address or entry.phone or entry.email):
        problems["address_line_1"] = "Enter the new address, or a new phone number or email address"
    if entry.has_address:
        if not entry.address_line_1:
            problems["address_line_1"] = "Enter the first line of the address"
        if not entry.postcode:
            problems["postcode"] = "Enter the postcode"
        elif not _POSTCODE.fullmatch(re.sub(r"\s+", "", entry.postcode).upper()):
            problems["postcode"] = "Enter a real postcode, for example WR1 2AB"
    if entry.phone and not _PHONE.fullmatch(entry.phone):
        problems["phone"] = "Enter a phone number, like 01905 765432 or +44 7700 900 982"
    if entry.email and not _EMAIL.fullmatch(entry.email):
        problems["email"] = "Enter an email address in the correct format, like name@example.com"
    if entry.moved_on is not None and entry.moved_on > today:
        problems["moved_on-day"] = "The date the family moved must be today or in the past"
    for name in ("address_line_1", "address_line_2", "town", "source"):
        if len(getattr(entry, name)) > SHORT_TEXT_LENGTH and name not in problems:
            problems[name] = f"Enter no more than {SHORT_TEXT_LENGTH} characters"
    return problems


def checked_address(entry: AddressEntry, today: date) -> AddressEntry:
    """The entry as it is stored (postcode in its usual form), or InvalidRecord naming every problem."""
    problems = address_problems(entry, today)
    if problems:
        raise InvalidRecord("; ".join(problems.values()))
    if entry.postcode:
        return AddressEntry(
            entry.address_line_1, entry.address_line_2, entry.town, normalise_postcode(entry.postcode),
            entry.phone, entry.email, entry.moved_on, entry.source,
        )
    return entry


def current_contact(history: Sequence[AddressRecord]) -> AddressRecord | None:
    """The current details: the latest entry (by when it was recorded, then by the order it was stored)."""
    return max(history, key=lambda record: (record.recorded_at, record.record_id), default=None)


# ---------------------------------------------------------------------- the Family Front Door prompt


class FfdDecision(StrEnum):
    REFERRED = "referred"
    NOT_NEEDED = "not_needed"


@dataclass(frozen=True)
class FfdAcknowledgement:
    decision: FfdDecision
    by: str
    at: datetime
    referred_on: date | None = None
    reference: str | None = None
    why: str | None = None


@dataclass(frozen=True)
class FfdPrompt:
    """Triage's advice that the child be referred to the Family Front Door (children's social care's front
    door), with its reasons; outstanding until the officer records that they referred, or why it is not needed."""

    case_id: str
    referral_id: str
    reasons: tuple[str, ...]
    raised_at: datetime
    acknowledgement: FfdAcknowledgement | None = None

    @property
    def outstanding(self) -> bool:
        return self.acknowledgement is None


def acknowledge_ffd(
    prompt: FfdPrompt,
    decision: FfdDecision,
    *,
    by: str,
    at: datetime,
    referred_on: date | None = None,
    reference: str | None = None,
    why: str | None = None,
) -> FfdAcknowledgement:
    """The officer's answer to the prompt: referred (on a date, with the Front Door's reference) or not needed
    (and why). Answered once: a later change of mind is a note, or a new referral, not a rewrite."""
    require_aware(at)
    if not prompt.outstanding:
        raise InvalidTransition("the Family Front Door prompt has already been acknowledged")
    if decision is FfdDecision.REFERRED:
        reference = (reference or "").strip()
        if referred_on is None:
            raise InvalidRecord("a Family Front Door referral needs the date it was made")
        if referred_on > at.date():
            raise InvalidRecord("the date of the Family Front Door referral must be today or in the past")
        if not reference:
            raise InvalidRecord("a Family Front Door referral needs the reference the Front Door gave")
        if len(reference) > SHORT_TEXT_LENGTH:
            raise InvalidRecord(f"the reference is limited to {SHORT_TEXT_LENGTH} characters")
        return FfdAcknowledgement(decision, by, at, referred_on=referred_on, reference=reference)
    why = (why or "").strip()
    if not why:
        raise InvalidRecord("say why a Family Front Door referral is not needed")
    if len(why) > MAX_TEXT_LENGTH:
        raise InvalidRecord(f"text is limited to {MAX_TEXT_LENGTH} characters")
    return FfdAcknowledgement(decision, by, at, why=why)


def outstanding_prompts(prompts: Iterable[FfdPrompt]) -> list[FfdPrompt]:
    return [prompt for prompt in prompts if prompt.outstanding]
