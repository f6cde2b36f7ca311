from dataclasses import FrozenInstanceError, replace
from datetime import date, datetime

import pytest

from services.casework.domain.case import (
    SYSTEM_ACTOR,
    Case,
    CaseFlags,
    CheckStatus,
    CheckType,
    ClosureDetails,
    ClosureReason,
    ContactMethod,
    ContactResult,
    EscalationKind,
    Priority,
    ReviewDecision,
    RiskBand,
    RouteAction,
    Status,
    checklist_complete,
    route_referral,
)
from services.casework.domain.errors import (
    CaseClosedError,
    ClosureRefused,
    DomainError,
    InvalidRecord,
    InvalidTransition,
    MoreThanOneOpenCase,
)
from services.casework.domain.events import (
    CaseAllocated,
    CaseClosed,
    CaseOpened,
    CaseReopened,
    CheckRecorded,
    ContactRecorded,
    EnquiriesStarted,
    FlagsRaised,
    NoteAdded,
    OutcomeRecorded,
    PriorityChanged,
    ReferralAttached,
    SocialWorkerLiaised,
)
from services.casework.tests.factories import (
    CHILD_FAMILY_NAME,
    CHILD_GIVEN_NAME,
    OFFICER,
    SENIOR,
    TEAM_LEAD,
    allocated_case,
    at,
    open_case,
    record_checks,
    record_joint_enquiries,
)


def closed_case(case_id: str = "case-1", *, closed_on_day: int = 3, **kwargs: object) -> Case:
    case = allocated_case(case_id, **kwargs)
    details = ClosureDetails(destination_country="PL")
    case.close(ClosureReason.MOVED_ABROAD, OFFICER, at(days=closed_on_day), details)
    return case


def test_open_starts_triaged_with_version_one_and_a_case_opened_event() -> None:
    case = open_case(priority=Priority.P2)

    assert case.status is Status.TRIAGED
    assert case.version == 1
    assert case.referral_ids == ["referral-1"]
    [event] = case.events
    assert isinstance(event, CaseOpened)
    assert (event.case_id, event.case_version, event.actor) == ("case-1", 1, SYSTEM_ACTOR)
    assert event.kind == "case.opened"
    assert event.priority is Priority.P2
    assert "referral-1" in event.summary


@pytest.mark.parametrize("flag", ["cla", "cp", "cin", "ehcp", "safeguarding_concern"])
def test_open_makes_statutory_and_safeguarding_flags_priority_one(flag: str) -> None:
    case = open_case(priority=Priority.P3, flags=CaseFlags(**{flag: True}))

    assert case.priority is Priority.P1
    assert "raised from P3" in case.events[0].summary


def test_happy_path_from_triage_to_closure_records_each_step() -> None:
    case = open_case()
    case.allocate(OFFICER, TEAM_LEAD, at(hours=1))
    assert case.status is Status.ALLOCATED

    case.record_contact(ContactMethod.PHONE, at(days=1), OFFICER, ContactResult.SPOKE_TO_PARENT, "Rang")
    assert case.status is Status.ENQUIRIES

    record_checks(case, [CheckType.NEW_SCHOOL_DETAILS], when=at(days=2))
    status = case.close(
        ClosureReason.REGISTERED_INTO_PROVISION,
        OFFICER,
        at(days=3),
        ClosureDetails(school_id="school-22"),
    )

    assert status is Status.CLOSED
    assert case.closed_at == at(days=3)
    assert case.outcome is not None and case.outcome.details.school_id == "school-22"
    assert [type(event) for event in case.events] == [
        CaseOpened,
        CaseAllocated,
        EnquiriesStarted,
        ContactRecorded,
        CheckRecorded,
        CaseClosed,
    ]
    assert case.version == 5
    assert [event.case_version for event in case.events] == [1, 2, 3, 3, 4, 5]
    assert all(event.case_id == "case-1" and event.summary for event in case.events)
    with pytest.raises(FrozenInstanceError):
        case.events[0].summary = "rewritten"  # type: ignore[misc]


