"""Another authority asks whether a child is known here (policy §4.1: support external authorities to locate
children who may have moved into the county). The answer is the minimum: known or not, and the school the child
is on roll at when intake's latest return about the child says so."""

from collections.abc import Sequence
from dataclasses import dataclass

from contracts.events.referral_v1 import ReferralKind
from contracts.exchange.messages_v1 import EnquiryOutcome

# Returns a school sends only for a pupil on its roll: the latest of them names the child's school.
_ON_ROLL_RETURNS = frozenset(
    {ReferralKind.JOINER, ReferralKind.ABSENCE, ReferralKind.SICKNESS_15_DAY, ReferralKind.PART_TIME_TIMETABLE}
)
# Neither says where the child is on roll now: a bulk transfer file, or another authority's own question.
_SILENT_ABOUT_ROLL = frozenset({ReferralKind.CTF_BULK, ReferralKind.LA_ENQUIRY})


@dataclass(frozen=True)
class ReferralSummary:
    """One referral about the child, as the answer needs it: its kind and the school it names."""

    kind: ReferralKind
    school_id: str | None = None
    school_name: str | None = None


@dataclass(frozen=True)
class EnquiryAnswer:
    outcome: EnquiryOutcome
    school_id: str | None = None
    school_name: str | None = None


NOT_KNOWN = EnquiryAnswer(EnquiryOutcome.NOT_KNOWN)


def answer_enquiry(history: Sequence[ReferralSummary]) -> EnquiryAnswer:
    """`history` is the known child's referrals, newest first. The newest that speaks to the child's roll decides:
    an on-roll return names the school; anything else (a leaver return, a referral, a social care alert) means the
    child is known but, as far as intake knows, on no roll here."""
    for referral in history:
        if referral.kind in _SILENT_ABOUT_ROLL:
            continue
        if referral.kind in _ON_ROLL_RETURNS and referral.school_id:
            return EnquiryAnswer(EnquiryOutcome.KNOWN_ON_ROLL, referral.school_id, referral.school_name)
        return EnquiryAnswer(EnquiryOutcome.KNOWN_NOT_ON_ROLL)
    return EnquiryAnswer(EnquiryOutcome.KNOWN_NOT_ON_ROLL)
