"""Fictional submissions of every type for intake's unit tests. Every person here is invented."""

from datetime import UTC, date, datetime
from typing import Any

from contracts.events.intake_v1 import (
    AbsenceSubmitted,
    JoinerSubmitted,
    LaEnquirySubmitted,
    LeaverSubmitted,
    PartTimeTimetableSubmitted,
    ProfessionalReferralSubmitted,
    SicknessSubmitted,
    SocialCareAlertSubmitted,
    Submission,
)

# Noon in summer time: 11:00 UTC.
NOW = datetime(2026, 6, 10, 11, 0, tzinfo=UTC)
TODAY = date(2026, 6, 10)
VALID_UPN = "B801200005001"
VALID_NHS_NUMBER = "9434765919"
SCHOOL = {"establishment_id": "8852001", "name": "Puddleby Brook Primary School (fictional)"}


def child(**overrides: Any) -> dict[str, Any]:
    details: dict[str, Any] = {
        "given_name": "Ada",
        "family_name": "Applebury",
        "date_of_birth": "2016-04-20",
        "sex": "F",
        "upn": VALID_UPN,
        "address": {"line1": "46 Owl Close", "town": "Malvern", "postcode": "WR14 3PA"},
    }
    return details | overrides


def _common(submission_type: str) -> dict[str, Any]:
    return {
        "submission_type": submission_type,
        "submission_id": f"unit-{submission_type}-1",
        "submitted_at": NOW.isoformat(),
        "submitter": {"name": "Test Administrator", "email": "admin@example.com"},
    }


def leaver(**overrides: Any) -> LeaverSubmitted:
    return LeaverSubmitted.model_validate(
        _common("leaver")
        | {
            "school": SCHOOL,
            "child": child(),
            "leaving_date": "2026-06-08",
            "leaving_reason": "9(1)(g)",
            "documents": [
                {"kind": "derolling_checklist", "reference": "doc-1"},
                {"kind": "learner_profile", "reference": "doc-2"},
            ],
        }
        | overrides
    )


def joiner(**overrides: Any) -> JoinerSubmitted:
    return JoinerSubmitted.model_validate(
        _common("joiner") | {"school": SCHOOL, "child": child(), "start_date": "2026-06-09"} | overrides
    )


def absence(**overrides: Any) -> AbsenceSubmitted:
    return AbsenceSubmitted.model_validate(
        _common("absence")
        | {
            "school": SCHOOL,
            "child": child(),
            "reason": "continuous_10_days",
            "first_day_of_absence": "2026-05-26",
            "attendance_percentage": 80.0,
        }
        | overrides
    )


def sickness(**overrides: Any) -> SicknessSubmitted:
    return SicknessSubmitted.model_validate(
        _common("sickness")
        | {"school": SCHOOL, "child": child(), "sickness_started": "2026-06-01", "expected_school_days_missed": 25}
        | overrides
    )


def part_time_timetable(**overrides: Any) -> PartTimeTimetableSubmitted:
    return PartTimeTimetableSubmitted.model_validate(
        _common("part_time_timetable")
        | {
            "school": SCHOOL,
            "child": child(),
            "start_date": "2026-06-01",
            "planned_end_date": "2026-07-17",
            "hours_per_week": 15,
            "reason": "Phased return",
        }
        | overrides
    )


def social_care_alert(**overrides: Any) -> SocialCareAlertSubmitted:
    return SocialCareAlertSubmitted.model_validate(
        _common("social_care_alert")
        | {
            "alert_type": "no_confirmed_education",
            "child": child(date_of_birth=None, upn=None),
            "social_worker": {"name": "Test Social Worker", "phone": "01632 960001"},
        }
        | overrides
    )


def professional_referral(**overrides: Any) -> ProfessionalReferralSubmitted:
    return ProfessionalReferralSubmitted.model_validate(
        _common("professional_referral")
        | {
            "referrer": {"organisation_type": "health", "organisation": "Test Surgery"},
            "child": child(date_of_birth=None, upn=None),
            "concern": "Not at school since the family moved",
        }
        | overrides
    )


def la_enquiry(**overrides: Any) -> LaEnquirySubmitted:
    return LaEnquirySubmitted.model_validate(
        _common("la_enquiry")
        | {
            "enquiring_authority": {"organisation_type": "other_local_authority", "local_authority_code": "886"},
            "child": child(address=None),
            "possible_address_here": {"line1": "5 Lark Rise", "postcode": "WR5 2NP"},
            "enquiry": "May have moved to Worcester",
        }
        | overrides
    )


ALL_TYPES: tuple[Submission, ...] = (
    leaver(),
    joiner(),
    absence(),
    sickness(),
    part_time_timetable(),
    social_care_alert(),
    professional_referral(),
    la_enquiry(),
)