def test_first_check_starts_enquiries_once() -> None:
    case = allocated_case()
    record_checks(case, [CheckType.SOCIAL_CARE_SYSTEM, CheckType.GIAP])

    assert case.status is Status.ENQUIRIES
    assert sum(isinstance(event, EnquiriesStarted) for event in case.events) == 1


def test_recording_enquiries_before_allocation_is_refused() -> None:
    case = open_case()

    with pytest.raises(InvalidTransition, match="allocated"):
        record_checks(case, [CheckType.SOCIAL_CARE_SYSTEM])
    with pytest.raises(InvalidTransition):
        case.record_contact(ContactMethod.EMAIL, at(), OFFICER, ContactResult.NO_RESPONSE, "")


@pytest.mark.parametrize(
    "command",
    [
        lambda case: case.allocate("officer-2", TEAM_LEAD, at(days=5)),
        lambda case: record_checks(case, [CheckType.GIAP], when=at(days=5)),
        lambda case: case.record_contact(
            ContactMethod.LETTER,
            at(days=5),
            OFFICER,
            ContactResult.NO_RESPONSE,
            "",
        ),
        lambda case: case.attach_referral("referral-2", Priority.P1, at(days=5)),
        lambda case: case.close(ClosureReason.DIED, OFFICER, at(days=5)),
        lambda case: case.change_priority(Priority.P1, TEAM_LEAD, at(days=5), "New concern"),
        lambda case: case.close_as_registered_into_provision("school-3", at(days=5)),
        lambda case: case.escalate(EscalationKind.FAP, TEAM_LEAD, at(days=5)),
        lambda case: case.apply_review_decision(RiskBand.LO, ReviewDecision.CLOSE, SENIOR, at(days=5), None),
        lambda case: case.record_outcome(ClosureReason.DIED, OFFICER, at(days=5)),
        record_joint_enquiries,
    ],
    ids=[
        "allocate",
        "check",
        "contact",
        "attach",
        "close",
        "priority",
        "joiner",
        "escalate",
        "review",
        "outcome",
        "joint-enquiry",
    ],
)
def test_commands_on_a_closed_case_raise_and_change_nothing(command: object) -> None:
    case = closed_case()
    version, event_count = case.version, len(case.events)

    with pytest.raises(CaseClosedError):
        command(case)  # type: ignore[operator]

    assert (case.version, len(case.events), case.status) == (version, event_count, Status.CLOSED)


def test_illegal_transitions_raise() -> None:
    case = allocated_case()

    with pytest.raises(InvalidTransition, match="already allocated"):
        case.allocate(OFFICER, TEAM_LEAD, at(days=1))
    with pytest.raises(InvalidTransition, match="not closed"):
        case.reopen("referral-2", at(days=1), "New address")
    with pytest.raises(InvalidTransition, match="acknowledgement"):
        case.acknowledge_transfer(TEAM_LEAD, at(days=1))
    with pytest.raises(InvalidTransition, match="no recorded outcome"):
        case.withdraw_outcome(OFFICER, at(days=1), "Mistake")


def test_reallocation_keeps_status_and_names_both_officers() -> None:
    case = allocated_case()
    record_checks(case, [CheckType.GIAP])

    case.allocate("officer-2", TEAM_LEAD, at(days=2))

    assert case.status is Status.ENQUIRIES
    event = case.events[-1]
    assert isinstance(event, CaseAllocated)
    assert (event.previous_officer_id, event.officer_id) == (OFFICER, "officer-2")


def test_naive_timestamps_are_refused() -> None:
    case = open_case()

    with pytest.raises(InvalidRecord, match="time zone"):
        case.allocate(OFFICER, TEAM_LEAD, datetime(2026, 3, 2, 10, 0))


# ---------------------------------------------------------------- attach and reopen: one open case per child


