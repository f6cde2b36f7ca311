from datetime import date

import pytest
from stdnum.gb import upn

from services.intake.domain.grounds import DocumentKind
from services.intake.domain.schools import (
    REFERENCE_ESTABLISHMENTS_CSV,
    SchoolDirectory,
    load_establishments_csv,
)
from services.intake.domain.validation import (
    Problem,
    check_date_of_birth,
    check_leaving_date,
    check_leaving_ground,
    check_nhs_number,
    check_postcode,
    check_upn,
    normalise_postcode,
    normalise_upn,
)

TODAY = date(2025, 10, 6)
ALL_DOCUMENTS = frozenset(DocumentKind)


def _with_check_letter(body: str) -> str:
    return f"{upn.calc_check_digit(body)}{body}"


@pytest.fixture(scope="module")
def schools() -> SchoolDirectory:
    return load_establishments_csv(REFERENCE_ESTABLISHMENTS_CSV, home_la_code="885")


# --- UPN ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "B801200005001",
        "b801200005001",
        "B801 2000 05001",
        _with_check_letter("88540282401A"),  # temporary UPN: two-digit serial and a letter
        _with_check_letter("940123424001"),  # West Northamptonshire, newer than python-stdnum's LA list
    ],
)
def test_valid_upns_have_no_problems(value: str) -> None:
    assert check_upn(value) == []


def test_normalise_upn_gives_the_stored_form() -> None:
    assert normalise_upn(" b801 2000 05001 ") == "B801200005001"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter the UPN"),
        ("   ", "Enter the UPN"),
        (None, "Enter the UPN"),
        ("B80120000500", "Enter a UPN in the correct format, like B801200005001"),
        ("B8012000050011", "Enter a UPN in the correct format, like B801200005001"),
        ("X80120000A001", "Enter a UPN in the correct format, like B801200005001"),
        ("A801200005001", "Check the UPN, the first letter does not match the rest of the number"),
        ("E000200005001", "Check the UPN, it does not contain a known local authority number"),
        ("A940123424001", "Check the UPN, the first letter does not match the rest of the number"),
    ],
)
def test_invalid_upns_say_what_to_do(value: str | None, message: str) -> None:
    assert check_upn(value, "pupil.upn") == [Problem("pupil.upn", message)]


# --- NHS number --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["9434765919", "943 476 5919", "943-476-5919"])
def test_valid_nhs_numbers_have_no_problems(value: str) -> None:
    assert check_nhs_number(value) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter the NHS number"),
        ("9434765918", "Check the NHS number, it is not a valid NHS number"),
        ("943476591", "Enter a 10 digit NHS number, like 943 476 5919"),
        ("94347659190", "Enter a 10 digit NHS number, like 943 476 5919"),
        ("94347659AB", "Enter a 10 digit NHS number, like 943 476 5919"),
    ],
)
def test_invalid_nhs_numbers_say_what_to_do(value: str, message: str) -> None:
    assert check_nhs_number(value, "nhs") == [Problem("nhs", message)]


# --- Postcode ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("WR5 2NP", "WR5 2NP"),
        ("wr52np", "WR5 2NP"),
        (" WR14  3PA ", "WR14 3PA"),
        ("B97 5QX", "B97 5QX"),
        ("M1 1AE", "M1 1AE"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("GIR 0AA", "GIR 0AA"),
        ("bfpo 1234", "BFPO 1234"),
        ("BFPO12", "BFPO 12"),
    ],
)
def test_valid_postcodes_are_accepted_and_normalised(value: str, normalised: str) -> None:
    assert check_postcode(value) == []
    assert normalise_postcode(value) == normalised


@pytest.mark.parametrize(
    "value",
    ["WR5 2N", "WR5", "12345", "QR5 2NP", "WR5 2CP", "WR5 2NPP", "W1I 0AX", "BFPO 12345", "BFPO", "WR5-2NP"],
)
def test_invalid_postcodes_ask_for_a_real_one(value: str) -> None:
    assert check_postcode(value, "address.postcode") == [
        Problem("address.postcode", "Enter a real postcode, like WR5 2NP")
    ]


def test_bfpo_can_be_refused() -> None:
    assert check_postcode("BFPO 1234", allow_bfpo=False) == [Problem("postcode", "Enter a real postcode, like WR5 2NP")]


