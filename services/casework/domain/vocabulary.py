"""The coded values casework records: statuses, priorities, outcomes, escalations and contact results."""

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Status(StrEnum):
    """Where a case is in its lifecycle.

    Cases are opened from a triage decision, so `Case.open` starts at TRIAGED. REFERRED names the stage before
    triage, which lives in the triage service; casework keeps the value so a case's status can be reported on
    the whole referral-to-closure scale.
    """

    REFERRED = "referred"
    TRIAGED = "triaged"
    ALLOCATED = "allocated"
    ENQUIRIES = "enquiries"
    OUTCOME_RECORDED = "outcome_recorded"
    CLOSED = "closed"


class Priority(StrEnum):
    """App. D: P1 for CLA, CP, CiN, EHCP or a safeguarding concern; P2 for App. B groups; P3 the rest."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"

    @property
    def urgency_rank(self) -> int:
        """1 is the most urgent; sort ascending to put the most urgent first."""
        return _URGENCY_RANK[self]


_URGENCY_RANK: Mapping[Priority, int] = MappingProxyType({Priority.P1: 1, Priority.P2: 2, Priority.P3: 3})


def most_urgent(first: Priority, *others: Priority) -> Priority:
    return min((first, *others), key=lambda priority: priority.urgency_rank)


class Track(StrEnum):
    """The triage tracks that are worked as a CME case (values match the triage service's track names)."""

    CME_ENQUIRY = "cme_enquiry"
    EXCLUSION_AP = "exclusion_ap"


class CheckStatus(StrEnum):
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"


class ContactMethod(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    LETTER = "letter"
    HOME_VISIT = "home_visit"


class ContactResult(StrEnum):
    NO_RESPONSE = "no_response"
    SPOKE_TO_PARENT = "spoke_to_parent"
    PARENT_RESPONDED = "parent_responded"
    CHILD_SEEN = "child_seen"
    ADDRESS_VACANT = "address_vacant"
    LEFT_MESSAGE = "left_message"
    RETURNED_UNDELIVERED = "returned_undelivered"
    NUMBER_UNOBTAINABLE = "number_unobtainable"


# Which results each method can produce, so the record and the officers' form agree (a letter cannot
# "see" a child; only a visit finds an address vacant).
RESULTS_BY_METHOD: Mapping[ContactMethod, frozenset[ContactResult]] = MappingProxyType(
    {
        ContactMethod.EMAIL: frozenset(
            {
                ContactResult.NO_RESPONSE,
                ContactResult.PARENT_RESPONDED,
                ContactResult.RETURNED_UNDELIVERED,
            }
        ),
        ContactMethod.PHONE: frozenset(
            {
                ContactResult.NO_RESPONSE,
                ContactResult.SPOKE_TO_PARENT,
                ContactResult.LEFT_MESSAGE,
                ContactResult.NUMBER_UNOBTAINABLE,
            }
        ),
        ContactMethod.LETTER: frozenset(
            {
                ContactResult.NO_RESPONSE,
                ContactResult.PARENT_RESPONDED,
                ContactResult.RETURNED_UNDELIVERED,
            }
        ),
        ContactMethod.HOME_VISIT: frozenset(
            {
                ContactResult.NO_RESPONSE,
                ContactResult.SPOKE_TO_PARENT,
                ContactResult.CHILD_SEEN,
                ContactResult.ADDRESS_VACANT,
                ContactResult.LEFT_MESSAGE,
            }
        ),
    }
)


class EscalationKind(StrEnum):
    MISSING_MONDAYS = "missing_mondays"
    FAP = "fap"
    SAO = "sao"
    S19 = "s19"
    CCAS = "ccas"


class RiskBand(StrEnum):
    """Missing Mondays risk band (App. F); values match the review service's."""

    LO = "LO"
    MED = "MED"
    HI = "HI"


class ReviewDecision(StrEnum):
    CLOSE = "close"
    KEEP_OPEN = "keep_open"


class JointEnquiryParty(StrEnum):
    """Who made a reasonable enquiry before a deletion under reg 9(1)(h) or (i): the school or the LA."""

    SCHOOL = "school"
    LOCAL_AUTHORITY = "local_authority"


class ClosureReason(StrEnum):
    REGISTERED_INTO_PROVISION = "registered_into_provision"
    MOVED_TO_OTHER_LA = "moved_to_other_la"
    MOVED_ABROAD = "moved_abroad"
    WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW = "whereabouts_unknown_closed_after_review"
    EHE_CONFIRMED = "ehe_confirmed"
    ON_ROLL_NOT_CME = "on_roll_not_cme"
    PAST_COMPULSORY_SCHOOL_AGE = "past_compulsory_school_age"
    DIED = "died"
    DUPLICATE = "duplicate"
    OTHER = "other"


LABELS: Mapping[StrEnum, str] = MappingProxyType(
    {
        Track.CME_ENQUIRY: "CME enquiry",
        Track.EXCLUSION_AP: "exclusion, alternative provision not taken up",
        CheckStatus.DONE: "done",
        CheckStatus.NOT_APPLICABLE: "not applicable",
        ContactMethod.EMAIL: "email",
        ContactMethod.PHONE: "phone",
        ContactMethod.LETTER: "letter",
        ContactMethod.HOME_VISIT: "home visit",
        ContactResult.NO_RESPONSE: "no response",
        ContactResult.SPOKE_TO_PARENT: "spoke to parent or carer",
        ContactResult.PARENT_RESPONDED: "parent or carer responded",
        ContactResult.CHILD_SEEN: "child seen",
        ContactResult.ADDRESS_VACANT: "address vacant",
        ContactResult.LEFT_MESSAGE: "message left",
        ContactResult.RETURNED_UNDELIVERED: "returned undelivered",
        ContactResult.NUMBER_UNOBTAINABLE: "number unobtainable",
        EscalationKind.MISSING_MONDAYS: "Missing Mondays",
        EscalationKind.FAP: "Fair Access Protocol",
        EscalationKind.SAO: "school attendance order",
        EscalationKind.S19: "section 19 provision",
        EscalationKind.CCAS: "CCAS",
        ReviewDecision.CLOSE: "close",
        ReviewDecision.KEEP_OPEN: "keep open",
        JointEnquiryParty.SCHOOL: "school",
        JointEnquiryParty.LOCAL_AUTHORITY: "local authority",
        ClosureReason.REGISTERED_INTO_PROVISION: "registered into provision",
        ClosureReason.MOVED_TO_OTHER_LA: "moved to another local authority",
        ClosureReason.MOVED_ABROAD: "moved abroad",
        ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW: (
            "whereabouts unknown, closed after Missing Mondays review"
        ),
        ClosureReason.EHE_CONFIRMED: "elective home education confirmed",
        ClosureReason.ON_ROLL_NOT_CME: "on a school roll, not CME",
        ClosureReason.PAST_COMPULSORY_SCHOOL_AGE: "past compulsory school age",
        ClosureReason.DIED: "died",
        ClosureReason.DUPLICATE: "duplicate case",
        ClosureReason.OTHER: "other",
    }
)
"""Plain-English labels for timeline summaries and the officers' UI."""


# What each Missing Mondays score means (policy Appendix F), as the escalate page and the review form show it.
CME_SCORES: Final[Mapping[int, str]] = {
    1: "Home address and new school provided",
    2: "New school provided",
    3: "New address provided",
    4: "Destination country provided",
    5: "Left the country, destination not provided",
}
SAFEGUARDING_SCORES: Final[Mapping[int, str]] = {
    1: "Not known to attendees, or no concerns",
    2: "Some support needs or minor concerns",
    3: "Single-agency awareness, or some concerns",
    4: "Multi-agency (including social care), or many concerns",
    5: "Multi-agency (including social care), or serious concerns",
}
