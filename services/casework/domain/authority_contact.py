"""Telling or asking another local authority about a child: the officer's side of the cross-LA exchange (issue 9).

Two kinds (policy §4.1, §11.5; DOMAIN "moved to another LA: tell that LA, close when acknowledged"): a CME
referral, when the child has moved to that authority's area, and an enquiry, asking whether the child is known
there. Notify signs and sends the message; casework decides who may send it and when, and checks what is sent.

Who: whoever works the case. The case's own officer, the team lead and the lead officer (who may see every case);
an officer of the team who is not the case's officer may not speak for the case to another authority. When: only on
an open case (a closed case has no enquiry left to make; reopen it first).
"""

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Final

from services.casework.domain.access import Actor, Permission
from services.casework.domain.case import Case
from services.casework.domain.case_records import AddressEntry, address_problems, normalise_postcode
from services.casework.domain.errors import CaseClosedError, InvalidRecord

MAX_REASON_LENGTH: Final = 2000
"""The exchange contract's limit on the officer's reason (contracts/events/case_v1.py)."""
MAX_TOWN_LENGTH: Final = 100
"""The exchange contract's limit on a town; the address lines share the case records' limit."""
_LA_CODE: Final = re.compile(r"[0-9]{3}")
# address_problems only compares a move date with today; no move date is asked here, so any day will do.
_ANY_DAY: Final = date.max


class ContactKind(StrEnum):
    REFERRAL = "referral"
    ENQUIRY = "enquiry"


KIND_LABELS: Final = {
    ContactKind.REFERRAL: "CME referral",
    ContactKind.ENQUIRY: "Enquiry",
}


@dataclass(frozen=True)
class BelievedAddress:
    """Where the child may now live, as the officer typed it (personal data: kept out of repr)."""

    line1: str = field(default="", repr=False)
    line2: str = field(default="", repr=False)
    town: str = field(default="", repr=False)
    postcode: str = field(default="", repr=False)

    @property
    def given(self) -> bool:
        return bool(self.line1 or self.line2 or self.town or self.postcode)


@dataclass(frozen=True)
class AuthorityContact:
    """What the officer sends: which kind, to which authority (DfE LA code), where the child may live, and why."""

    kind: ContactKind
    to_la: str
    reason: str = field(repr=False)
    believed_address: BelievedAddress = BelievedAddress()


def may_contact_other_authority(actor: Actor, case_officer_id: str | None) -> bool:
    """The case's own officer, or a user who may see every case and holds the permission (the team lead, the lead
    officer). Group and senior managers do not hold it: they change nothing."""
    if not actor.may(Permission.CONTACT_OTHER_AUTHORITY):
        return False
    return actor.may(Permission.VIEW_ALL_CASES) or (case_officer_id is not None and case_officer_id == actor.user_id)


def la_code_problem(code: str, home_la_code: str) -> str | None:
    """Why `code` is not another authority's DfE LA code, in words for the officer; None when it is."""
    if not code:
        return "Enter the other authority's 3-digit DfE LA code, for example 886"
    if not _LA_CODE.fullmatch(code):
        return "Enter the LA code as 3 digits, for example 886"
    if code == home_la_code:
        return f"{code} is this authority's own code. Enter the code of the authority the child may have moved to"
    return None


def contact_problems(
    kind: str, to_la: str, reason: str, address: BelievedAddress, home_la_code: str
) -> dict[str, str]:
    """Every problem with what the officer entered, by field name (empty when it can be sent)."""
    problems: dict[str, str] = {}
    if kind not in {each.value for each in ContactKind}:
        problems["kind"] = "Select whether this is a CME referral or an enquiry"
    if (la := la_code_problem(to_la, home_la_code)) is not None:
        problems["to_la"] = la
    if address.given:
        if not (address.line1 or address.postcode):
            problems["address_line_1"] = (
                "Enter the first line of the address and the postcode, or leave the address blank"
            )
        else:
            entry = AddressEntry(address_line_1=address.line1, address_line_2=address.line2, town=address.town,
                                 postcode=address.postcode)
            # The case records' address rules (first line, postcode pattern, lengths), so both forms agree.
            problems.update({name: text for name, text in address_problems(entry, _ANY_DAY).items()
                             if name in {"address_line_1", "address_line_2", "town", "postcode"}})
        if len(address.town) > MAX_TOWN_LENGTH and "town" not in problems:
            problems["town"] = f"Enter no more than {MAX_TOWN_LENGTH} characters"
    if not reason.strip():
        problems["reason"] = "Enter why you believe the child is, or may be, in that authority's area"
    elif len(reason) > MAX_REASON_LENGTH:
        problems["reason"] = f"Enter no more than {MAX_REASON_LENGTH:,} characters"
    return problems


def checked_contact(case: Case, contact: AuthorityContact, home_la_code: str) -> AuthorityContact:
    """The contact as it is sent (postcode in its usual form), or a DomainError: the case must be open and every
    answer valid (the form checked them already; this holds the rule for every caller)."""
    if not case.is_open:
        raise CaseClosedError("the case is closed: reopen it before telling or asking another authority")
    address = contact.believed_address
    problems = contact_problems(contact.kind.value, contact.to_la, contact.reason, address, home_la_code)
    if problems:
        raise InvalidRecord("; ".join(problems.values()))
    if address.postcode:
        address = BelievedAddress(address.line1, address.line2, address.town, normalise_postcode(address.postcode))
    return AuthorityContact(contact.kind, contact.to_la, contact.reason.strip(), address)


def contact_summary(kind: ContactKind, to_la: str, status: str = "pending") -> str:
    """The case timeline's line: the kind, the LA code and the state; never the child or the reason."""
    return f"{KIND_LABELS[kind]} sent to LA {to_la} ({status})"