def test_a_missing_postcode_asks_for_one() -> None:
    assert check_postcode(" ") == [Problem("postcode", "Enter a postcode")]


# --- Dates -------------------------------------------------------------------------------------------


def test_a_date_of_birth_in_the_past_is_accepted() -> None:
    assert check_date_of_birth(date(2015, 3, 27), TODAY) == []


@pytest.mark.parametrize("dob", [TODAY, date(2025, 10, 7), date(2030, 1, 1)])
def test_a_date_of_birth_today_or_later_must_be_in_the_past(dob: date) -> None:
    assert check_date_of_birth(dob, TODAY, "dob") == [Problem("dob", "Date of birth must be in the past")]


def test_a_date_of_birth_more_than_25_years_ago_is_refused() -> None:
    assert check_date_of_birth(date(2000, 10, 6), TODAY) == []
    assert check_date_of_birth(date(2000, 10, 5), TODAY) == [
        Problem("date_of_birth", "Date of birth must be on or after 6 October 2000")
    ]


def test_the_age_limit_handles_29_february() -> None:
    assert check_date_of_birth(date(2003, 2, 27), date(2028, 2, 29)) == [
        Problem("date_of_birth", "Date of birth must be on or after 28 February 2003")
    ]


def test_a_missing_date_of_birth_asks_for_one() -> None:
    assert check_date_of_birth(None, TODAY) == [Problem("date_of_birth", "Enter the date of birth")]


@pytest.mark.parametrize("leaving", [date(2025, 9, 1), TODAY, date(2025, 10, 11)])
def test_leaving_dates_up_to_5_days_after_submission_are_accepted(leaving: date) -> None:
    assert check_leaving_date(leaving, TODAY) == []


def test_a_leaving_date_more_than_5_days_after_submission_is_refused() -> None:
    assert check_leaving_date(date(2025, 10, 12), TODAY, field="left_on") == [
        Problem(
            "left_on",
            "Leaving date must be on or before 11 October 2025. If the pupil leaves later, send this form "
            "nearer the time",
        )
    ]


def test_the_leaving_date_allowance_is_a_parameter() -> None:
    assert check_leaving_date(date(2025, 10, 7), TODAY, max_days_ahead=0) == [
        Problem("leaving_date", "Leaving date must be today or in the past")
    ]
    assert check_leaving_date(date(2025, 10, 16), TODAY, max_days_ahead=10) == []


def test_a_missing_leaving_date_asks_for_one() -> None:
    assert check_leaving_date(None, TODAY) == [Problem("leaving_date", "Enter the date the pupil left or will leave")]


# --- Leaving ground ----------------------------------------------------------------------------------


def test_a_ground_with_its_documents_has_no_problems(schools: SchoolDirectory) -> None:
    documents = [DocumentKind.DEROLLING_CHECKLIST, DocumentKind.LEARNER_PROFILE]

    assert check_leaving_ground("9(1)(g)", documents, None, schools, on=TODAY) == []


def test_every_missing_document_is_named(schools: SchoolDirectory) -> None:
    problems = check_leaving_ground("9(1)(g)", [], None, schools, on=TODAY, field_prefix="leaver.")

    assert problems == [
        Problem("leaver.documents.derolling_checklist", "Attach the de-rolling checklist"),
        Problem("leaver.documents.learner_profile", "Attach the learner profile"),
    ]


@pytest.mark.parametrize(
    ("code", "on", "missing"),
    [
        ("8(1)(a)", date(2023, 5, 2), {DocumentKind.SAO_REVOCATION_LETTER, DocumentKind.LEARNER_PROFILE}),
        ("9(1)(f)", TODAY, {DocumentKind.EHE_PARENT_LETTER, DocumentKind.LEARNER_PROFILE}),
        ("8(1)(g)", date(2023, 5, 2), {DocumentKind.LEARNER_PROFILE, DocumentKind.MEDICAL_CERTIFICATE}),
        ("9(1)(o)", TODAY, {DocumentKind.DEROLLING_CHECKLIST, DocumentKind.LEARNER_PROFILE}),
        ("9(1)(k)", TODAY, set()),
    ],
)
def test_missing_documents_follow_the_ground(
    schools: SchoolDirectory, code: str, on: date, missing: set[DocumentKind]
) -> None:
    problems = check_leaving_ground(code, [], None, schools, on=on)

    assert {problem.field for problem in problems} == {f"documents.{kind}" for kind in missing}


