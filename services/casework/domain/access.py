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

Only the engagement manager allocates. A user may hold several roles; their permissions are the union.
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
    MANAGE_USERS = "manage_users"
    TRIAGE_QUEUE = "triage_queue"


PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        Role.CME_OFFICER: frozenset(
            {
                Permission.VIEW_OWN_AND_TEAM_CASES,
                Permission.RECORD_CHECK,
                Permission.RECORD_CONTACT,
                Permission.ADD_NOTE,
                Permission.CLOSE_CASE,
            }
        ),
        Role.ENGAGEMENT_MANAGER: frozenset(
            {
                Permission.VIEW_ALL_CASES,
                Permission.TRIAGE_QUEUE,
                Permission.ALLOCATE,
                Permission.ESCALATE,
                Permission.ADD_NOTE,
                Permission.CLOSE_CASE,
                Permission.VIEW_REPORTS,
            }
        ),
        Role.LEAD_OFFICER: frozenset(
            {
                Permission.VIEW_ALL_CASES,
                Permission.TRIAGE_QUEUE,
                Permission.RECORD_CHECK,
                Permission.RECORD_CONTACT,
                Permission.ADD_NOTE,
                Permission.ESCALATE,
                Permission.CLOSE_CASE,
                Permission.VIEW_REPORTS,
                Permission.VIEW_AUDIT_LOG,
                Permission.CHAIR_MISSING_MONDAYS,
            }
        ),
        Role.GROUP_MANAGER: frozenset(
            {
                Permission.VIEW_ALL_CASES,
                Permission.VIEW_REPORTS,
                Permission.VIEW_AUDIT_LOG,
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
