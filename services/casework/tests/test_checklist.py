from dataclasses import fields
from enum import StrEnum

import pytest

from services.casework.domain import vocabulary
from services.casework.domain.case import (
    CaseFlags,
    CheckStatus,
    CheckType,
    checklist_complete,
    joint_enquiries_evidenced,
    outstanding_checks,
)
from services.casework.domain.checklist import (
    STANDARD_CHECKS,
    WHEREABOUTS_UNKNOWN_CHECKS,
    CheckGroup,
    required_checks,
)
from services.casework.domain.records import YES_NO_FLAGS
from services.casework.tests.factories import (
    OFFICER,
    allocated_case,
    at,
    record_checks,
    record_joint_enquiries,
)

APP_F_GROUPS = {
    CheckGroup.EDUCATION: {
        CheckType.LEAVER_FORM_OR_SCHOOL_DISCUSSION,
        CheckType.NEW_ADDRESS_PROVIDED,
        CheckType.NEW_SCHOOL_DETAILS,
        CheckType.FURTHER_DATABASE_CHECKS,
        CheckType.EHCP,
        CheckType.OTHER_INVOLVEMENT,
        CheckType.SCHOOL_ADMISSIONS,
    },
    CheckGroup.SOCIAL_CARE: {CheckType.SOCIAL_CARE_SYSTEM},
    CheckGroup.PARENTS_CARERS: {CheckType.HOME_VISIT, CheckType.DIRECT_EMAIL, CheckType.DIRECT_PHONE},
    CheckGroup.HOUSING_AND_ADDRESS: {CheckType.HOUSING_BENEFIT_COUNCIL_TAX},
    CheckGroup.NHS: {CheckType.CHILD_HEALTH_ENQUIRY, CheckType.NHS_SAFEGUARDING},
    CheckGroup.INTERNET_SOCIAL_MEDIA: {CheckType.INTERNET_SOCIAL_MEDIA},
    CheckGroup.WHEREABOUTS_UNKNOWN: {
        CheckType.NAFN,
        CheckType.WIDER_CHECKS,
        CheckType.GIAP,
        CheckType.BORDER_CONTROL,
    },
}


@pytest.mark.parametrize("group", list(CheckGroup))
def test_each_check_belongs_to_its_app_f_group(group: CheckGroup) -> None:
    assert {check for check in CheckType if check.group is group} == APP_F_GROUPS[group]


def test_every_check_has_a_label() -> None:
    assert all(check.label for check in CheckType)


def test_standard_and_whereabouts_unknown_checks_partition_the_form() -> None:
    assert len(STANDARD_CHECKS) == 15
    assert set(WHEREABOUTS_UNKNOWN_CHECKS) == APP_F_GROUPS[CheckGroup.WHEREABOUTS_UNKNOWN]
    assert set(STANDARD_CHECKS) | set(WHEREABOUTS_UNKNOWN_CHECKS) == set(CheckType)
    assert required_checks(whereabouts_unknown=True) == STANDARD_CHECKS + WHEREABOUTS_UNKNOWN_CHECKS


def test_checklist_complete_after_every_standard_check_done_or_not_applicable() -> None:
    case = allocated_case()
    record_checks(case, STANDARD_CHECKS[:-1])
    assert not checklist_complete(case)
    assert outstanding_checks(case) == (STANDARD_CHECKS[-1],)

    record_checks(case, STANDARD_CHECKS[-1:])

    assert checklist_complete(case)
    assert any(record.status is CheckStatus.NOT_APPLICABLE for record in case.checks)


def test_whereabouts_unknown_case_also_needs_the_additional_group() -> None:
    case = allocated_case(flags=CaseFlags(whereabouts_unknown=True))
    record_checks(case, STANDARD_CHECKS)

    assert not checklist_complete(case)
    assert outstanding_checks(case) == WHEREABOUTS_UNKNOWN_CHECKS

    record_checks(case, WHEREABOUTS_UNKNOWN_CHECKS)

    assert checklist_complete(case)


def test_outstanding_checks_can_ask_about_the_additional_group_for_any_case() -> None:
    case = allocated_case()
    record_checks(case, STANDARD_CHECKS)

    assert checklist_complete(case)
    assert outstanding_checks(case, whereabouts_unknown=True) == WHEREABOUTS_UNKNOWN_CHECKS


def test_a_repeated_check_counts_once() -> None:
    case = allocated_case()
    record_checks(case, [CheckType.HOME_VISIT, CheckType.HOME_VISIT])

    assert len(case.checks) == 2
    assert CheckType.HOME_VISIT not in outstanding_checks(case)
    assert len(outstanding_checks(case)) == len(STANDARD_CHECKS) - 1


def test_joint_enquiries_need_both_school_and_la_evidence() -> None:
    case = allocated_case()
    assert not joint_enquiries_evidenced(case)

    case.record_joint_enquiry(
        vocabulary.JointEnquiryParty.SCHOOL,
        who="School attendance lead",
        action="Called emergency contacts",
        on=at().date(),
        outcome="No answer",
        by=OFFICER,
        at=at(hours=2),
    )
    assert not joint_enquiries_evidenced(case)

    record_joint_enquiries(case)
    assert joint_enquiries_evidenced(case)
    assert {enquiry.party for enquiry in case.joint_enquiries} == set(vocabulary.JointEnquiryParty)


def test_yes_no_flags_cover_every_boolean_flag() -> None:
    assert set(YES_NO_FLAGS) == {flag.name for flag in fields(CaseFlags) if flag.type is bool}


@pytest.mark.parametrize(
    "enum",
    [
        vocabulary.Track,
        vocabulary.CheckStatus,
        vocabulary.ContactMethod,
        vocabulary.ContactResult,
        vocabulary.EscalationKind,
        vocabulary.ReviewDecision,
        vocabulary.JointEnquiryParty,
        vocabulary.ClosureReason,
    ],
)
def test_every_coded_value_shown_on_the_timeline_has_a_label(enum: type[StrEnum]) -> None:
    assert all(vocabulary.LABELS[member] for member in enum)


def test_every_contact_result_is_possible_by_some_method() -> None:
    possible = set().union(*vocabulary.RESULTS_BY_METHOD.values())
    assert possible == set(vocabulary.ContactResult)
    assert set(vocabulary.RESULTS_BY_METHOD) == set(vocabulary.ContactMethod)
