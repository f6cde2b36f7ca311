from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from contracts.events.intake_v1 import JoinerSubmitted, Problem, Submission
from services.intake.domain.schools import load_establishments_csv
from services.intake.service_layer.submission_rules import Clock, SubmissionRules, submission_problems, submitted_on
from services.intake.tests import submissions
from services.intake.tests.submissions import NOW, child


class FixedClock(Clock):
    def now(self) -> datetime:
        return NOW


RULES = SubmissionRules(
    load_establishments_csv(
        "URN,LA (code),EstablishmentNumber,EstablishmentName,PhaseOfEducation (name),EstablishmentStatus (name),"
        "Postcode\n"
        "990001,885,2001,Puddleby Brook Primary School (fictional),Primary,Open,WR5 2NP\n"
        "990016,885,2016,Gorsebury Primary School (fictional),Primary,Closed,WR4 0RE\n"
        "991001,886,2001,Elsewhere Primary School (fictional),Primary,Open,ME1 1AA\n",
        "885",
    ),
    home_la_code="885",
    max_days_ahead=5,
    clock=FixedClock(),
)


def problems(submission: Submission) -> list[tuple[str, str]]:
    return [(problem.field, problem.message) for problem in submission_problems(submission, RULES)]


@pytest.mark.parametrize("submission", submissions.ALL_TYPES, ids=lambda s: type(s).__name__)
def test_a_complete_submission_of_each_type_has_no_problems(submission: Submission) -> None:
    assert submission_problems(submission, RULES) == []


def test_every_problem_with_the_child_is_listed_at_once_by_field() -> None:
    submission = submissions.joiner(
        child=child(
            upn="A801200005001",
            former_upns=["B801200005001", "not a upn"],
            nhs_number="943 476 5918",
            address={"line1": "1 Nowhere", "postcode": "Q1 1AA"},
            date_of_birth="2026-07-01",
        )
    )

    assert problems(submission) == [
        ("child.upn", "Check the UPN, the first letter does not match the rest of the number"),
        ("child.former_upns.1", "Enter a UPN in the correct format, like B801200005001"),
        ("child.nhs_number", "Check the NHS number, it is not a valid NHS number"),
        ("child.address.postcode", "Enter a real postcode, like WR5 2NP"),
        ("child.date_of_birth", "Date of birth must be in the past"),
    ]


def test_school_returns_must_give_the_date_of_birth() -> None:
    body = submissions.joiner().model_dump(mode="json")
    del body["child"]["date_of_birth"]

    with pytest.raises(ValidationError) as raised:
        JoinerSubmitted.model_validate(body)

    assert [(error["loc"], error["type"]) for error in raised.value.errors()] == [
        (("child", "date_of_birth"), "missing")
    ]


@pytest.mark.parametrize(
    "build",
    [submissions.social_care_alert, submissions.professional_referral, submissions.la_enquiry],
    ids=lambda build: build.__name__,
)
def test_partners_may_leave_out_the_date_of_birth_but_not_give_a_wrong_one(build: Callable[..., Submission]) -> None:
    assert problems(build(child=child(date_of_birth=None))) == []
    assert problems(build(child=child(date_of_birth="1990-01-01"))) == [
        ("child.date_of_birth", "Date of birth must be on or after 10 June 2001")
    ]


def test_a_leaver_return_names_each_missing_document_and_the_field_of_the_ground() -> None:
    submission = submissions.leaver(leaving_reason="8(1)(e)", documents=[])

    assert problems(submission) == [
        ("documents.derolling_checklist", "Attach the de-rolling checklist"),
        ("documents.learner_profile", "Attach the learner profile"),
    ]


def test_a_leaver_to_another_school_must_name_a_known_open_school_anywhere_under_the_2024_ground() -> None:
    out_of_county = submissions.leaver(leaving_reason="9(1)(a)", destination={"school_id": "8862001"})
    closed = submissions.leaver(leaving_reason="9(1)(a)", destination={"school_id": "8852016"})
    in_county = submissions.leaver(leaving_reason="9(1)(a)", destination={"school_id": "885/2001"})
    old_form_out_of_county = submissions.leaver(leaving_reason="8(1)(b)", destination={"school_id": "8862001"})

    assert problems(out_of_county) == []
    assert [field for field, _ in problems(closed)] == ["destination.school_id"]
    assert problems(in_county) == []
    assert problems(old_form_out_of_county) == [
        (
            "destination.school_id",
            "The new school is outside the county, and 8(1)(b) under the 2006 regulations is for a school in the "
            "county. A move to a school outside the county is 9(1)(a) under the 2024 regulations: use reason "
            "9(1)(a)",
        )
    ]


