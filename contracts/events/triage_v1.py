"""Triage's reading of a referral: is the child missing education, on which track, and how urgent."""

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from contracts import topics
from contracts.base import Event
from contracts.events.common_v1 import Child, Destination, Document, LaCode, Referrer, Safeguarding, School
from contracts.events.referral_v1 import LeavingGround, ReferralKind


class Track(StrEnum):
    CME_ENQUIRY = "cme_enquiry"
    EHE = "ehe"
    ATTENDANCE = "attendance"
    POST_16 = "post_16"
    EXCLUSION_AP = "exclusion_ap"
    S19_CONSIDERATION = "s19_consideration"
    WATCH_FOR_JOINER = "watch_for_joiner"
    NO_ACTION = "no_action"
    CLOSE_ANY_CASE = "close_any_case"
    YOUTH_JUSTICE_LIAISON = "youth_justice_liaison"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


class TriageDecided(Event):
    event_type: ClassVar[str] = "cme.triage.decided.v1"
    topic: ClassVar[str] = topics.TRIAGE_DECIDED

    decision_id: UUID
    referral_id: UUID
    child_id: UUID
    decided_at: datetime
    is_cme: bool
    track: Track
    priority: Priority
    whereabouts_unknown: bool = False
    refer_to_family_front_door: bool = False
    refer_to_authority: LaCode | None = Field(
        default=None,
        description="The authority the child moved to, which is owed a CME referral through the exchange "
        "(policy §4.1, §11.5); notify sends it",
    )
    joint_enquiries_required: bool = Field(
        default=False, description="Deletion under 9(1)(h)/(i): school and LA enquiries must be evidenced"
    )
    cnis_register_applies: bool = Field(default=False, description="Children Not In School register, once in force")
    due_date: date | None = None
    watch_deadline: date | None = None
    reasons: tuple[str, ...] = Field(default=(), description="Why, in words an officer can read; no personal data")
    rules_version: str
    # Carried forward so casework can open a case without reading intake's data.
    kind: ReferralKind
    child: Child
    school: School | None = None
    leaving_ground: LeavingGround | None = None
    destination: Destination | None = None
    safeguarding: Safeguarding = Safeguarding()
    # The return behind the decision, carried forward so casework can show it on the case (issue 8).
    submission_id: str | None = Field(default=None, description="The upstream system's id for the submission")
    received_at: datetime | None = Field(default=None, description="When intake received the submission")
    referral_date: date | None = Field(
        default=None, description="The referral's date: the leaving date on a leaver return"
    )
    referrer: Referrer | None = Field(default=None, description="Who sent the submission")
    documents: tuple[Document, ...] = ()
    sibling_child_ids: tuple[UUID, ...] = Field(
        default=(), description="Intake's suggested siblings: other children at the same address (one family)"
    )
    lost_pupil_file: bool = Field(
        default=False, description="From a CTF sent to the Lost Pupil Database: where the pupil went is not known"
    )