def test_only_the_missing_document_is_reported(schools: SchoolDirectory) -> None:
    problems = check_leaving_ground("8(1)(d)", [DocumentKind.LEARNER_PROFILE], None, schools, on=TODAY)

    assert problems == [
        Problem(
            "documents.ehe_parent_letter",
            "Attach the parent's letter saying they will home educate their child",
        )
    ]


@pytest.mark.parametrize("code", ["", "  "])
def test_a_missing_ground_asks_for_one(schools: SchoolDirectory, code: str) -> None:
    assert check_leaving_ground(code, ALL_DOCUMENTS, None, schools, on=TODAY) == [
        Problem("ground", "Select the reason the pupil left")
    ]


def test_an_unknown_ground_asks_for_one_from_the_list(schools: SchoolDirectory) -> None:
    assert check_leaving_ground("9(1)(z)", ALL_DOCUMENTS, None, schools, on=TODAY) == [
        Problem("ground", "Select a reason for leaving from the list, like 9(1)(g)")
    ]
    assert check_leaving_ground("banana", ALL_DOCUMENTS, None, schools, on=date(2023, 1, 9)) == [
        Problem("ground", "Select a reason for leaving from the list, like 8(1)(e)")
    ]


def test_a_2024_ground_before_the_change_points_to_its_2006_equivalent(schools: SchoolDirectory) -> None:
    assert check_leaving_ground("9(1)(g)", ALL_DOCUMENTS, None, schools, on=date(2024, 8, 18)) == [
        Problem(
            "ground",
            "Select reason 8(1)(e). The 2024 reasons are for pupils leaving on or after 19 August 2024",
        )
    ]


def test_the_2024_unpaid_boarding_fees_ground_before_the_change_points_to_8_1_o(schools: SchoolDirectory) -> None:
    assert check_leaving_ground("9(1)(m)", ALL_DOCUMENTS, None, schools, on=date(2024, 8, 18)) == [
        Problem(
            "ground",
            "Select reason 8(1)(o). The 2024 reasons are for pupils leaving on or after 19 August 2024",
        )
    ]


def test_the_removed_medical_ground_is_refused_after_the_change(schools: SchoolDirectory) -> None:
    assert check_leaving_ground("8(1)(g)", ALL_DOCUMENTS, None, schools, on=date(2024, 8, 19)) == [
        Problem("ground", "Select a different reason. This reason was removed on 19 August 2024")
    ]


def test_an_old_form_code_after_the_change_is_checked_as_its_2024_ground(schools: SchoolDirectory) -> None:
    problems = check_leaving_ground("8(1) (e)", [DocumentKind.LEARNER_PROFILE], None, schools, on=TODAY)

    assert problems == [Problem("documents.derolling_checklist", "Attach the de-rolling checklist")]


@pytest.mark.parametrize("school_id", ["8852001", "885/2001", "990001"])
def test_a_transfer_to_an_open_in_county_school_is_accepted(schools: SchoolDirectory, school_id: str) -> None:
    assert check_leaving_ground("9(1)(a)", [], school_id, schools, on=TODAY) == []
    assert check_leaving_ground("8(1)(b)", [], school_id, schools, on=date(2023, 5, 2)) == []


@pytest.mark.parametrize("school_id", [None, "", " "])
def test_a_transfer_needs_the_destination_school(schools: SchoolDirectory, school_id: str | None) -> None:
    assert check_leaving_ground("8(1)(b)", [], school_id, schools, on=TODAY, field_prefix="leaver.") == [
        Problem(
            "leaver.destination_school",
            "Enter the new school's DfE number or URN. If you do not know the new school, or it is outside "
            "the county, use reason 8(1)(e)",
        )
    ]
    assert check_leaving_ground("9(1)(a)", [], school_id, schools, on=TODAY, field_prefix="leaver.") == [
        Problem(
            "leaver.destination_school",
            "Enter the new school's DfE number or URN. If you do not know the new school, use reason 9(1)(g)",
        )
    ]


