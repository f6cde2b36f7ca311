"""The forms on a case (issue 8): each form's rule in the domain, and the use cases behind them against in-memory
ports (the same use cases run against PostgreSQL in tests/integration/test_case_records.py)."""

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from cme_runtime.testing import TRANSACTION, FixedClock, RecordingOutbox
from contracts.events.case_v1 import CaseEscalated
from contracts.events.common_v1 import Child
from contracts.events.referral_v1 import ReferralKind
from contracts.events.triage_v1 import Priority as TriagePriority
from contracts.events.triage_v1 import Track as TriageTrack
from contracts.events.triage_v1 import TriageDecided
from services.casework.adapters.accounts import User
from services.casework.adapters.returns import ReturnRecord
from services.casework.domain.access import Role
from services.casework.domain.case import Case, ClosureDetails, ClosureReason, EscalationKind, Priority
from services.casework.domain.case_records import (
    AddressEntry,
    AddressRecord,
    FfdDecision,
    FfdPrompt,
    acknowledge_ffd,
    address_problems,
    checked_address,
    current_contact,
    sibling_link,
)
from services.casework.domain.errors import CaseClosedError, InvalidRecord, InvalidTransition
from services.casework.service_layer.case_records import CaseRecordsService, FfdEntry
from services.casework.service_layer.cases import CaseworkService
from services.casework.service_layer.officer_actions import NotPermitted
from services.casework.tests.factories import (
    OFFICER,
    TEAM_LEAD,
    allocated_case,
    at,
    case_with_full_checklist,
    open_case,
)
from services.casework.tests.records_fakes import (
    FakeAuditLog,
    FakeCaseRecords,
    FakeCaseRepository,
    FakeOfficerActions,
    FakeReturns,
)

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


# ---------------------------------------------------------------------- the existing case rules behind the forms


def test_reopening_an_open_case_is_refused() -> None:
    case = allocated_case()

    with pytest.raises(InvalidTransition, match="is not closed"):
        case.reopen(case.referral_ids[-1], at(days=1), "New information", by=OFFICER, keep_officer=True)


def test_an_officer_reopens_a_closed_case_and_keeps_it() -> None:
    case = allocated_case()
    case.close(ClosureReason.MOVED_ABROAD, OFFICER, at(days=1), ClosureDetails(destination_country="Spain"))

    case.reopen(case.referral_ids[-1], at(days=2), "The family is back", by=OFFICER, keep_officer=True)

    assert case.is_open and case.officer_id == OFFICER and case.reopen_count == 1
    assert case.referral_ids == ["referral-1"], "no new referral is invented for an officer's reopening"


def test_withdrawing_with_no_outcome_recorded_is_refused() -> None:
    case = allocated_case()

    with pytest.raises(InvalidTransition, match="no recorded outcome"):
        case.withdraw_outcome(OFFICER, at(days=1), "New concerns")


def test_withdrawing_needs_an_explanation() -> None:
    case = allocated_case()
    case.close(ClosureReason.MOVED_TO_OTHER_LA, OFFICER, at(days=1), ClosureDetails(la_code="886"))

    with pytest.raises(InvalidRecord, match="why the outcome is withdrawn"):
        case.withdraw_outcome(OFFICER, at(days=2), "  ")


def test_a_transfer_is_acknowledged_only_while_the_case_waits_for_it() -> None:
    case = allocated_case()
    with pytest.raises(InvalidTransition, match="not awaiting an acknowledgement"):
        case.acknowledge_transfer(OFFICER, at(days=1))

    case.close(ClosureReason.MOVED_TO_OTHER_LA, OFFICER, at(days=1), ClosureDetails(la_name="Herefordshire"))
    case.acknowledge_transfer(OFFICER, at(days=2))

    assert not case.is_open and case.outcome is not None and case.outcome.details.acknowledged


