"""The rules every submission type must meet before intake accepts it, with every problem listed at once.

The checks themselves live in the domain (`domain/validation.py`, `domain/grounds.py`); this module says which
apply to which submission and names each problem by the contract's field path, so an upstream system can point
at the field. Messages follow the GOV.UK error message style and never repeat a submitted value.
Whether an update names a submission intake has accepted needs the database: see `IntakeService`.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from contracts.events.common_v1 import Address, Child, Destination, has_control_characters
from contracts.events.intake_v1 import (
    AbsenceSubmitted,
    JoinerSubmitted,
    LaEnquirySubmitted,
    LeaverSubmitted,
    PartTimeTimetableSubmitted,
    Problem,
    ProfessionalReferralSubmitted,
    SicknessSubmitted,
    SocialCareAlertSubmitted,
    Submission,
)
from contracts.reference.leaving_grounds import REGULATIONS_2006_IN_FORCE
from services.intake.domain import validation
from services.intake.domain.grounds import DocumentKind
from services.intake.domain.schools import SchoolDirectory

LONDON = ZoneInfo("Europe/London")
# Upstream clocks drift; a submission stamped a little ahead of ours is not a mistake.
CLOCK_TOLERANCE = timedelta(hours=1)
_UK_COUNTRIES = frozenset({"united kingdom", "uk", "england", "gb", "great britain", "wales", "scotland"})
# The leaving-ground checks name fields by the form's words; the contract names them differently.
_LEAVER_FIELD_NAMES = {"ground": "leaving_reason", "destination_school": "destination.school_id"}
# Limits for what the contracts leave unbounded (adding them to the schemas would break their v1 compatibility):
# no form field holds more than the longest declared text, and no list on a form needs more than a few entries.
MAX_TEXT_LENGTH = 4000
MAX_LIST_ITEMS = 50


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().astimezone(LONDON).date()


@dataclass(frozen=True)
class SubmissionRules:
    schools: SchoolDirectory
    home_la_code: str
    max_days_ahead: int = 5
    clock: Clock = field(default_factory=Clock)


def submitted_on(moment: datetime) -> date:
    """The day a submission was made, in England: a return sent at 00:30 BST belongs to that day, not the one
    before as in UTC."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(LONDON).date()


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _child_problems(child: Child, today: date, *, date_of_birth_required: bool) -> list[validation.Problem]:
    found: list[validation.Problem] = []
    if child.upn is not None:
        found += validation.check_upn(child.upn, "child.upn")
    for index, former in enumerate(child.former_upns):
        found += validation.check_upn(former, f"child.former_upns.{index}")
    if child.nhs_number is not None:
        found += validation.check_nhs_number(child.nhs_number, "child.nhs_number")
    found += _address_problems(child.address, "child.address")
    if date_of_birth_required or child.date_of_birth is not None:
        found += validation.check_date_of_birth(child.date_of_birth, today, "child.date_of_birth")
    return found


def _address_problems(address: Address | None, field_name: str) -> list[validation.Problem]:
    if address is None or address.postcode is None:
        return []
    return validation.check_postcode(address.postcode, f"{field_name}.postcode")


def _destination_problems(destination: Destination | None) -> list[validation.Problem]:
    if destination is None or (destination.country and destination.country.strip().casefold() not in _UK_COUNTRIES):
        return []
    return _address_problems(destination.address, "destination.address")


def _not_after(day: date, latest: date, field_name: str, label: str) -> list[validation.Problem]:
    if day <= latest:
        return []
    return [validation.Problem(field_name, f"{label} must be on or before {_long_date(latest)}")]


def _today_or_past(day: date, submitted: date, field_name: str, label: str) -> list[validation.Problem]:
    if day <= submitted:
        return []
    return [validation.Problem(field_name, f"{label} must be today or in the past")]


def _not_before_the_law(day: date | None, field_name: str, label: str) -> list[validation.Problem]:
    # Triage reads each referral under the rules in force on its date and has none before the 2006 regulations,
    # so an earlier date (a typing mistake) would fail there; it is refused here, where the sender can fix it.
    if day is None or day >= REGULATIONS_2006_IN_FORCE:
        return []
    return [validation.Problem(field_name, f"{label} must be on or after {_long_date(REGULATIONS_2006_IN_FORCE)}")]