def test_attached_referral_can_raise_priority_and_bring_an_earlier_due_date() -> None:
    case = open_case(priority=Priority.P3, due_date=date(2026, 3, 30))

    case.attach_referral("referral-2", Priority.P2, at(days=1), due_date=date(2026, 3, 20))

    assert case.priority is Priority.P2
    assert case.due_date == date(2026, 3, 20)
    assert case.referral_ids == ["referral-1", "referral-2"]
    event = case.events[-1]
    assert isinstance(event, ReferralAttached)
    assert (event.priority_before, event.priority_after) == (Priority.P3, Priority.P2)


def test_attached_referral_never_silently_lowers_priority_or_delays_due_date() -> None:
    case = open_case(priority=Priority.P1, due_date=date(2026, 3, 20))

    case.attach_referral("referral-2", Priority.P3, at(days=1), due_date=date(2026, 4, 20))

    assert case.priority is Priority.P1
    assert case.due_date == date(2026, 3, 20)
    assert "stays P1 (referral assessed P3)" in case.events[-1].summary


def test_attaching_the_same_referral_twice_does_nothing() -> None:
    case = open_case()
    case.attach_referral("referral-2", Priority.P3, at(days=1))
    version = case.version

    case.attach_referral("referral-2", Priority.P1, at(days=2))

    assert case.version == version
    assert case.referral_ids == ["referral-1", "referral-2"]
    assert case.priority is Priority.P3


def test_attached_referral_adds_flags_and_statutory_flags_make_it_priority_one() -> None:
    case = open_case(priority=Priority.P3)

    new_flags = CaseFlags(cp=True, open_to_social_care=True)
    case.attach_referral("referral-2", Priority.P3, at(days=1), flags=new_flags)

    assert case.flags.cp and case.flags.open_to_social_care
    assert case.priority is Priority.P1
    flags_event = next(event for event in case.events if isinstance(event, FlagsRaised))
    assert flags_event.flags == ("cp", "open_to_social_care")


def test_lowering_priority_needs_an_explicit_reasoned_change() -> None:
    case = open_case(priority=Priority.P2)

    case.change_priority(Priority.P3, TEAM_LEAD, at(days=1), "Vulnerability no longer applies")

    assert case.priority is Priority.P3
    assert isinstance(case.events[-1], PriorityChanged)
    with pytest.raises(InvalidRecord, match="reason"):
        case.change_priority(Priority.P1, TEAM_LEAD, at(days=1), "  ")


def test_priority_cannot_fall_below_p1_while_a_statutory_flag_is_set() -> None:
    case = open_case(flags=CaseFlags(cla=True))

    with pytest.raises(InvalidTransition, match="must stay P1"):
        case.change_priority(Priority.P2, TEAM_LEAD, at(days=1), "Reassessed")


def test_reopen_returns_a_closed_case_to_the_queue_and_restarts_the_checklist() -> None:
    case = allocated_case()
    record_checks(case, [CheckType.SOCIAL_CARE_SYSTEM])
    case.close(ClosureReason.EHE_CONFIRMED, OFFICER, at(days=3))

    case.reopen("referral-2", at(days=10), "Home education ended", priority=Priority.P2)

    assert case.status is Status.TRIAGED
    assert case.officer_id is None
    assert case.reopen_count == 1
    assert case.outcome is None and case.closed_at is None
    assert case.priority is Priority.P2
    assert case.referral_ids == ["referral-1", "referral-2"]
    assert case.checks_this_episode() == []
    assert len(case.checks) == 1
    event = case.events[-1]
    assert isinstance(event, CaseReopened)
    assert (event.reopen_count, event.officer_kept) == (1, False)


def test_reopen_can_keep_the_officer() -> None:
    case = closed_case()

    case.reopen("referral-2", at(days=10), "New address found", keep_officer=True)

    assert case.status is Status.ALLOCATED
    assert case.officer_id == OFFICER


