"""Telling or asking another authority (issue 9): who may, on which case, and what the form must hold."""

import pytest

from services.casework.domain.access import Actor, Role
from services.casework.domain.authority_contact import (
    MAX_REASON_LENGTH,
    AuthorityContact,
    BelievedAddress,
    ContactKind,
    checked_contact,
    contact_problems,
    contact_summary,
    la_code_problem,
    may_contact_other_authority,
)
from services.casework.domain.errors import CaseClosedError, InvalidRecord
from services.casework.domain.records import ClosureDetails
from services.casework.domain.vocabulary import ClosureReason
from services.casework.tests.factories import OFFICER, TEAM_LEAD, allocated_case, at

HOME = "885"
NO_ADDRESS = BelievedAddress()


def actor(role: Role, user_id: str = "someone-else") -> Actor:
    return Actor(user_id, frozenset({role}), "team-1")


def test_the_case_s_own_officer_the_team_lead_and_the_lead_officer_may_contact_another_authority() -> None:
    assert may_contact_other_authority(actor(Role.CME_OFFICER, OFFICER), OFFICER)
    assert may_contact_other_authority(actor(Role.ENGAGEMENT_MANAGER, TEAM_LEAD), OFFICER)
    assert may_contact_other_authority(actor(Role.LEAD_OFFICER), OFFICER)
    assert may_contact_other_authority(actor(Role.LEAD_OFFICER), None)


@pytest.mark.parametrize("role", [Role.GROUP_MANAGER, Role.SENIOR_OFFICER, Role.ADMINISTRATOR])
def test_managers_who_change_nothing_may_not(role: Role) -> None:
    assert not may_contact_other_authority(actor(role), OFFICER)


def test_another_officer_of_the_team_may_not_speak_for_a_colleague_s_case() -> None:
    assert not may_contact_other_authority(actor(Role.CME_OFFICER, "officer-2"), OFFICER)
    assert not may_contact_other_authority(actor(Role.CME_OFFICER, "officer-2"), None)


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("", "Enter the other authority's 3-digit DfE LA code, for example 886"),
        ("88", "Enter the LA code as 3 digits, for example 886"),
        ("8861", "Enter the LA code as 3 digits, for example 886"),
        ("88a", "Enter the LA code as 3 digits, for example 886"),
        ("885", "885 is this authority's own code. Enter the code of the authority the child may have moved to"),
    ],
)
def test_the_la_code_must_be_three_digits_and_not_this_authority_s(code: str, problem: str) -> None:
    assert la_code_problem(code, HOME) == problem


def test_another_authority_s_code_is_accepted() -> None:
    assert la_code_problem("886", HOME) is None


def test_every_problem_is_named_at_once() -> None:
    problems = contact_problems("", "12", "  ", NO_ADDRESS, HOME)

    assert set(problems) == {"kind", "to_la", "reason"}


def test_the_reason_is_limited_to_the_contract_s_length() -> None:
    assert "reason" not in contact_problems("referral", "886", "x" * MAX_REASON_LENGTH, NO_ADDRESS, HOME)
    assert contact_problems("referral", "886", "x" * (MAX_REASON_LENGTH + 1), NO_ADDRESS, HOME) == {
        "reason": "Enter no more than 2,000 characters"
    }


def test_an_address_is_optional_but_when_given_needs_a_first_line_and_a_real_postcode() -> None:
    assert contact_problems("enquiry", "886", "Seen there", NO_ADDRESS, HOME) == {}
    only_town = contact_problems("enquiry", "886", "Seen there", BelievedAddress(town="Hereford"), HOME)
    assert set(only_town) == {"address_line_1"}
    bad_postcode = contact_problems("enquiry", "886", "Seen there",
                                    BelievedAddress(line1="1 High Street", postcode="nonsense"), HOME)
    assert bad_postcode == {"postcode": "Enter a real postcode, for example WR1 2AB"}


def test_a_checked_contact_has_its_postcode_in_the_usual_form_and_its_reason_trimmed() -> None:
    contact = AuthorityContact(ContactKind.REFERRAL, "886", " Moved to Hereford \n",
                               BelievedAddress(line1="1 High Street", postcode="hr11aa"))

    checked = checked_contact(allocated_case(), contact, HOME)

    assert checked.believed_address.postcode == "HR1 1AA"
    assert checked.reason == "Moved to Hereford"


def test_only_an_open_case_may_be_sent_to_another_authority() -> None:
    case = allocated_case()
    case.close(ClosureReason.OTHER, OFFICER, at(days=1), ClosureDetails(text="No longer needed"))
    contact = AuthorityContact(ContactKind.ENQUIRY, "886", "Is the child known to you?")

    with pytest.raises(CaseClosedError, match="reopen it"):
        checked_contact(case, contact, HOME)


def test_the_checked_contact_refuses_what_the_form_would() -> None:
    with pytest.raises(InvalidRecord, match="own code"):
        checked_contact(allocated_case(), AuthorityContact(ContactKind.ENQUIRY, HOME, "Known?"), HOME)


def test_the_timeline_line_names_the_kind_and_the_la_code_only() -> None:
    assert contact_summary(ContactKind.REFERRAL, "886") == "CME referral sent to LA 886 (pending)"
    assert contact_summary(ContactKind.ENQUIRY, "203") == "Enquiry sent to LA 203 (pending)"
