"""Raw submissions that reach intake, and the rejection intake publishes when it cannot accept one."""

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from contracts import topics
from contracts.base import Event
from contracts.events.common_v1 import Child, Destination, Document, Part, Safeguarding, School


class Submitter(Part):
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    organisation: str | None = Field(default=None, max_length=200)


class LeaverSubmitted(Event):
    """A school's leaver (deletion) return: a pupil's name has been, or is about to be, taken off roll."""

    event_type: ClassVar[str] = "cme.intake.leaver.submitted.v1"
    topic: ClassVar[str] = topics.INTAKE_LEAVER

    submission_type: Literal["leaver"] = "leaver"
    submission_id: str = Field(
        min_length=1, max_length=100, description="The upstream system's id for this submission (idempotency key)"
    )
    submitted_at: datetime
    school: School
    child: Child
    leaving_date: date
    leaving_reason: str = Field(
        min_length=1,
        max_length=20,
        description="Deletion ground: 2006 form 8(1)(a)-(m) or 2024 form 9(1)(a)-(o)",
        examples=["9(1)(g)", "8(1)(e)"],
    )
    destination: Destination | None = None
    documents: tuple[Document, ...] = ()
    safeguarding: Safeguarding = Safeguarding()
    submitter: Submitter | None = None


class Problem(Part):
    field: str = Field(description="Dotted path of the field at fault, or 'submission' for the whole thing")
    message: str = Field(description="What to do about it, written for a school administrator")


class SubmissionRejected(Event):
    """A submission that cannot be accepted. Nothing else happened because of it."""

    event_type: ClassVar[str] = "cme.intake.rejected.v1"
    topic: ClassVar[str] = topics.INTAKE_REJECTED

    submission_id: str | None
    submission_type: str | None
    rejected_at: datetime
    problems: tuple[Problem, ...] = Field(min_length=1)
