"""Raw submissions that reach intake, one event type and topic per form, and the rejection intake publishes.

Every submission carries `submission_id`, the upstream system's id for it: the idempotency key. Sending the
same id again gives the first outcome again.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from contracts import topics
from contracts.base import Event
from contracts.events.common_v1 import (
    Address,
    Child,
    Destination,
    Document,
    EducationStatus,
    Part,
    Referrer,
    Safeguarding,
    School,
    SocialWorker,
    without_control_characters,
)

SubmissionId = str


class ReceivedBy(StrEnum):
    """How a referral an officer entered reached the CME team."""

    PHONE = "phone"
    EMAIL = "email"
    LETTER = "letter"


class Submitter(Part):
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    organisation: str | None = Field(default=None, max_length=200)
    # Set by intake, never by an upstream system: a referral a CME officer took by phone, email or letter and
    # entered in the officers' UI names that officer (their user id) and how it arrived.
    entered_by: str | None = Field(
        default=None, max_length=200, description="The CME officer (user id) who entered the referral, when one did"
    )
    received_by_channel: ReceivedBy | None = Field(
        default=None, description="How the referral reached the officer who entered it"
    )


class Submission(Event):
    """Fields every submission has."""

    submission_id: SubmissionId = Field(
        min_length=1, max_length=100, description="The upstream system's id for this submission (idempotency key)"
    )
    submitted_at: datetime
    submitter: Submitter | None = None

    # The id is looked up before intake's rules run, so a value the database cannot compare is refused here.
    _submission_id_is_text = field_validator("submission_id")(without_control_characters)


class SchoolReturnChild(Child):
    """The child on a school's return: the school knows the date of birth, so it is required."""

    date_of_birth: date


class SchoolReturn(Submission):
    school: School
    child: SchoolReturnChild
    safeguarding: Safeguarding = Safeguarding()


class LeaverSubmitted(SchoolReturn):
    """A school's leaver (deletion) return: a pupil's name has been, or is about to be, taken off roll."""

    event_type: ClassVar[str] = "cme.intake.leaver.submitted.v1"
    topic: ClassVar[str] = topics.INTAKE_LEAVER

    submission_type: Literal["leaver"] = "leaver"
    leaving_date: date
    leaving_reason: str = Field(
        min_length=1,
        max_length=20,
        description="Deletion ground: 2006 form 8(1)(a)-(o) or 2024 form 9(1)(a)-(o)",
        examples=["9(1)(g)", "8(1)(e)"],
    )
    destination: Destination | None = None
    documents: tuple[Document, ...] = ()


class JoinerSubmitted(SchoolReturn):
    """A school's joiner (new pupil) return, due within five school days of adding the pupil."""

    event_type: ClassVar[str] = "cme.intake.joiner.submitted.v1"
    topic: ClassVar[str] = topics.INTAKE_JOINER

    submission_type: Literal["joiner"] = "joiner"
    start_date: date = Field(description="The pupil's first day on the school's admission register")
    year_group: str | None = Field(default=None, max_length=10, examples=["R", "7"])
    previous_school: School | None = None


class AbsenceReason(StrEnum):
    CONTINUOUS_10_DAYS = "continuous_10_days"
    LIKELY_OVER_15_DAYS_ILLNESS = "likely_over_15_days_illness"
    IRREGULAR_ATTENDANCE = "irregular_attendance"
    FAILED_PART_TIME_TIMETABLE_OR_SUPPORT_PLAN = "failed_part_time_timetable_or_support_plan"


class AbsenceSubmitted(SchoolReturn):
    """An absence or irregular attendance return: a notification, not a referral (the child is on roll)."""

    event_type: ClassVar[str] = "cme.intake.absence.submitted.v1"
    topic: ClassVar[str] = topics.INTAKE_ABSENCE

    submission_type: Literal["absence"] = "absence"
    reason: AbsenceReason
    first_day_of_absence: date
    attendance_percentage: float | None = Field(default=None, ge=0, le=100)
    updates_submission_id: SubmissionId | None = Field(default=None, description="Set on an update")
    details: str | None = Field(default=None, max_length=2000)

    _updates_submission_id_is_text = field_validator("updates_submission_id")(without_control_characters)


class SicknessSubmitted(SchoolReturn):
    """A 15-day sickness return (2024 regulations): prompts the LA to consider its section 19 duty."""

    event_type: ClassVar[str] = "cme.intake.sickness.submitted.v1"
    topic: ClassVar[str] = topics.INTAKE_SICKNESS

    submission_type: Literal["sickness"] = "sickness"
    sickness_started: date
    expected_school_days_missed: int = Field(ge=15, le=200)
    cumulative: bool = Field(default=False, description="True when the 15 days are cumulative, not consecutive")


