"""A normalised referral about one resolved child."""

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

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
)


class ReferralKind(StrEnum):
    LEAVER = "leaver"
    JOINER = "joiner"
    ABSENCE = "absence"
    SICKNESS_15_DAY = "sickness_15_day"
    PART_TIME_TIMETABLE = "part_time_timetable"
    SOCIAL_CARE_NO_EDUCATION = "social_care_no_education"
    SOCIAL_CARE_LEAVING_AREA = "social_care_leaving_area"
    PROFESSIONAL_REFERRAL = "professional_referral"
    LA_ENQUIRY = "la_enquiry"
    CTF_BULK = "ctf_bulk"


class LegalSource(StrEnum):
    REGS_2006 = "2006"
    REGS_2024 = "2024"


class LeavingGround(Part):
    code: str = Field(description="As submitted, normalised", examples=["9(1)(g)"])
    legal_source: LegalSource
    equivalents: tuple[str, ...] = Field(default=(), description="The same ground in the other coding")


class AttendanceConcern(Part):
    """For returns about a child on roll: absence, 15-day sickness and part-time timetables."""

    reason: str = Field(description="The absence reason, 'sickness_15_day' or 'part_time_timetable'")
    first_day_of_absence: date | None = None
    expected_school_days_missed: int | None = None
    hours_per_week: float | None = None
    alternative_provision_used: bool | None = None
    updates_submission_id: str | None = None
    attendance_percentage: float | None = Field(default=None, description="Absence returns: attendance so far")
    cumulative: bool | None = Field(default=None, description="15-day sickness: the days are cumulative")
    start_date: date | None = Field(default=None, description="Part-time timetable: the day it started")
    planned_end_date: date | None = Field(default=None, description="Part-time timetable: the day it should end")


class ReferralReceived(Event):
    event_type: ClassVar[str] = "cme.referral.received.v1"
    topic: ClassVar[str] = topics.REFERRAL_RECEIVED

    referral_id: UUID
    child_id: UUID = Field(description="The resolved child; the Kafka key")
    submission_id: str
    kind: ReferralKind
    received_at: datetime
    referral_date: date = Field(description="The date the rules are read at (leaving date, or date received)")
    child: Child
    school: School | None = None
    leaving_ground: LeavingGround | None = None
    destination: Destination | None = None
    safeguarding: Safeguarding = Safeguarding()
    education: EducationStatus = EducationStatus()
    referrer: Referrer | None = None
    attendance: AttendanceConcern | None = None
    social_care_alert: str | None = Field(default=None, description="no_confirmed_education or leaving_area")
    identity_decision: str = Field(
        default="new_child", description="How intake resolved the child: matched_existing, new_child or needs_review"
    )
    identity_review_id: UUID | None = Field(
        default=None, description="The officer's review of an uncertain or duplicate match, when intake opened one"
    )
    sibling_child_ids: tuple[UUID, ...] = Field(
        default=(), description="Other children in intake's register at the same address (one family)"
    )
    previous_school: School | None = Field(
        default=None, description="Joiner returns: the school the pupil came from, as the school gave it"
    )
    possible_address: Address | None = Field(
        default=None, description="Enquiries from another local authority: where the child may be living here"
    )
    details: str | None = Field(
        default=None,
        description="What the referrer wrote (concern, enquiry, absence details, timetable reason). Free text that "
        "may name the child: show it, never log it",
    )
    documents: tuple[Document, ...] = Field(
        default=(), description="Documents sent with the return; those intake stores carry its checks (id, type, size)"
    )
    lost_pupil_file: bool = Field(
        default=False, description="A CTF the school sent to the Lost Pupil Database (LA XXX, school XXXX)"
    )
