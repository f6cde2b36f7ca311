"""The Case aggregate: one child's CME case from the triage decision to closure (App. D, E, F; policy §9-§11).

A case records what happened as domain events in `events` and counts its changes in `version` (the adapters
use it for optimistic concurrency). Every command checks all its rules before changing anything, so a command
that raises leaves the case exactly as it was.

Transitions:

    Case.open                                   -> TRIAGED
    allocate                                    TRIAGED -> ALLOCATED (reallocating keeps the status)
    first check or contact                      ALLOCATED -> ENQUIRIES
    record_outcome; close for a move to another LA not yet acknowledged; a review decision to close
                                                open -> OUTCOME_RECORDED
    close; acknowledge_transfer                 open -> CLOSED
    withdraw_outcome; a review decision to keep open
                                                OUTCOME_RECORDED -> TRIAGED, ALLOCATED or ENQUIRIES
    reopen                                      CLOSED -> TRIAGED, or ALLOCATED when the officer is kept

A child has at most one open case: a new referral attaches to the open case, or reopens the last closed one
(`route_referral`).

The rules are grouped by topic in sibling modules, each a mixin over `case_state.CaseState` (the fields, the
version and the event recording):

    case_lifecycle.LifecycleRules     open, attach_referral, change_priority, reopen, allocate, add_note
    case_enquiries.EnquiryRules       record_check, record_contact, record_joint_enquiry (App. F checklist)
    case_escalation.EscalationRules   escalate, apply_review_decision, liaise_with_social_worker
    case_closure.ClosureRules         record_outcome, close, acknowledge_transfer, withdraw_outcome,
                                      close_as_registered_into_provision, closure_problems
    routing                           route_referral

This module composes them into `Case` and is the import path for the aggregate and its vocabulary.
"""

from dataclasses import dataclass

from services.casework.domain.case_closure import ClosureRules
from services.casework.domain.case_enquiries import (
    EnquiryRules,
    checklist_complete,
    joint_enquiries_evidenced,
    outstanding_checks,
)
from services.casework.domain.case_escalation import MAX_SCORE, MIN_SCORE, EscalationRules
from services.casework.domain.case_lifecycle import LifecycleRules
from services.casework.domain.case_state import MAX_TEXT_LENGTH, SYSTEM_ACTOR
from services.casework.domain.checklist import CheckType
from services.casework.domain.records import CaseFlags, ChildSummary, ClosureDetails
from services.casework.domain.routing import ReferralRoute, RouteAction, route_referral
from services.casework.domain.vocabulary import (
    CheckStatus,
    ClosureReason,
    ContactMethod,
    ContactResult,
    EscalationKind,
    JointEnquiryParty,
    Priority,
    ReviewDecision,
    RiskBand,
    Status,
    Track,
)

__all__ = [
    "MAX_SCORE",
    "MAX_TEXT_LENGTH",
    "MIN_SCORE",
    "SYSTEM_ACTOR",
    "Case",
    "CaseFlags",
    "CheckStatus",
    "CheckType",
    "ChildSummary",
    "ClosureDetails",
    "ClosureReason",
    "ContactMethod",
    "ContactResult",
    "EscalationKind",
    "JointEnquiryParty",
    "Priority",
    "ReferralRoute",
    "ReviewDecision",
    "RiskBand",
    "RouteAction",
    "Status",
    "Track",
    "checklist_complete",
    "joint_enquiries_evidenced",
    "outstanding_checks",
    "route_referral",
]


@dataclass(eq=False)
class Case(LifecycleRules, EnquiryRules, EscalationRules, ClosureRules):
    """One child's case. New cases come from `Case.open`; adapters use the constructor to rehydrate."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Case) and other.case_id == self.case_id

    def __hash__(self) -> int:
        return hash(self.case_id)