def test_a_case_closed_as_duplicate_is_not_reopened() -> None:
    case = open_case()
    case.close(ClosureReason.DUPLICATE, TEAM_LEAD, at(days=1), ClosureDetails(duplicate_of="case-0"))

    with pytest.raises(InvalidTransition, match="duplicate"):
        case.reopen("referral-2", at(days=2), "New information")


def test_route_referral_attaches_to_the_open_case() -> None:
    cases = [closed_case("case-old"), open_case("case-new")]

    assert route_referral(cases).action is RouteAction.ATTACH
    assert route_referral(cases).case_id == "case-new"


def test_route_referral_reopens_the_latest_closed_case_that_is_not_a_duplicate() -> None:
    older = closed_case("case-a", closed_on_day=3)
    newer = closed_case("case-b", closed_on_day=8)
    duplicate = open_case("case-c")
    duplicate.close(ClosureReason.DUPLICATE, TEAM_LEAD, at(days=20), ClosureDetails(duplicate_of="case-b"))

    route = route_referral([older, newer, duplicate])

    assert (route.action, route.case_id) == (RouteAction.REOPEN, "case-b")


def test_route_referral_opens_a_new_case_when_the_child_has_none() -> None:
    route = route_referral([])

    assert (route.action, route.case_id) == (RouteAction.OPEN_NEW, None)


def test_route_referral_reports_more_than_one_open_case() -> None:
    with pytest.raises(MoreThanOneOpenCase, match="case-1, case-2"):
        route_referral([open_case("case-1"), open_case("case-2")])


def test_route_referral_refuses_cases_of_different_children() -> None:
    with pytest.raises(InvalidRecord):
        route_referral([open_case("case-1", child_id="child-1"), closed_case("case-2", child_id="child-2")])


# ---------------------------------------------------------------- checks, contacts, notes, social worker


def test_check_validation() -> None:
    case = allocated_case()
    moment = at(days=1)

    with pytest.raises(InvalidRecord, match="initials"):
        case.record_check(
            CheckType.GIAP,
            CheckStatus.DONE,
            on=moment.date(),
            officer_id=OFFICER,
            officer_initials="a1",
            outcome="No trace",
            note="",
            at=moment,
        )
    with pytest.raises(InvalidRecord, match="future"):
        case.record_check(
            CheckType.GIAP,
            CheckStatus.DONE,
            on=date(2026, 3, 4),
            officer_id=OFFICER,
            officer_initials="ab",
            outcome="No trace",
            note="",
            at=moment,
        )
    with pytest.raises(InvalidRecord, match="outcome"):
        case.record_check(
            CheckType.GIAP,
            CheckStatus.DONE,
            on=moment.date(),
            officer_id=OFFICER,
            officer_initials="ab",
            outcome=" ",
            note="",
            at=moment,
        )
    with pytest.raises(InvalidRecord, match="not applicable"):
        case.record_check(
            CheckType.GIAP,
            CheckStatus.NOT_APPLICABLE,
            on=moment.date(),
            officer_id=OFFICER,
            officer_initials="ab",
            outcome="",
            note="",
            at=moment,
        )
    with pytest.raises(InvalidRecord, match="safeguarding concern"):
        case.record_check(
            CheckType.LEAVER_FORM_OR_SCHOOL_DISCUSSION,
            CheckStatus.DONE,
            on=moment.date(),
            officer_id=OFFICER,
            officer_initials="ab",
            outcome="Spoke to DSL",
            note="",
            at=moment,
        )
    with pytest.raises(InvalidRecord, match="only the school discussion"):
        case.record_check(
            CheckType.GIAP,
            CheckStatus.DONE,
            on=moment.date(),
            officer_id=OFFICER,
            officer_initials="ab",
            outcome="No trace",
            note="",
            at=moment,
            school_safeguarding_concern=True,
        )
    assert case.checks == []
    assert case.status is Status.ALLOCATED


