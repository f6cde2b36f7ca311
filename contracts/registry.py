"""Every event contract, by CloudEvents type."""

from contracts.base import Event
from contracts.events.case_v1 import CaseClosed, CaseEscalated, CaseOpened, CaseReferredToAuthority, CaseUpdated
from contracts.events.identity_v1 import ChildrenMerged, ChildrenMergeUndone
from contracts.events.intake_v1 import SUBMISSION_TYPES, SubmissionRejected
from contracts.events.notify_v1 import MessageRecorded, MessageStatusChanged
from contracts.events.referral_v1 import ReferralReceived
from contracts.events.review_v1 import RecheckDue, ReviewDecided, ReviewProgressed, ReviewSignedOff
from contracts.events.triage_v1 import TriageDecided

EVENT_TYPES: tuple[type[Event], ...] = (
    *SUBMISSION_TYPES,
    SubmissionRejected,
    ReferralReceived,
    TriageDecided,
    CaseOpened,
    CaseUpdated,
    CaseEscalated,
    CaseClosed,
    CaseReferredToAuthority,
    ReviewDecided,
    ReviewSignedOff,
    ReviewProgressed,
    RecheckDue,
    MessageRecorded,
    MessageStatusChanged,
    ChildrenMerged,
    ChildrenMergeUndone,
)

BY_TYPE: dict[str, type[Event]] = {event.event_type: event for event in EVENT_TYPES}