def test_the_2024_ground_accepts_a_transfer_to_a_school_outside_the_county(schools: SchoolDirectory) -> None:
    """Reg 9(1)(a) (2024): registered at ANY other school, in the county or not (domain-anchors.md §1.2)."""
    assert check_leaving_ground("9(1)(a)", [], "8842043", schools, on=TODAY) == []


def test_the_2006_ground_keeps_the_county_check_before_the_2024_regulations(schools: SchoolDirectory) -> None:
    assert check_leaving_ground("8(1)(b)", [], "8842043", schools, on=date(2023, 5, 2)) == [
        Problem(
            "destination_school",
            "The new school is outside the county, so use reason 8(1)(e): under the 2006 regulations 8(1)(b) is "
            "for a school in the county",
        )
    ]


def test_the_2006_ground_after_the_change_says_the_2024_ground_fits_an_out_of_county_move(
    schools: SchoolDirectory,
) -> None:
    assert check_leaving_ground("8(1)(b)", [], "8842043", schools, on=TODAY) == [
        Problem(
            "destination_school",
            "The new school is outside the county, and 8(1)(b) under the 2006 regulations is for a school in the "
            "county. A move to a school outside the county is 9(1)(a) under the 2024 regulations: use reason "
            "9(1)(a)",
        )
    ]


def test_a_transfer_to_an_unknown_school_points_to_the_moved_away_ground(schools: SchoolDirectory) -> None:
    assert check_leaving_ground("9(1)(a)", [], "8859999", schools, on=TODAY) == [
        Problem(
            "destination_school",
            "Enter the DfE number or URN of a school in England. If you do not know the new school, use reason "
            "9(1)(g)",
        )
    ]
    assert check_leaving_ground("8(1)(b)", [], "8859999", schools, on=date(2023, 5, 2)) == [
        Problem(
            "destination_school",
            "Enter the DfE number or URN of a school in the county. If the new school is outside the county, "
            "use reason 8(1)(e)",
        )
    ]


def test_a_transfer_to_a_closed_school_is_refused(schools: SchoolDirectory) -> None:
    assert check_leaving_ground("9(1)(a)", [], "8852016", schools, on=TODAY) == [
        Problem(
            "destination_school",
            "The new school is closed. Check the school, or use reason 9(1)(g) if you do not know where the "
            "pupil is going",
        )
    ]


def test_a_destination_given_for_another_ground_is_not_checked(schools: SchoolDirectory) -> None:
    documents = [DocumentKind.DEROLLING_CHECKLIST, DocumentKind.LEARNER_PROFILE]

    assert check_leaving_ground("9(1)(g)", documents, "8842043", schools, on=TODAY) == []


# --- All problems, never the value -------------------------------------------------------------------


def test_all_problems_in_a_leaver_return_are_collected(schools: SchoolDirectory) -> None:
    problems = [
        *check_upn("A801200005001", "upn"),
        *check_nhs_number("9434765918", "nhs_number"),
        *check_postcode("WR5", "postcode"),
        *check_date_of_birth(date(2030, 1, 1), TODAY, "date_of_birth"),
        *check_leaving_date(date(2026, 1, 1), TODAY, field="leaving_date"),
        *check_leaving_ground("9(1)(i)", [], None, schools, on=TODAY),
    ]

    assert [problem.field for problem in problems] == [
        "upn",
        "nhs_number",
        "postcode",
        "date_of_birth",
        "leaving_date",
        "documents.derolling_checklist",
        "documents.learner_profile",
    ]


@pytest.mark.parametrize(
    ("value", "problems"),
    [
        ("A801200005001", check_upn("A801200005001")),
        ("X80120000A001", check_upn("X80120000A001")),
        ("E000200005001", check_upn("E000200005001")),
        ("9434765918", check_nhs_number("9434765918")),
        ("943476591", check_nhs_number("943476591")),
        ("QR5 2NP", check_postcode("QR5 2NP")),
        ("2030", check_date_of_birth(date(2030, 1, 1), TODAY)),
        ("1999", check_date_of_birth(date(1999, 1, 1), TODAY)),
        ("9(1)(z)", check_leaving_ground("9(1)(z)", [], None, SchoolDirectory([], "885"), on=TODAY)),
    ],
)
def test_messages_never_repeat_the_submitted_value(value: str, problems: list[Problem]) -> None:
    assert problems
    assert all(value not in problem.message for problem in problems)