def test_school_safeguarding_concern_flags_the_case_and_makes_it_p1() -> None:
    case = allocated_case(priority=Priority.P3)
    moment = at(days=1)

    case.record_check(
        CheckType.LEAVER_FORM_OR_SCHOOL_DISCUSSION,
        CheckStatus.DONE,
        on=moment.date(),
        officer_id=OFFICER,
        officer_initials="ab",
        outcome="Spoke to DSL",
        note="",
        at=moment,
        school_safeguarding_concern=True,
    )

    assert case.flags.safeguarding_concern
    assert case.priority is Priority.P1
    assert [type(event) for event in case.events[-3:]] == [CheckRecorded, FlagsRaised, PriorityChanged]
    assert case.checks[0].officer_initials == "AB"


@pytest.mark.parametrize(
    ("method", "result"),
    [
        (ContactMethod.LETTER, ContactResult.CHILD_SEEN),
        (ContactMethod.EMAIL, ContactResult.ADDRESS_VACANT),
        (ContactMethod.PHONE, ContactResult.RETURNED_UNDELIVERED),
        (ContactMethod.HOME_VISIT, ContactResult.NUMBER_UNOBTAINABLE),
    ],
)
def test_contact_result_must_fit_the_method(method: ContactMethod, result: ContactResult) -> None:
    case = allocated_case()

    with pytest.raises(InvalidRecord, match="cannot have the result"):
        case.record_contact(method, at(days=1), OFFICER, result, "")


def test_contact_is_recorded_with_a_safe_summary() -> None:
    case = allocated_case()

    case.record_contact(
        ContactMethod.HOME_VISIT,
        at(days=1),
        OFFICER,
        ContactResult.ADDRESS_VACANT,
        f"Neighbour says {CHILD_GIVEN_NAME} left",
    )

    assert case.contacts[0].result is ContactResult.ADDRESS_VACANT
    event = case.events[-1]
    assert event.summary == "Contact by home visit: address vacant"
    assert CHILD_GIVEN_NAME not in event.summary


def test_notes_can_be_added_to_closed_cases_but_not_blank() -> None:
    case = closed_case()

    case.add_note("Other LA confirmed school place", TEAM_LEAD, at(days=9))

    assert case.notes[-1].text == "Other LA confirmed school place"
    assert isinstance(case.events[-1], NoteAdded)
    assert case.events[-1].summary == "Note added"
    with pytest.raises(InvalidRecord):
        case.add_note("   ", TEAM_LEAD, at(days=9))


def test_social_worker_liaison_is_due_for_a_child_open_to_social_care_until_recorded() -> None:
    case = allocated_case(flags=CaseFlags(open_to_social_care=True, social_worker_email="sw@example.org"))
    assert case.social_worker_contact_due

    case.liaise_with_social_worker(at(days=1), OFFICER, "Emailed the named social worker")

    assert not case.social_worker_contact_due
    assert isinstance(case.events[-1], SocialWorkerLiaised)


def test_social_worker_liaison_is_refused_when_not_open_to_social_care() -> None:
    case = allocated_case()

    assert not case.social_worker_contact_due
    with pytest.raises(InvalidRecord, match="not open to social care"):
        case.liaise_with_social_worker(at(days=1), OFFICER, "Called")


# ---------------------------------------------------------------- outcomes and closure


def test_move_to_another_la_waits_for_acknowledgement_then_closes() -> None:
    case = allocated_case()
    details = ClosureDetails(la_name="Example Borough", la_code="123")

    status = case.close(ClosureReason.MOVED_TO_OTHER_LA, OFFICER, at(days=2), details)

    assert status is Status.OUTCOME_RECORDED
    assert case.awaiting_transfer_acknowledgement
    assert isinstance(case.events[-1], OutcomeRecorded)

    case.acknowledge_transfer(SYSTEM_ACTOR, at(days=4))

    assert case.status is Status.CLOSED
    assert case.outcome is not None and case.outcome.details.acknowledged
    assert isinstance(case.events[-1], CaseClosed)


def test_move_to_another_la_already_acknowledged_closes_at_once() -> None:
    case = allocated_case()

    status = case.close(
        ClosureReason.MOVED_TO_OTHER_LA, OFFICER, at(days=2), ClosureDetails(la_code="123", acknowledged=True)
    )

    assert status is Status.CLOSED


