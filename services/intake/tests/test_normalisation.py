from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from contracts.events.common_v1 import Address, OrganisationType
from contracts.events.referral_v1 import ReferralKind, ReferralReceived
from services.intake.domain.ctf import CtfAddress, CtfHeader, CtfPupil
from services.intake.service_layer.normalisation import (
    ctf_child,
    ctf_referral,
    ctf_school,
    person_record,
    referral_for,
    submission_person,
    submission_type_of,
)
from services.intake.tests import submissions
from services.intake.tests.submissions import TODAY, child

CHILD_ID = UUID("00000000-0000-4000-8000-000000000001")
RECEIVED_AT = datetime(2026, 6, 10, 11, 1, tzinfo=UTC)


def referral(submission: submissions.Submission) -> ReferralReceived:
    return referral_for(
        submission,
        referral_id=uuid4(),
        child_id=CHILD_ID,
        received_at=RECEIVED_AT,
        identity_decision="new_child",
    )


@pytest.mark.parametrize(
    ("submission", "kind", "referral_date"),
    [
        (submissions.leaver(), ReferralKind.LEAVER, date(2026, 6, 8)),
        (submissions.joiner(), ReferralKind.JOINER, date(2026, 6, 9)),
        (submissions.absence(), ReferralKind.ABSENCE, date(2026, 5, 26)),
        (submissions.sickness(), ReferralKind.SICKNESS_15_DAY, TODAY),
        (submissions.part_time_timetable(), ReferralKind.PART_TIME_TIMETABLE, TODAY),
        (submissions.social_care_alert(), ReferralKind.SOCIAL_CARE_NO_EDUCATION, TODAY),
        (submissions.social_care_alert(alert_type="leaving_area"), ReferralKind.SOCIAL_CARE_LEAVING_AREA, TODAY),
        (submissions.professional_referral(), ReferralKind.PROFESSIONAL_REFERRAL, TODAY),
        (submissions.la_enquiry(), ReferralKind.LA_ENQUIRY, TODAY),
    ],
    ids=[
        "leaver",
        "joiner",
        "absence",
        "sickness",
        "part_time_timetable",
        "no_confirmed_education",
        "leaving_area",
        "professional_referral",
        "la_enquiry",
    ],
)
def test_each_type_becomes_a_referral_of_its_kind_read_at_its_date(
    submission: submissions.Submission, kind: ReferralKind, referral_date: date
) -> None:
    normalised = referral(submission)

    assert normalised.kind is kind
    assert normalised.referral_date == referral_date
    assert normalised.submission_id == submission.submission_id
    assert normalised.child_id == CHILD_ID
    # What intake publishes reads back as the same event: no field outside the contract.
    assert ReferralReceived.model_validate(normalised.model_dump(mode="json")) == normalised


@pytest.mark.parametrize(
    ("code", "legal_source", "equivalents"),
    [("8(1)(e)", "2006", ("9(1)(g)",)), ("9(1)(g)", "2024", ("8(1)(e)",)), ("8(1)(a)", "2006", ("9(1)(d)", "9(1)(e)"))],
)
def test_a_leaving_ground_keeps_its_legal_source_and_its_equivalents(
    code: str, legal_source: str, equivalents: tuple[str, ...]
) -> None:
    documents = [
        {"kind": kind, "reference": kind}
        for kind in ("derolling_checklist", "learner_profile", "sao_revocation_letter")
    ]
    ground = referral(submissions.leaver(leaving_reason=code, documents=documents)).leaving_ground

    assert ground is not None
    assert (ground.code, ground.legal_source.value, ground.equivalents) == (code, legal_source, equivalents)


def test_a_school_return_names_the_school_as_referrer() -> None:
    normalised = referral(submissions.leaver())

    assert normalised.school is not None
    assert normalised.school.establishment_id == "8852001"
    assert normalised.referrer is not None
    assert normalised.referrer.organisation_type is OrganisationType.SCHOOL
    assert normalised.referrer.organisation == "Puddleby Brook Primary School (fictional)"
    assert normalised.referrer.name == "Test Administrator"