def test_a_priority_change_needs_a_new_priority_a_reason_and_an_open_case() -> None:
    case = allocated_case(priority=Priority.P3)
    with pytest.raises(InvalidTransition, match="already priority P3"):
        case.change_priority(Priority.P3, OFFICER, at(days=1), "no change")
    with pytest.raises(InvalidRecord, match="reason"):
        case.change_priority(Priority.P1, OFFICER, at(days=1), "")
    case.close(ClosureReason.MOVED_ABROAD, OFFICER, at(days=1), ClosureDetails(destination_country="Spain"))
    with pytest.raises(CaseClosedError):
        case.change_priority(Priority.P1, OFFICER, at(days=2), "urgent")


# ---------------------------------------------------------------------- siblings


def test_a_sibling_link_is_one_pair_whichever_case_it_is_made_from() -> None:
    one = sibling_link(case_id="b", child_id="child-b", other_case_id="a", other_child_id="child-a",
                       linked_case_ids=[], by=OFFICER, at=NOW)
    other = sibling_link(case_id="a", child_id="child-a", other_case_id="b", other_child_id="child-b",
                         linked_case_ids=[], by=OFFICER, at=NOW)

    assert (one.case_id, one.sibling_case_id) == (other.case_id, other.sibling_case_id) == ("a", "b")
    assert one.other("a") == "b" and one.other("b") == "a"


