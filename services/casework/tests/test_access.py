import pytest

from services.casework.domain.access import (
    PERMISSIONS,
    Actor,
    Permission,
    Role,
    can,
    can_change_priority,
    can_view_case,
    permissions_of,
)

P = Permission
EXPECTED = {
    Role.CME_OFFICER: {
        P.VIEW_OWN_AND_TEAM_CASES, P.RECORD_CHECK, P.RECORD_CONTACT, P.ADD_NOTE, P.CLOSE_CASE, P.CHANGE_PRIORITY,
        P.ENTER_REFERRAL, P.REVIEW_IDENTITY_MATCHES, P.CONTACT_OTHER_AUTHORITY,
    },
    Role.ENGAGEMENT_MANAGER: {
        P.VIEW_ALL_CASES,
        P.TRIAGE_QUEUE,
        P.ALLOCATE,
        P.CHANGE_PRIORITY,
        P.ENTER_REFERRAL,
        P.REVIEW_IDENTITY_MATCHES,
        P.ESCALATE,
        P.ADD_NOTE,
        P.CLOSE_CASE,
        P.VIEW_REPORTS,
        P.VIEW_SCHOOL_SIGNALS,
        P.CONTACT_OTHER_AUTHORITY,
        P.VIEW_EXCHANGE_TRAFFIC,
    },
    Role.LEAD_OFFICER: {
        P.VIEW_ALL_CASES,
        P.TRIAGE_QUEUE,
        P.ENTER_REFERRAL,
        P.RECORD_CHECK,
        P.RECORD_CONTACT,
        P.ADD_NOTE,
        P.ESCALATE,
        P.CLOSE_CASE,
        P.VIEW_REPORTS,
        P.VIEW_SCHOOL_SIGNALS,
        P.VIEW_AUDIT_LOG,
        P.CHAIR_MISSING_MONDAYS,
        P.CONTACT_OTHER_AUTHORITY,
        P.VIEW_EXCHANGE_TRAFFIC,
    },
    Role.GROUP_MANAGER: {
        P.VIEW_ALL_CASES, P.VIEW_REPORTS, P.VIEW_SCHOOL_SIGNALS, P.VIEW_AUDIT_LOG, P.VIEW_EXCHANGE_TRAFFIC,
    },
    Role.SENIOR_OFFICER: {P.VIEW_ALL_CASES, P.SIGN_OFF_CLOSURE, P.VIEW_REPORTS, P.VIEW_AUDIT_LOG},
    Role.ADMINISTRATOR: {P.MANAGE_USERS},
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_has_exactly_its_permissions(role: Role) -> None:
    assert PERMISSIONS[role] == EXPECTED[role]
    for permission in Permission:
        assert can(role, permission) is (permission in EXPECTED[role])


def test_every_permission_is_held_by_some_role() -> None:
    assert set().union(*PERMISSIONS.values()) == set(Permission)


def test_only_the_engagement_manager_allocates_and_only_the_senior_officer_signs_off() -> None:
    assert [role for role in Role if can(role, P.ALLOCATE)] == [Role.ENGAGEMENT_MANAGER]
    assert [role for role in Role if can(role, P.SIGN_OFF_CLOSURE)] == [Role.SENIOR_OFFICER]


def test_a_user_with_several_roles_holds_the_union() -> None:
    both = permissions_of([Role.CME_OFFICER, Role.ADMINISTRATOR])

    assert both == EXPECTED[Role.CME_OFFICER] | {P.MANAGE_USERS}
    assert permissions_of([]) == frozenset()


def officer(team_id: str | None = "team-a") -> Actor:
    return Actor("officer-1", frozenset({Role.CME_OFFICER}), team_id)


@pytest.mark.parametrize(
    ("owner", "team", "visible"),
    [
        ("officer-1", "team-b", True),
        ("officer-2", "team-a", True),
        (None, "team-a", True),
        ("officer-2", "team-b", False),
        (None, None, False),
    ],
    ids=["own-case", "team-case", "team-unallocated", "other-team", "no-team"],
)
def test_officers_see_their_own_and_their_team_cases(
    owner: str | None,
    team: str | None,
    visible: bool,
) -> None:
    assert can_view_case(officer(), owner, team) is visible


def test_an_officer_without_a_team_sees_only_own_cases() -> None:
    assert can_view_case(officer(team_id=None), "officer-1", None)
    assert not can_view_case(officer(team_id=None), "officer-2", None)


@pytest.mark.parametrize(
    "role",
    [Role.ENGAGEMENT_MANAGER, Role.LEAD_OFFICER, Role.GROUP_MANAGER, Role.SENIOR_OFFICER],
)
def test_managers_lead_and_senior_see_all_cases(role: Role) -> None:
    assert can_view_case(Actor("user-9", frozenset({role}), "team-z"), "officer-2", "team-b")


def test_administrators_see_no_child_records() -> None:
    admin = Actor("admin-1", frozenset({Role.ADMINISTRATOR}), "team-a")

    assert not can_view_case(admin, "admin-1", "team-a")
    assert not can_view_case(admin, None, "team-a")


def test_actor_permissions_follow_roles() -> None:
    actor = Actor("user-1", frozenset({Role.SENIOR_OFFICER}))

    assert actor.may(P.SIGN_OFF_CLOSURE)
    assert not actor.may(P.ALLOCATE)
    assert actor.permissions == EXPECTED[Role.SENIOR_OFFICER]


def test_the_team_lead_changes_any_priority_and_an_officer_only_their_own_cases() -> None:
    lead = Actor("manager-1", frozenset({Role.ENGAGEMENT_MANAGER}), "team-a")
    officer = Actor("officer-1", frozenset({Role.CME_OFFICER}), "team-a")
    lead_officer = Actor("lead-1", frozenset({Role.LEAD_OFFICER}), "team-a")

    assert can_change_priority(lead, "officer-2")
    assert can_change_priority(lead, None)
    assert can_change_priority(officer, "officer-1")
    assert not can_change_priority(officer, "officer-2"), "a colleague's case, even in the same team"
    assert not can_change_priority(officer, None)
    assert not can_change_priority(lead_officer, "lead-1")