def test_attendance_returns_carry_what_the_school_said() -> None:
    absence = referral(submissions.absence(updates_submission_id="unit-absence-0", details="Two days back"))
    sickness = referral(submissions.sickness(cumulative=True))
    timetable = referral(submissions.part_time_timetable(alternative_provision_used=True))

    assert absence.attendance is not None
    assert (absence.attendance.reason, absence.attendance.attendance_percentage) == ("continuous_10_days", 80.0)
    assert absence.attendance.updates_submission_id == "unit-absence-0"
    assert absence.details == "Two days back"
    assert sickness.attendance is not None
    assert sickness.attendance.reason == "sickness_15_day"
    assert sickness.attendance.first_day_of_absence == date(2026, 6, 1)
    assert (sickness.attendance.expected_school_days_missed, sickness.attendance.cumulative) == (25, True)
    assert timetable.attendance is not None
    assert timetable.attendance.reason == "part_time_timetable"
    assert (timetable.attendance.start_date, timetable.attendance.planned_end_date) == (
        date(2026, 6, 1),
        date(2026, 7, 17),
    )
    assert (timetable.attendance.hours_per_week, timetable.attendance.alternative_provision_used) == (15, True)
    assert timetable.details == "Phased return"


def test_a_social_care_alert_marks_the_child_open_to_social_care_with_the_named_social_worker() -> None:
    normalised = referral(
        submissions.social_care_alert(
            alert_type="leaving_area",
            safeguarding={"open_to_social_care": False, "child_in_need": True},
            destination={"country": "Spain"},
        )
    )

    assert normalised.safeguarding.open_to_social_care is True
    assert normalised.safeguarding.child_in_need is True
    assert normalised.safeguarding.social_worker is not None
    assert normalised.safeguarding.social_worker.name == "Test Social Worker"
    assert normalised.referrer is not None
    assert normalised.referrer.organisation_type is OrganisationType.SOCIAL_CARE
    assert normalised.referrer.phone == "01632 960001"
    assert normalised.social_care_alert == "leaving_area"
    assert normalised.destination is not None
    assert normalised.destination.country == "Spain"


def test_a_professional_referral_carries_the_referrer_the_concern_and_what_is_known_of_education() -> None:
    normalised = referral(
        submissions.professional_referral(
            education={"in_alternative_provision": True}, last_known_school={"establishment_id": "8852003"}
        )
    )

    assert normalised.referrer is not None
    assert normalised.referrer.organisation_type is OrganisationType.HEALTH
    assert normalised.education.in_alternative_provision is True
    assert normalised.school is not None
    assert normalised.school.establishment_id == "8852003"
    assert normalised.details == "Not at school since the family moved"


def test_an_la_enquiry_carries_the_possible_address_and_matches_on_it_when_the_child_has_none() -> None:
    without_address = submissions.la_enquiry()
    with_address = submissions.la_enquiry(
        child=child(address={"line1": "1 Elsewhere Road", "postcode": "ME1 1AA"}, date_of_birth=None)
    )

    normalised = referral(without_address)

    assert normalised.possible_address == Address(line1="5 Lark Rise", postcode="WR5 2NP")
    assert normalised.referrer is not None
    assert normalised.referrer.local_authority_code == "886"
    assert normalised.details == "May have moved to Worcester"
    assert (submission_person(without_address).postcode, submission_person(without_address).address_line) == (
        "WR5 2NP",
        "5 Lark Rise",
    )
    assert submission_person(with_address).postcode == "ME1 1AA"


def test_the_person_record_holds_the_identifying_details() -> None:
    record = person_record(
        submissions.leaver(child=child(former_upns=["B801200005001"], nhs_number="9434765919")).child
    )

    assert (record.given_name, record.family_name, record.date_of_birth) == ("Ada", "Applebury", date(2016, 4, 20))
    assert (record.upn, record.former_upns, record.nhs_number) == ("B801200005001", ("B801200005001",), "9434765919")
    assert (record.postcode, record.address_line) == ("WR14 3PA", "46 Owl Close")


def test_the_submission_type_is_read_from_each_contract() -> None:
    assert [submission_type_of(submission) for submission in submissions.ALL_TYPES] == [
        "leaver",
        "joiner",
        "absence",
        "sickness",
        "part_time_timetable",
        "social_care_alert",
        "professional_referral",
        "la_enquiry",
    ]