def _dates_in_law(submission: Submission) -> list[validation.Problem]:
    """The dates a referral is dated by, by submission type (see `normalisation.referral_for`)."""
    labels = {
        "leaving_date": "Leaving date",
        "start_date": "Start date",
        "first_day_of_absence": "First day of absence",
        "sickness_started": "Sickness start date",
    }
    return [
        problem
        for name, label in labels.items()
        if name in type(submission).model_fields
        for problem in _not_before_the_law(getattr(submission, name), name, label)
    ]


def _readable(path: str) -> str:
    words = path.replace("_", " ").replace(".", " ")
    return words[0].upper() + words[1:]


def _value_problems(value: object, path: str) -> list[validation.Problem]:
    """Text PostgreSQL or the screens cannot take, and absurd sizes, anywhere in a submission, by field path."""
    if isinstance(value, Enum | bool | int | float | date):
        return []
    if isinstance(value, str):
        if has_control_characters(value):
            return [validation.Problem(path, f"{_readable(path)} must not contain control characters")]
        if len(value) > MAX_TEXT_LENGTH:
            return [validation.Problem(path, f"{_readable(path)} must be {MAX_TEXT_LENGTH} characters or fewer")]
        return []
    if isinstance(value, BaseModel):
        return [
            problem
            for name in type(value).model_fields
            for problem in _value_problems(getattr(value, name), f"{path}.{name}" if path else name)
        ]
    if isinstance(value, tuple | list):
        if len(value) > MAX_LIST_ITEMS:
            return [validation.Problem(path, f"{_readable(path)} must have {MAX_LIST_ITEMS} entries or fewer")]
        return [problem for index, item in enumerate(value) for problem in _value_problems(item, f"{path}.{index}")]
    return []


def _in_utc(moment: datetime) -> datetime | None:
    """The moment in UTC (a time without an offset is England's), or None when it has no such moment: a time
    like 9999-12-31T23:00-12:00 or 0001-01-01T00:00+14:00 lies outside the years a date can hold."""
    try:
        in_utc = (moment if moment.tzinfo else moment.replace(tzinfo=LONDON)).astimezone(UTC)
        submitted_on(moment)  # the day in England must exist too (0001-01-01T00:00Z was 31 December 1 BC there)
    except (OverflowError, ValueError):
        return None
    return in_utc


def _submitted_at_problems(submission: Submission, rules: SubmissionRules) -> list[validation.Problem]:
    moment = _in_utc(submission.submitted_at)
    if moment is None:
        return [
            validation.Problem(
                "submitted_at", "Enter date and time submitted as a real date and time, like 2026-09-01T09:30:00Z"
            )
        ]
    if moment > rules.clock.now() + CLOCK_TOLERANCE:
        return [validation.Problem("submitted_at", "Date and time submitted must be now or in the past")]
    return _not_before_the_law(submitted_on(submission.submitted_at), "submitted_at", "Date and time submitted")


def _leaver(submission: LeaverSubmitted, rules: SubmissionRules, submitted: date) -> list[validation.Problem]:
    ground_problems = validation.check_leaving_ground(
        submission.leaving_reason,
        [DocumentKind(document.kind.value) for document in submission.documents],
        submission.destination.school_id if submission.destination else None,
        rules.schools,
        submission.leaving_date,
    )
    return [
        *(validation.Problem(_leaver_field(problem.field), problem.message) for problem in ground_problems),
        *_child_problems(submission.child, rules.clock.today(), date_of_birth_required=True),
        *_destination_problems(submission.destination),
        *validation.check_leaving_date(
            submission.leaving_date,
            submitted,
            rules.max_days_ahead,
            "leaving_date",
        ),
    ]


def _leaver_field(field_name: str) -> str:
    head, _, rest = field_name.partition(".")
    renamed = _LEAVER_FIELD_NAMES.get(head)
    if renamed is None:
        return field_name
    return f"{renamed}.{rest}" if rest else renamed


