"""Every Kafka topic the suite uses, in one place.

A topic's name ends with its major version: a breaking change to what flows on it is a new topic.
Child-related topics are keyed by the child id so that everything about one child stays in order.
"""

from typing import Final

# Raw submissions from upstream systems (school portals, MIS feeds, social care, other local authorities).
INTAKE_LEAVER: Final = "cme.intake.leaver.v1"
INTAKE_JOINER: Final = "cme.intake.joiner.v1"
INTAKE_ABSENCE: Final = "cme.intake.absence.v1"
INTAKE_SICKNESS: Final = "cme.intake.sickness.v1"
INTAKE_PART_TIME_TIMETABLE: Final = "cme.intake.part_time_timetable.v1"
INTAKE_SOCIAL_CARE_ALERT: Final = "cme.intake.social_care_alert.v1"
INTAKE_PROFESSIONAL_REFERRAL: Final = "cme.intake.professional_referral.v1"
INTAKE_LA_ENQUIRY: Final = "cme.intake.la_enquiry.v1"
INTAKE_CTF: Final = "cme.intake.ctf.v1"
INTAKE_REJECTED: Final = "cme.intake.rejected.v1"

REFERRAL_RECEIVED: Final = "cme.referral.received.v1"
TRIAGE_DECIDED: Final = "cme.triage.decided.v1"
# One topic for the whole case lifecycle (opened, updated, escalated, closed) so a child's case events stay ordered.
CASE_LIFECYCLE: Final = "cme.case.lifecycle.v1"
REVIEW_DECIDED: Final = "cme.review.decided.v1"
NOTIFY_MESSAGES: Final = "cme.notify.message.v1"
# Intake's identity decisions (children merged, merges undone), keyed by the surviving child id.
IDENTITY_MERGES: Final = "cme.identity.merge.v1"

# Messages no consumer could parse or process, with the reason and the original bytes and headers.
DEAD_LETTER: Final = "cme.deadletter.v1"

INTAKE_SUBMISSION_TOPICS: Final = (
    INTAKE_LEAVER,
    INTAKE_JOINER,
    INTAKE_ABSENCE,
    INTAKE_SICKNESS,
    INTAKE_PART_TIME_TIMETABLE,
    INTAKE_SOCIAL_CARE_ALERT,
    INTAKE_PROFESSIONAL_REFERRAL,
    INTAKE_LA_ENQUIRY,
    INTAKE_CTF,
)

ALL_TOPICS: Final = (
    *INTAKE_SUBMISSION_TOPICS,
    INTAKE_REJECTED,
    REFERRAL_RECEIVED,
    TRIAGE_DECIDED,
    CASE_LIFECYCLE,
    REVIEW_DECIDED,
    NOTIFY_MESSAGES,
    IDENTITY_MERGES,
    DEAD_LETTER,
)