def test_an_unknown_ground_is_reported_against_leaving_reason() -> None:
    assert problems(submissions.leaver(leaving_reason="9(1)(z)")) == [
        ("leaving_reason", "Select a reason for leaving from the list, like 9(1)(g)")
    ]


@pytest.mark.parametrize("code", ["8(1)(n)", "8(1)(o)"])
def test_the_2006_nursery_and_unpaid_fees_grounds_are_accepted(code: str) -> None:
    assert problems(submissions.leaver(leaving_reason=code, documents=[])) == []


def test_a_leaving_date_too_far_after_the_submission_is_refused() -> None:
    assert problems(submissions.leaver(leaving_date="2026-06-16")) == [
        (
            "leaving_date",
            "Leaving date must be on or before 15 June 2026. If the pupil leaves later, send this form nearer the time",
        )
    ]


def test_a_destination_abroad_is_not_held_to_uk_postcodes() -> None:
    abroad = submissions.leaver(
        destination={"country": "Poland", "address": {"line1": "ul. Test 1", "postcode": "00-001"}}
    )
    in_uk = submissions.leaver(destination={"address": {"line1": "1 Test Road", "postcode": "Q1 1AA"}})

    assert problems(abroad) == []
    assert problems(in_uk) == [("destination.address.postcode", "Enter a real postcode, like WR5 2NP")]


def test_a_joiner_start_date_may_be_a_few_days_ahead_but_no_more() -> None:
    assert problems(submissions.joiner(start_date="2026-06-15")) == []
    assert problems(submissions.joiner(start_date="2026-06-16")) == [
        ("start_date", "Start date must be on or before 15 June 2026")
    ]


def test_an_absence_cannot_start_after_the_return_was_sent() -> None:
    assert problems(submissions.absence(first_day_of_absence="2026-06-11")) == [
        ("first_day_of_absence", "First day of absence must be today or in the past")
    ]


def test_sickness_cannot_start_after_the_return_was_sent() -> None:
    assert problems(submissions.sickness(sickness_started="2026-06-11")) == [
        ("sickness_started", "Sickness start date must be today or in the past")
    ]


def test_a_part_time_timetable_must_end_after_it_starts() -> None:
    assert problems(submissions.part_time_timetable(planned_end_date="2026-06-01")) == [
        ("planned_end_date", "Planned end date must be after the start date")
    ]
    assert problems(submissions.part_time_timetable(planned_end_date=None)) == []


def test_an_enquiry_must_name_another_local_authority_by_code() -> None:
    missing = submissions.la_enquiry(enquiring_authority={"organisation_type": "other_local_authority"})
    ours = submissions.la_enquiry(
        enquiring_authority={"organisation_type": "other_local_authority", "local_authority_code": "885"}
    )
    field = "enquiring_authority.local_authority_code"

    assert problems(missing) == [(field, "Enter your local authority's 3 digit code, like 886")]
    assert problems(ours) == [
        (field, "Enter the code of the local authority making the enquiry, not this county's code")
    ]


def test_an_enquiry_checks_the_postcode_of_the_possible_address_here() -> None:
    submission = submissions.la_enquiry(possible_address_here={"line1": "5 Lark Rise", "postcode": "Q1 1AA"})

    assert problems(submission) == [("possible_address_here.postcode", "Enter a real postcode, like WR5 2NP")]


def test_a_submission_stamped_in_the_future_is_refused_beyond_clock_drift() -> None:
    drifted = submissions.joiner(submitted_at=(NOW + timedelta(minutes=50)).isoformat())
    future = submissions.joiner(submitted_at=(NOW + timedelta(days=2)).isoformat())

    assert problems(drifted) == []
    assert problems(future) == [("submitted_at", "Date and time submitted must be now or in the past")]


def test_problems_are_contract_problems() -> None:
    found = submission_problems(submissions.absence(first_day_of_absence="2026-06-11"), RULES)

    assert found == [Problem(field="first_day_of_absence", message="First day of absence must be today or in the past")]


def test_the_day_submitted_is_the_day_in_england() -> None:
    assert submitted_on(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == date(2026, 7, 1)
    assert submitted_on(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2026, 12, 31)
    assert submitted_on(datetime(2026, 6, 30, 23, 30)) == date(2026, 6, 30)