def _joiner(submission: JoinerSubmitted, rules: SubmissionRules, submitted: date) -> list[validation.Problem]:
    latest = submitted + timedelta(days=rules.max_days_ahead)
    return [
        *_child_problems(submission.child, rules.clock.today(), date_of_birth_required=True),
        *_not_after(submission.start_date, latest, "start_date", "Start date"),
    ]


def _absence(submission: AbsenceSubmitted, rules: SubmissionRules, submitted: date) -> list[validation.Problem]:
    return [
        *_child_problems(submission.child, rules.clock.today(), date_of_birth_required=True),
        *_today_or_past(
            submission.first_day_of_absence,
            submitted,
            "first_day_of_absence",
            "First day of absence",
        ),
    ]


def _sickness(submission: SicknessSubmitted, rules: SubmissionRules, submitted: date) -> list[validation.Problem]:
    return [
        *_child_problems(submission.child, rules.clock.today(), date_of_birth_required=True),
        *_today_or_past(
            submission.sickness_started,
            submitted,
            "sickness_started",
            "Sickness start date",
        ),
    ]


def _part_time_timetable(submission: PartTimeTimetableSubmitted, rules: SubmissionRules) -> list[validation.Problem]:
    found = _child_problems(submission.child, rules.clock.today(), date_of_birth_required=True)
    if submission.planned_end_date is not None and submission.planned_end_date <= submission.start_date:
        found.append(validation.Problem("planned_end_date", "Planned end date must be after the start date"))
    return found


def _social_care_alert(submission: SocialCareAlertSubmitted, rules: SubmissionRules) -> list[validation.Problem]:
    return [
        *_child_problems(submission.child, rules.clock.today(), date_of_birth_required=False),
        *_destination_problems(submission.destination),
    ]


def _professional_referral(
    submission: ProfessionalReferralSubmitted, rules: SubmissionRules
) -> list[validation.Problem]:
    return _child_problems(submission.child, rules.clock.today(), date_of_birth_required=False)


def _la_enquiry(submission: LaEnquirySubmitted, rules: SubmissionRules) -> list[validation.Problem]:
    found = _child_problems(submission.child, rules.clock.today(), date_of_birth_required=False)
    found += _address_problems(submission.possible_address_here, "possible_address_here")
    code = submission.enquiring_authority.local_authority_code
    field_name = "enquiring_authority.local_authority_code"
    if code is None or not code.isdigit():
        found.append(validation.Problem(field_name, "Enter your local authority's 3 digit code, like 886"))
    elif code == rules.home_la_code:
        found.append(
            validation.Problem(
                field_name, "Enter the code of the local authority making the enquiry, not this county's code"
            )
        )
    return found


def _type_problems(submission: Submission, rules: SubmissionRules, submitted: date) -> list[validation.Problem]:
    match submission:
        case LeaverSubmitted():
            return _leaver(submission, rules, submitted)
        case JoinerSubmitted():
            return _joiner(submission, rules, submitted)
        case AbsenceSubmitted():
            return _absence(submission, rules, submitted)
        case SicknessSubmitted():
            return _sickness(submission, rules, submitted)
        case PartTimeTimetableSubmitted():
            return _part_time_timetable(submission, rules)
        case SocialCareAlertSubmitted():
            return _social_care_alert(submission, rules)
        case ProfessionalReferralSubmitted():
            return _professional_referral(submission, rules)
        case LaEnquirySubmitted():
            return _la_enquiry(submission, rules)
    raise TypeError(f"no rules for {type(submission).__name__}")


def submission_problems(submission: Submission, rules: SubmissionRules) -> list[Problem]:
    """Every problem with a submission of any type but a CTF file (whose pupils `ctf_child` checks)."""
    submitted_at_problems = _submitted_at_problems(submission, rules)
    # Dates on the form are read against the day it was submitted; without a believable one, against today.
    submitted = rules.clock.today() if submitted_at_problems else submitted_on(submission.submitted_at)
    found = [
        *_value_problems(submission, ""),
        *submitted_at_problems,
        *_dates_in_law(submission),
        *_type_problems(submission, rules, submitted),
    ]
    return [Problem(field=problem.field, message=problem.message) for problem in found]
