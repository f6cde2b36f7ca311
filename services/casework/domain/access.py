"""Roles and permissions (App. E), least privilege: each role gets only what its App. E duties need.

=====================  ==================================================================================
Role                   What it may do, and the App. E duty behind it
=====================  ==================================================================================
CME_OFFICER            View own and team cases; record checks and contacts; add notes; record outcomes and
                       close cases ("make initial assessments of all CME cases as allocated ... ensure
                       casework updates and location findings are accurately recorded").
ENGAGEMENT_MANAGER     The team lead: view all cases; work the triage queue; allocate ("triage CME cases
                       upon receipt to allocate to CME officers"); escalate to Missing Mondays, FAP, S19 and
                       SAO ("identifies and escalates ..."); add notes; close cases (triage closes
                       duplicates and children found on roll); view reports ("performance management").
LEAD_OFFICER           View all cases; view the triage queue ("directs appropriate CME cases to request
                       triage"); record checks and contacts (policy §10.5: keeps periodic database searches
                       going on cases kept open); add notes; escalate ("coordinate or advise upon actions",
                       chairs Missing Mondays); close cases after a signed-off review; view reports
                       ("monitors the contact and reporting habits of schools"); view the audit log (the
                       named CME point of referral answers for who saw and changed each child's record);
                       chair Missing Mondays: score the review form, withdraw a case from the agenda, pass the
                       form to the senior officer once the window for concerns has closed (App. F).
GROUP_MANAGER          View all cases, reports and the audit log (strategic lead, "provides regular feedback
                       to SLT/members on CME data, outcomes and concerns"). Changes nothing.
SENIOR_OFFICER         Senior officer / assistant director: view all cases; sign off Missing Mondays closure
                       decisions (policy §10.3); view reports and the audit log.
ADMINISTRATOR          Manage users only. No child records: document intake belongs to the intake service.
=====================  ==================================================================================

Referrals taken by phone, email or letter (ENTER_REFERRAL) are entered by CME officers, the team lead and the lead
officer (App. E: officers "make initial assessments of all CME cases", the team lead "triage[s] CME cases upon
receipt", the lead officer is the named CME point of referral). Identity match reviews, "is this the same child?"
(REVIEW_IDENTITY_MATCHES), are decided by CME officers and the team lead: triage on receipt (the team lead closes
duplicates) and keeping each child's record accurate (officers); not by the managers who change nothing.

Only the engagement manager allocates. A user may hold several roles; their permissions are the union.

Changing a case's priority (CHANGE_PRIORITY) is for the team lead (the engagement manager, who "triage[s] CME
cases upon receipt" and so sets the order of the allocation queue) and for the case's own officer, who knows the
case best (`can_change_priority`); not for other officers of the team, whose colleagues' deadlines it would move,
and not for the lead officer, who advises rather than triages. Reopening a closed case, withdrawing a recorded
outcome and acknowledging a transfer to another authority are closure-level changes: CLOSE_CASE.

Schools' reporting habits and off-rolling signals (VIEW_SCHOOL_SIGNALS) are for the managers and the lead officer
only: the engagement manager, the lead officer ("monitors the contact and reporting habits of schools") and the
group manager (feedback to SLT on CME concerns); not CME officers, and not the senior officer, whose App. E duty is
signing off closures.

The cross-LA exchange (policy §4.1, §11.5; DOMAIN "moved to another LA: tell that LA"): telling or asking another
authority about a child (CONTACT_OTHER_AUTHORITY) is for whoever works the case: its own officer, the team lead
(who escalates) and the lead officer (the named CME point of referral, who answers other authorities); officers
only on their own case (`services/casework/domain/authority_contact.py`). The exchange's traffic and refusals
(VIEW_EXCHANGE_TRAFFIC) are the lead officer's to watch, with the managers who answer for performance: the
engagement manager and the group manager (read-only).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    CME_OFFICER = "cme_officer"
    ENGAGEMENT_MANAGER = "engagement_manager"
    LEAD_OFFICER = "lead_officer"
    GROUP_MANAGER = "group_manager"
    SENIOR_OFFICER = "senior_officer"
    ADMINISTRATOR = "administrator"


class Permission(StrEnum):
    VIEW_OWN_AND_TEAM_CASES = "view_own_and_team_cases"
    VIEW_ALL_CASES = "view_all_cases"
    ALLOCATE = "allocate"
    RECORD_CHECK = "record_check"
    RECORD_CONTACT = "record_contact"
    ADD_NOTE = "add_note"
    ESCALATE = "escalate"
    CLOSE_CASE = "close_case"
    SIGN_OFF_CLOSURE = "sign_off_closure"
    CHAIR_MISSING_MONDAYS = "chair_missing_mondays"
    VIEW_AUDIT_LOG = "view_audit_log"
    VIEW_REPORTS = "view_reports"
    VIEW_SCHOOL_SIGNALS = "view_school_signals"
    MANAGE_USERS = "manage_users"
    TRIAGE_QUEUE = "triage_queue"
    ENTER_REFERRAL = "enter_referral"
    REVIEW_IDENTITY_MATCHES = "review_identity_matches"
    CHANGE_PRIORITY = "change_priority"
    CONTACT_OTHER_AUTHORITY = "contact_other_authority"
    VIEW_EXCHANGE_TRAFFIC = "view_exchange_traffic"


PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        Role.CME_OFFICER: frozenset(
            {
                Permission.VIEW_OWN_AND_TEAM_CASES,
                Permission.ENTER_REFERRAL,
                Permission.REVIEW_IDENTITY_MATCHES,
                Permission.RECORD_CHECK,
                Permission.RECORD_CONTACT,
                Permission.ADD_NOTE,
                Permission.CLOSE_CASE,
                Permission.CHANGE_PRIORITY,
                Permission.CONTACT_OTHER_AUTHORITY,
            }
        ),
        Role.ENGAGEMENT_MANAGER: frozenset(
            {
                Permission.VIEW_ALL_CASES,
                Permission.TRIAGE_QUEUE,
                Permission.ALLOCATE,
                Permission.ENTER_REFERRAL,
                Permission.REVIEW_IDENTITY_MATCHES,
                Permission.CHANGE_PRIORITY,
                Permission.ESCALATE,
                Permission.ADD_NOTE,
                Permission.CLOSE_CASE,
                Permission.VIEW_REPORTS,
                Permission.VIEW_SCHOOL_SIGNALS,
                Permission.CONTACT_OTHER_AUTHORITY,
                Permission.VIEW_EXCHANGE_TRAFFIC,
            }
        ),
        Role.LEAD_OFFICER: frozenset(
            {
                Permission.VIEW_ALL_CASES,
                Permission.TRIAGE_QUEUE,
                Permission.ENTER_REFERRAL,
                Permission.RECORD_CHECK,
                Permission.RECORD_CONTACT,
                Permission.ADD_NOTE,
                Permission.ESCALATE,
                Permission.CLOSE_CASE,
                Permission.VIEW_REPORTS,
                Permission.VIEW_SCHOOL_SIGNALS,
                Permission.VIEW_AUDIT_LOG,
                Permission.CHAIR_MISSING_MONDAYS,
                Permission.CONTACT_OTHER_AUTHORITY,
                Permission.VIEW_EXCHANGE_TRAFFIC,
            }
        ),
        Role.GROUP_MANAGER: frozenset(
            {
                Permission.VIEW_ALL_CASES,
                Permission.VIEW_REPORTS,
                Permission.VIEW_SCHOOL_SIGNALS,
                Permission.VIEW_AUDIT_LOG,
                Permission.VIEW_EXCHANGE_TRAFFIC,
            }
        ),
        Role.SENIOR_OFFICER: frozenset(
            {
                Permission.VIEW_ALL_CASES,
                Permission.SIGN_OFF_CLOSURE,
                Permission.VIEW_REPORTS,
                Permission.VIEW_AUDIT_LOG,
            }
        ),
        Role.ADMINISTRATOR: frozenset({Permission.MANAGE_USERS}),
    }
)


@dataclass(frozen=True)
class Actor:
    """A signed-in user as the domain sees them: an id, their roles and their team."""

    user_id: str
    roles: frozenset[Role]
    team_id: str | None = None

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_of(self.roles)

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions


def can(role: Role, permission: Permission) -> bool:
    return permission in PERMISSIONS[role]


def permissions_of(roles: Iterable[Role]) -> frozenset[Permission]:
    return frozenset().union(*(PERMISSIONS[role] for role in roles))


def can_view_case(user: Actor, case_owner_id: str | None, case_team_id: str | None) -> bool:
    """Officers see their own cases and their team's; managers, lead, group manager and senior see all;
    administrators see none. An unallocated case (no owner) is visible to officers of its team."""
    if user.may(Permission.VIEW_ALL_CASES):
        return True
    if not user.may(Permission.VIEW_OWN_AND_TEAM_CASES):
        return False
    if case_owner_id is not None and case_owner_id == user.user_id:
        return True
    return user.team_id is not None and user.team_id == case_team_id


def can_change_priority(user: Actor, case_officer_id: str | None) -> bool:
    """The team lead changes any case's priority; an officer only their own case's (see the module's notes)."""
    if not user.may(Permission.CHANGE_PRIORITY):
        return False
    return user.may(Permission.ALLOCATE) or (case_officer_id is not None and case_officer_id == user.user_id)