@pytest.mark.parametrize(
    ("reason", "details", "message"),
    [
        (ClosureReason.MOVED_TO_OTHER_LA, ClosureDetails(), "name or code"),
        (ClosureReason.MOVED_TO_OTHER_LA, ClosureDetails(la_code="12"), "three digits"),
        (ClosureReason.REGISTERED_INTO_PROVISION, ClosureDetails(), "school id"),
        (ClosureReason.OTHER, ClosureDetails(text=" "), "needs details"),
        (ClosureReason.DUPLICATE, ClosureDetails(), "name the other case"),
        (ClosureReason.DUPLICATE, ClosureDetails(duplicate_of="case-1"), "name the other case"),
        (ClosureReason.OTHER, ClosureDetails(text="x" * 10_001), "limited"),
    ],
)
def test_closure_reasons_require_their_details(
    reason: ClosureReason,
    details: ClosureDetails,
    message: str,
) -> None:
    case = allocated_case()

    with pytest.raises(ClosureRefused, match=message):
        case.close(reason, OFFICER, at(days=2), details)
    with pytest.raises(ClosureRefused, match=message):
        case.record_outcome(reason, OFFICER, at(days=2), details)
    assert case.status is Status.ALLOCATED


@pytest.mark.parametrize(
    "reason",
    [
        ClosureReason.EHE_CONFIRMED,
        ClosureReason.ON_ROLL_NOT_CME,
        ClosureReason.DIED,
    ],
)
def test_closure_reasons_without_required_details_close(reason: ClosureReason) -> None:
    case = open_case()

    assert case.close(reason, TEAM_LEAD, at(days=1)) is Status.CLOSED


def test_joiner_return_closes_as_registered_into_provision() -> None:
    case = allocated_case()

    case.close_as_registered_into_provision("school-77", at(days=2))

    assert case.status is Status.CLOSED
    assert case.outcome is not None
    assert case.outcome.reason is ClosureReason.REGISTERED_INTO_PROVISION
    assert case.outcome.details.school_id == "school-77"
    assert case.events[-1].actor == SYSTEM_ACTOR


def test_withdrawing_an_outcome_returns_the_case_to_work() -> None:
    case = allocated_case()
    record_checks(case, [CheckType.GIAP])
    case.record_outcome(ClosureReason.MOVED_TO_OTHER_LA, OFFICER, at(days=2), ClosureDetails(la_code="123"))

    case.withdraw_outcome(OFFICER, at(days=5), "That authority has no record of the child")

    assert case.status is Status.ENQUIRIES
    assert case.outcome is None


def test_personal_data_stays_out_of_repr_summaries_and_errors() -> None:
    case = allocated_case(flags=CaseFlags(social_worker_name="Ann Worker"))
    case.add_note(f"{CHILD_GIVEN_NAME} seen in town", OFFICER, at(days=1))
    with pytest.raises(DomainError) as refused:
        case.close(ClosureReason.OTHER, OFFICER, at(days=1))

    texts = [repr(case), str(refused.value), *(event.summary for event in case.events), repr(case.events)]
    for text in texts:
        assert CHILD_GIVEN_NAME not in text
        assert CHILD_FAMILY_NAME not in text
        assert "2014-05-01" not in text
        assert "B801200005001" not in text
        assert "Ann Worker" not in text


def test_checklist_is_not_complete_for_a_new_case() -> None:
    assert not checklist_complete(allocated_case())


def test_flags_merge_raises_but_never_clears() -> None:
    older = CaseFlags(cp=True, social_worker_name="Old")
    newer = CaseFlags(ehcp=True, social_worker_name=None, social_worker_email="new@example.org")

    merged = older.merged_with(newer)

    assert merged == replace(older, ehcp=True, social_worker_email="new@example.org")
    assert merged.raised_since(older) == ("ehcp",)
