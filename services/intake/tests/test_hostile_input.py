"""Input PostgreSQL or the domain cannot take is a rejection naming the field, never an error further down."""

from datetime import datetime

import pytest
from pydantic import ValidationError

from contracts.events.intake_v1 import AbsenceSubmitted, LeaverSubmitted
from services.intake.service_layer.submission_rules import MAX_LIST_ITEMS, submission_problems
from services.intake.tests import submissions
from services.intake.tests.submissions import child
from services.intake.tests.test_submission_rules import RULES


def fields(submission: LeaverSubmitted) -> list[str]:
    return [problem.field for problem in submission_problems(submission, RULES)]


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b", "\x7f", "\x85"])
def test_a_control_character_anywhere_is_a_problem_with_that_field(character: str) -> None:
    submission = submissions.leaver(
        child=child(given_name=f"Is{character}la", address={"line1": f"1 Mill{character} Lane", "postcode": "WR5 2NP"})
    )

    found = submission_problems(submission, RULES)

    assert [problem.field for problem in found] == ["child.given_name", "child.address.line1"]
    assert found[0].message == "Child given name must not contain control characters"


def test_line_breaks_and_tabs_in_notes_are_text_not_control_characters() -> None:
    assert submission_problems(submissions.absence(details="Line one\r\nLine\ttwo"), RULES) == []


def test_an_absurdly_long_list_is_a_problem_with_that_list() -> None:
    submission = submissions.leaver(child=child(former_upns=["A885200005001"] * (MAX_LIST_ITEMS + 1)))

    # Each entry is still checked as a UPN too; the list's own problem comes first.
    assert fields(submission)[0] == "child.former_upns"


@pytest.mark.parametrize(
    "submitted_at",
    ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z"],
)
def test_a_submission_time_outside_the_calendar_is_a_problem_not_an_overflow(submitted_at: str) -> None:
    submission = submissions.leaver(submitted_at=datetime.fromisoformat(submitted_at))

    found = submission_problems(submission, RULES)

    assert [(problem.field, problem.message) for problem in found] == [
        ("submitted_at", "Enter date and time submitted as a real date and time, like 2026-09-01T09:30:00Z")
    ]


@pytest.mark.parametrize("submitted_at", ["9999-12-31T23:59:59+14:00", "9999-12-31T23:59:59Z"])
def test_a_submission_time_in_the_far_future_is_a_problem_and_the_dates_are_read_against_today(
    submitted_at: str,
) -> None:
    submission = submissions.leaver(submitted_at=datetime.fromisoformat(submitted_at))

    assert fields(submission) == ["submitted_at"]


def test_ids_with_control_characters_are_refused_by_the_contract_naming_the_field() -> None:
    valid = submissions.absence().model_dump(mode="json")

    with pytest.raises(ValidationError) as refused:
        AbsenceSubmitted.model_validate(valid | {"submission_id": "a\x00b", "updates_submission_id": "b\x00"})

    assert [(error["loc"], error["type"]) for error in refused.value.errors()] == [
        (("submission_id",), "control_character"),
        (("updates_submission_id",), "control_character"),
    ]


def test_dates_before_the_2006_regulations_are_problems_because_no_rules_read_them() -> None:
    submission = submissions.leaver(
        submitted_at=datetime.fromisoformat("2001-03-01T10:00:00Z"), leaving_date="1999-12-31"
    )

    found = [(problem.field, problem.message) for problem in submission_problems(submission, RULES)]

    assert ("submitted_at", "Date and time submitted must be on or after 1 September 2006") in found
    assert ("leaving_date", "Leaving date must be on or after 1 September 2006") in found