@pytest.mark.parametrize(
    ("other_case_id", "other_child_id", "linked", "error", "message"),
    [
        ("a", "child-a", [], InvalidRecord, "cannot be linked to itself"),
        ("b", "child-a", [], InvalidRecord, "same child"),
        ("b", "child-b", ["b"], InvalidTransition, "already linked"),
    ],
)
def test_a_sibling_link_is_refused_for_the_same_case_the_same_child_or_twice(
    other_case_id: str, other_child_id: str, linked: list[str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        sibling_link(case_id="a", child_id="child-a", other_case_id=other_case_id, other_child_id=other_child_id,
                     linked_case_ids=linked, by=OFFICER, at=NOW)


# ---------------------------------------------------------------------- addresses


def test_an_address_needs_a_first_line_and_a_real_postcode_or_a_contact_detail() -> None:
    assert address_problems(AddressEntry(), NOW.date()) == {
        "address_line_1": "Enter the new address, or a new phone number or email address"
    }
    assert address_problems(AddressEntry(postcode="not one"), NOW.date()) == {
        "address_line_1": "Enter the first line of the address",
        "postcode": "Enter a real postcode, for example WR1 2AB",
    }
    assert address_problems(AddressEntry(email="no-at-sign"), NOW.date()) == {
        "email": "Enter an email address in the correct format, like name@example.com"
    }
    assert address_problems(AddressEntry(phone="01905 765432"), NOW.date()) == {}
    moved_later = AddressEntry(address_line_1="1 Example Row", postcode="WR1 2AB", moved_on=date(2026, 3, 11))
    assert address_problems(moved_later, NOW.date()) == {
        "moved_on-day": "The date the family moved must be today or in the past"
    }


def test_a_postcode_is_kept_in_its_usual_form_and_a_bad_entry_is_refused() -> None:
    assert checked_address(AddressEntry(address_line_1="1 Example Row", postcode="wr12ab"), NOW.date()).postcode == (
        "WR1 2AB"
    )
    with pytest.raises(InvalidRecord, match="first line"):
        checked_address(AddressEntry(postcode="WR1 2AB"), NOW.date())


def test_the_current_details_are_the_latest_entry() -> None:
    first = AddressRecord(1, "a", AddressEntry(address_line_1="1 Old Row", postcode="WR1 2AB"), OFFICER, NOW)
    second = AddressRecord(2, "a", AddressEntry(phone="01905 765432"), OFFICER, NOW + timedelta(days=1))
    same_moment = AddressRecord(3, "a", AddressEntry(email="p@example.com"), OFFICER, NOW + timedelta(days=1))

    assert current_contact([]) is None
    assert current_contact([second, first]) == second
    assert current_contact([first, same_moment, second]) == same_moment


# ---------------------------------------------------------------------- the Family Front Door prompt


PROMPT = FfdPrompt("case-1", "referral-1", ("Open to social care and whereabouts unknown",), NOW)


def test_a_referral_to_the_front_door_needs_its_date_and_reference() -> None:
    with pytest.raises(InvalidRecord, match="date it was made"):
        acknowledge_ffd(PROMPT, FfdDecision.REFERRED, by=OFFICER, at=NOW, reference="FFD-1")
    with pytest.raises(InvalidRecord, match="reference"):
        acknowledge_ffd(PROMPT, FfdDecision.REFERRED, by=OFFICER, at=NOW, referred_on=NOW.date())
    with pytest.raises(InvalidRecord, match="today or in the past"):
        acknowledge_ffd(PROMPT, FfdDecision.REFERRED, by=OFFICER, at=NOW, referred_on=date(2026, 3, 11),
                        reference="FFD-1")

    done = acknowledge_ffd(PROMPT, FfdDecision.REFERRED, by=OFFICER, at=NOW, referred_on=NOW.date(),
                           reference=" FFD-1 ")

    assert (done.decision, done.referred_on, done.reference) == (FfdDecision.REFERRED, NOW.date(), "FFD-1")


def test_not_needed_needs_why_and_an_acknowledged_prompt_is_not_answered_again() -> None:
    with pytest.raises(InvalidRecord, match="why"):
        acknowledge_ffd(PROMPT, FfdDecision.NOT_NEEDED, by=OFFICER, at=NOW, why=" ")
    answer = acknowledge_ffd(PROMPT, FfdDecision.NOT_NEEDED, by=OFFICER, at=NOW, why="Social worker already knows")
    answered = FfdPrompt(PROMPT.case_id, PROMPT.referral_id, PROMPT.reasons, NOW, answer)

    assert PROMPT.outstanding and not answered.outstanding
    with pytest.raises(InvalidTransition, match="already been acknowledged"):
        acknowledge_ffd(answered, FfdDecision.NOT_NEEDED, by=OFFICER, at=NOW, why="again")


# ---------------------------------------------------------------------- the use cases, against in-memory ports

CASE_A, CASE_B, CASE_1 = str(uuid4()), str(uuid4()), str(uuid4())


def user(user_id: str, role: Role, team: str = "team-a") -> User:
    return User(user_id, f"{user_id}@example.invalid", user_id, "XX", frozenset({role}), team)


def world(*cases: Case) -> tuple[CaseRecordsService, FakeCaseRecords, FakeCaseRepository, FakeAuditLog,
                                   RecordingOutbox]:
    repository = FakeCaseRepository(cases)
    records = FakeCaseRecords(repository)
    outbox = RecordingOutbox()
    service = CaseworkService(outbox, repository, FixedClock(NOW), records=records)
    audit = FakeAuditLog()
    actions = FakeOfficerActions(service, audit, {OFFICER: "team-a", "officer-9": "team-b"})
    return CaseRecordsService(actions, records, FixedClock(NOW)), records, repository, audit, outbox


async def test_linking_a_sibling_shows_on_both_cases_and_is_audited_on_both() -> None:
    first = allocated_case(CASE_A, child_id="child-a")
    second = allocated_case(CASE_B, child_id="child-b")
    service, records, repository, audit, _ = world(first, second)

    await service.link_sibling(TRANSACTION, user(OFFICER, Role.CME_OFFICER), CASE_A, CASE_B)

    officer = user(OFFICER, Role.CME_OFFICER)
    assert [s.summary.case_id for s in (await service.for_case(TRANSACTION, officer, first)).siblings] == [CASE_B]
    assert [s.summary.case_id for s in (await service.for_case(TRANSACTION, officer, second)).siblings] == [CASE_A]
    assert [(a.action, a.record_id) for a in audit.actions if a.action == "case.sibling_linked"] == [
        ("case.sibling_linked", CASE_A), ("case.sibling_linked", CASE_B)
    ]
    assert {entry["kind"] for entry in repository.timeline} == {"records.sibling_linked"}
    with pytest.raises(InvalidTransition, match="already linked"):
        await service.link_sibling(TRANSACTION, officer, CASE_B, CASE_A)
    assert len(records.links) == 1


async def test_an_officer_cannot_link_a_case_outside_their_team() -> None:
    mine = allocated_case(CASE_A, child_id="child-a")
    theirs = open_case(CASE_B, child_id="child-b")
    theirs.allocate("officer-9", TEAM_LEAD, at(hours=1))
    service, records, _, audit, _ = world(mine, theirs)

    with pytest.raises(NotPermitted):
        await service.link_sibling(TRANSACTION, user(OFFICER, Role.CME_OFFICER), CASE_A, CASE_B)

    assert records.links == []
    assert [(a.action, a.record_id) for a in audit.actions] == [("case.change_refused", CASE_B)]


async def test_each_address_change_is_a_new_entry_and_the_latest_is_current() -> None:
    service, records, _, audit, _ = world(allocated_case(CASE_1))
    officer = user(OFFICER, Role.CME_OFFICER)

    await service.record_address(TRANSACTION, officer, CASE_1,
                                 AddressEntry(address_line_1="1 Old Row", postcode="wr1 2ab"))
    await service.record_address(TRANSACTION, officer, CASE_1, AddressEntry(phone="01905 765432"))

    history = await records.addresses(TRANSACTION, CASE_1)
    assert [(r.entry.postcode, r.entry.phone) for r in history] == [("", "01905 765432"), ("WR1 2AB", "")]
    assert [a.action for a in audit.actions] == ["case.address_recorded"] * 2


async def test_a_role_without_the_permission_cannot_record_an_address() -> None:
    service, records, _, _, _ = world(allocated_case(CASE_1))

    with pytest.raises(NotPermitted):
        await service.record_address(TRANSACTION, user("manager-1", Role.ENGAGEMENT_MANAGER), CASE_1,
                                     AddressEntry(phone="01905 765432"))
    assert records.address_rows == []


def decision(child_id: str, *, ffd: bool, siblings: tuple[str, ...] = ()) -> TriageDecided:
    return TriageDecided(
        decision_id=uuid4(), referral_id=uuid4(), child_id=child_id, decided_at=NOW, is_cme=True,
        track=TriageTrack.CME_ENQUIRY, priority=TriagePriority.P2, refer_to_family_front_door=ffd,
        reasons=("Open to social care",), rules_version="test", kind=ReferralKind.LEAVER,
        child=Child(given_name="Zephyrine", family_name="Quillfeather"),
        sibling_child_ids=siblings,
    )


async def test_a_triage_decision_leaves_an_outstanding_ffd_prompt_and_the_suggested_siblings_once() -> None:
    child_id, sibling_id = str(uuid4()), str(uuid4())
    service, records, _, _, _ = world(allocated_case(CASE_1, child_id=child_id))
    triage = decision(child_id, ffd=True, siblings=(sibling_id,))

    await service.keep_triage_follow_ups(TRANSACTION, CASE_1, triage)
    await service.keep_triage_follow_ups(TRANSACTION, CASE_1, triage)

    [prompt] = await records.ffd_prompts(TRANSACTION, CASE_1)
    assert prompt.outstanding and prompt.reasons == ("Open to social care",)
    assert [s.child_id for s in await records.suggested_siblings(TRANSACTION, CASE_1)] == [sibling_id]


async def test_no_prompt_when_triage_does_not_ask_for_a_front_door_referral() -> None:
    child_id = str(uuid4())
    service, records, _, _, _ = world(allocated_case(CASE_1, child_id=child_id))

    await service.keep_triage_follow_ups(TRANSACTION, CASE_1, decision(child_id, ffd=False))

    assert await records.ffd_prompts(TRANSACTION, CASE_1) == []


async def test_acknowledging_the_prompt_clears_it_and_a_second_answer_is_refused() -> None:
    child_id = str(uuid4())
    service, _, _, audit, _ = world(allocated_case(CASE_1, child_id=child_id))
    triage = decision(child_id, ffd=True)
    await service.keep_triage_follow_ups(TRANSACTION, CASE_1, triage)
    officer = user(OFFICER, Role.CME_OFFICER)
    entry = FfdEntry(str(triage.referral_id), FfdDecision.REFERRED, NOW.date(), "FFD-77")

    await service.acknowledge_ffd(TRANSACTION, officer, CASE_1, entry)

    view = await service.for_case(TRANSACTION, officer, allocated_case(CASE_1, child_id=child_id))
    assert view.outstanding_ffd == []
    assert view.ffd_prompts[0].acknowledgement is not None
    assert view.ffd_prompts[0].acknowledgement.reference == "FFD-77"
    assert ("case.ffd_acknowledged", CASE_1) in [(a.action, a.record_id) for a in audit.actions]
    with pytest.raises(InvalidTransition):
        await service.acknowledge_ffd(TRANSACTION, officer, CASE_1, entry)


async def test_the_missing_mondays_form_lists_the_linked_siblings_children() -> None:
    case = case_with_full_checklist(CASE_A, child_id=str(uuid4()))
    sibling = allocated_case(CASE_B, child_id=str(uuid4()))
    service, _, repository, _, outbox = world(case, sibling)
    await service.link_sibling(TRANSACTION, user(OFFICER, Role.CME_OFFICER), CASE_A, CASE_B)
    version = case.version

    case.escalate(EscalationKind.MISSING_MONDAYS, TEAM_LEAD, at(days=2), cme_score=5, safeguarding_score=1)
    await service.actions.service.commit_changes(TRANSACTION, case, version)

    [escalated] = outbox.of_type(CaseEscalated)
    assert isinstance(escalated, CaseEscalated)
    assert len(escalated.children) == 2
    assert escalated.children[1].given_name == sibling.child.given_name
    assert escalated.children[1].date_of_birth == sibling.child.date_of_birth
    assert escalated.children[1].previous_school == sibling.child.school_name
    assert repository.cases[CASE_A].missing_mondays_pending


async def test_the_missing_mondays_form_gives_each_childs_last_day_in_school_from_its_leaver_returns() -> None:
    case = case_with_full_checklist(CASE_A, child_id=str(uuid4()))
    sibling = allocated_case(CASE_B, child_id=str(uuid4()))
    repository = FakeCaseRepository([case, sibling])
    records, returns, outbox = FakeCaseRecords(repository), FakeReturns(), RecordingOutbox()
    service = CaseworkService(outbox, repository, FixedClock(NOW), records=records, returns=returns)
    actions = FakeOfficerActions(service, FakeAuditLog(), {OFFICER: "team-a"})
    await CaseRecordsService(actions, records, FixedClock(NOW)).link_sibling(
        TRANSACTION, user(OFFICER, Role.CME_OFFICER), CASE_A, CASE_B)
    for case_id, child_id, kind, left in (
        (CASE_A, case.child_id, "leaver", date(2026, 10, 2)),
        (CASE_A, case.child_id, "leaver", date(2026, 10, 9)),  # a later return about the same child
        (CASE_A, case.child_id, "absence", date(2026, 11, 1)),  # not a leaving date
        (CASE_B, sibling.child_id, "leaver", date(2026, 9, 30)),
    ):
        await returns.add(TRANSACTION, ReturnRecord(referral_id=str(uuid4()), case_id=case_id, child_id=child_id,
                                                    kind=kind, leaving_date=left))
    version = case.version

    case.escalate(EscalationKind.MISSING_MONDAYS, TEAM_LEAD, at(days=2), cme_score=5, safeguarding_score=1)
    await service.commit_changes(TRANSACTION, case, version)

    [escalated] = outbox.of_type(CaseEscalated)
    assert isinstance(escalated, CaseEscalated)
    assert [child.last_day_in_school for child in escalated.children] == [date(2026, 10, 9), date(2026, 9, 30)]