class PartTimeTimetableSubmitted(SchoolReturn):
    """A part-time timetable notification, or an update to one."""

    event_type: ClassVar[str] = "cme.intake.part_time_timetable.submitted.v1"
    topic: ClassVar[str] = topics.INTAKE_PART_TIME_TIMETABLE

    submission_type: Literal["part_time_timetable"] = "part_time_timetable"
    start_date: date
    planned_end_date: date | None = None
    hours_per_week: float = Field(gt=0, lt=32.5)
    reason: str = Field(min_length=1, max_length=2000)
    alternative_provision_used: bool = False
    updates_submission_id: SubmissionId | None = None

    _updates_submission_id_is_text = field_validator("updates_submission_id")(without_control_characters)


class SocialCareAlertType(StrEnum):
    NO_CONFIRMED_EDUCATION = "no_confirmed_education"
    LEAVING_AREA = "leaving_area"


class SocialCareAlertSubmitted(Submission):
    """Social care: a child of compulsory school age with no confirmed education (policy §11.3), or a child
    leaving the area or the country, with the destination where known (§11.5)."""

    event_type: ClassVar[str] = "cme.intake.social_care_alert.submitted.v1"
    topic: ClassVar[str] = topics.INTAKE_SOCIAL_CARE_ALERT

    submission_type: Literal["social_care_alert"] = "social_care_alert"
    alert_type: SocialCareAlertType
    child: Child
    social_worker: SocialWorker
    destination: Destination | None = None
    leaving_date: date | None = None
    safeguarding: Safeguarding = Safeguarding(open_to_social_care=True)
    details: str | None = Field(default=None, max_length=2000)


class ProfessionalReferralSubmitted(Submission):
    """A referral from admissions, housing, health, police, Children's Services or a member of the public."""

    event_type: ClassVar[str] = "cme.intake.professional_referral.submitted.v1"
    topic: ClassVar[str] = topics.INTAKE_PROFESSIONAL_REFERRAL

    submission_type: Literal["professional_referral"] = "professional_referral"
    referrer: Referrer
    child: Child
    last_known_school: School | None = None
    education: EducationStatus = EducationStatus()
    safeguarding: Safeguarding = Safeguarding()
    concern: str = Field(
        min_length=1, max_length=4000, description="Why the referrer thinks the child is missing education"
    )


class LaEnquirySubmitted(Submission):
    """Another local authority asks about a child who may have moved into this area (policy §4.1)."""

    event_type: ClassVar[str] = "cme.intake.la_enquiry.submitted.v1"
    topic: ClassVar[str] = topics.INTAKE_LA_ENQUIRY

    submission_type: Literal["la_enquiry"] = "la_enquiry"
    enquiring_authority: Referrer
    child: Child
    possible_address_here: Address | None = None
    last_known_school: School | None = None
    safeguarding: Safeguarding = Safeguarding()
    enquiry: str = Field(min_length=1, max_length=4000)


class CtfFileSubmitted(Submission):
    """A DfE Common Transfer File (bulk transition feed). Over Kafka, files must fit one message (about 1 MB);
    larger files go through the HTTP API."""

    event_type: ClassVar[str] = "cme.intake.ctf.submitted.v1"
    topic: ClassVar[str] = topics.INTAKE_CTF

    submission_type: Literal["ctf"] = "ctf"
    content: str = Field(min_length=1, description="The CTF XML document")


SUBMISSION_TYPES: tuple[type[Submission], ...] = (
    LeaverSubmitted,
    JoinerSubmitted,
    AbsenceSubmitted,
    SicknessSubmitted,
    PartTimeTimetableSubmitted,
    SocialCareAlertSubmitted,
    ProfessionalReferralSubmitted,
    LaEnquirySubmitted,
    CtfFileSubmitted,
)


class Problem(Part):
    field: str = Field(description="Dotted path of the field at fault, or 'submission' for the whole thing")
    message: str = Field(description="What to do about it, written for a school administrator")


class SubmissionRejected(Event):
    """A submission (or, for a CTF file, one pupil in it) that cannot be accepted. Nothing else happened
    because of it."""

    event_type: ClassVar[str] = "cme.intake.rejected.v1"
    topic: ClassVar[str] = topics.INTAKE_REJECTED

    submission_id: str | None
    submission_type: str | None
    rejected_at: datetime
    problems: tuple[Problem, ...] = Field(min_length=1)
    school_id: str | None = Field(
        default=None,
        description="The submitting school's establishment id, when the rejected submission named one a school sends "
        "(joiner and leaver returns): reporting counts each school's rejected returns",
    )