HEADER = CtfHeader(
    document_name="Common Transfer File",
    ctf_version="25.0",
    date_time=datetime(2025, 10, 6, 9, 30),
    document_qualifier="partial",
    supplier_id=None,
    source_la="885",
    source_estab="4028",
    source_school_name="Silverbirch High School (fictional)",
    source_academic_year="2025",
    dest_la="885",
    dest_estab="4027",
)
BS7666 = CtfAddress(
    saon="Flat 2",
    paon="46",
    street="Owl Close",
    locality="Barnards Green",
    town="Malvern",
    county="Worcestershire",
    postcode="wr143pa",
    lines=(),
    country=None,
)
PUPIL = CtfPupil(
    upn="B801200005001",
    former_upns=(),
    forename="Caleb",
    surname="Yarrowby",
    middle_names=None,
    preferred_forename=None,
    preferred_surname=None,
    date_of_birth=date(2012, 4, 20),
    sex="M",
    address=BS7666,
    phones=(),
    email=None,
    contacts=(),
    in_care=True,
    care_authority="885",
    sen_provision="E",
    school_history=(),
)


def test_a_ctf_pupil_becomes_a_child_with_its_address_in_one_line() -> None:
    converted, problems = ctf_child(PUPIL)

    assert problems == []
    assert converted is not None
    assert (converted.given_name, converted.family_name, converted.upn) == ("Caleb", "Yarrowby", "B801200005001")
    assert converted.address == Address(
        line1="Flat 2, 46 Owl Close", line2="Barnards Green", town="Malvern", postcode="WR14 3PA"
    )


def test_a_ctf_address_given_as_lines_keeps_them() -> None:
    lines = replace(BS7666, saon=None, paon=None, street=None, locality=None, lines=("46 Owl Close", "Malvern"))

    converted, _ = ctf_child(replace(PUPIL, address=lines))

    assert converted is not None
    assert converted.address is not None
    assert (converted.address.line1, converted.address.line2) == ("46 Owl Close", "Malvern")


def test_a_ctf_pupil_without_a_forename_or_with_a_wrong_postcode_is_rejected_naming_the_elements() -> None:
    converted, problems = ctf_child(replace(PUPIL, forename=None, address=replace(BS7666, postcode="Q1 1AA")))

    assert converted is None
    assert [(problem.field, problem.message) for problem in problems] == [
        ("Forename", "Forename is missing. Add it in the school's MIS and export the file again"),
        (
            "Address/PostCode",
            "Postcode is not a real postcode. Correct it in the school's MIS and export the file again",
        ),
    ]


def test_a_ctf_value_too_long_for_the_child_record_is_rejected_naming_the_element() -> None:
    converted, problems = ctf_child(replace(PUPIL, surname="X" * 101))

    assert converted is None
    assert [problem.field for problem in problems] == ["Surname"]
    assert "X" not in problems[0].message


def test_a_bulk_feed_referral_names_the_source_school_and_the_destination() -> None:
    converted, _ = ctf_child(PUPIL)
    assert converted is not None

    normalised = ctf_referral(
        HEADER,
        PUPIL,
        converted,
        submission_id="file-1#0",
        referral_id=uuid4(),
        child_id=CHILD_ID,
        received_at=RECEIVED_AT,
        identity_decision="matched_existing",
    )

    assert normalised.kind is ReferralKind.CTF_BULK
    assert normalised.referral_date == date(2025, 10, 6)
    assert normalised.school is not None
    assert normalised.school.establishment_id == "8854028"
    assert normalised.destination is not None
    assert normalised.destination.school_id == "8854027"
    assert (normalised.safeguarding.looked_after, normalised.safeguarding.ehcp) == (True, True)


def test_the_lost_pupil_database_is_no_school() -> None:
    assert ctf_school("XXX", "XXXX") is None
    assert ctf_school("885", "4027") == "8854027"
    assert ctf_school(None, "4027") is None


def test_a_bulk_feed_referral_from_a_lost_pupil_file_says_so() -> None:
    converted, _ = ctf_child(PUPIL)
    assert converted is not None
    lost = replace(HEADER, dest_la="XXX", dest_estab="XXXX")

    normalised = ctf_referral(lost, PUPIL, converted, submission_id="file-2#0", referral_id=uuid4(),
                              child_id=CHILD_ID, received_at=RECEIVED_AT, identity_decision="matched_existing")

    assert normalised.lost_pupil_file is True
    assert normalised.destination is None
    assert ctf_referral(HEADER, PUPIL, converted, submission_id="file-1#0", referral_id=uuid4(), child_id=CHILD_ID,
                        received_at=RECEIVED_AT, identity_decision="matched_existing").lost_pupil_file is False
