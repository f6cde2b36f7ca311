"""Turning an accepted submission into a normalised referral, and a CTF pupil into the same shapes.

Every submission type becomes one `ReferralReceived`: the kind triage reads, the date its rules are read at,
and what the submitter told us about the child's school, education, safeguarding and whereabouts.
"""

from datetime import date, datetime
from typing import Any, TypedDict
from uuid import UUID

from pydantic import ValidationError

from contracts.events.common_v1 import (
    Address,
    Child,
    Destination,
    OrganisationType,
    Referrer,
    Safeguarding,
    School,
)
from contracts.events.intake_v1 import (
    AbsenceSubmitted,
    JoinerSubmitted,
    LaEnquirySubmitted,
    LeaverSubmitted,
    PartTimeTimetableSubmitted,
    ProfessionalReferralSubmitted,
    SchoolReturn,
    SicknessSubmitted,
    SocialCareAlertSubmitted,
    SocialCareAlertType,
    Submission,
)
from contracts.events.referral_v1 import (
    AttendanceConcern,
    LeavingGround,
    LegalSource,
    ReferralKind,
    ReferralReceived,
)
from services.intake.domain.ctf import CtfAddress, CtfHeader, CtfPupil
from services.intake.domain.grounds import equivalents_of, ground_for
from services.intake.domain.identity import PersonRecord
from services.intake.domain.validation import Problem, normalise_postcode
from services.intake.service_layer.submission_rules import submitted_on

SICKNESS_15_DAY = "sickness_15_day"
PART_TIME_TIMETABLE = "part_time_timetable"
_FIX_IN_MIS = "Correct it in the school's MIS and export the file again"
_ADD_IN_MIS = "Add it in the school's MIS and export the file again"
# Where the CTF keeps what the Child contract calls each field, to name it in a problem.
_CTF_FIELDS = {
    "given_name": ("Forename", "Forename"),
    "family_name": ("Surname", "Surname"),
    "middle_names": ("BasicDetails/MiddleNames", "Middle names"),
    "sex": ("Sex", "Sex"),
    "address": ("Address", "Address"),
}


class _ReferralIdentity(TypedDict):
    referral_id: UUID
    child_id: UUID
    submission_id: str
    received_at: datetime
    identity_decision: str
    identity_review_id: UUID | None
    sibling_child_ids: tuple[UUID, ...]


def person_record(child: Child, fallback_address: Address | None = None) -> PersonRecord:
    """What identity resolution compares. ``fallback_address`` is used when the child's own is missing (another
    LA's enquiry may know only where the child might be living here)."""
    address = child.address or fallback_address
    return PersonRecord(
        given_name=child.given_name,
        family_name=child.family_name,
        middle_names=child.middle_names,
        date_of_birth=child.date_of_birth,
        sex=child.sex,
        upn=child.upn,
        former_upns=tuple(child.former_upns),
        nhs_number=child.nhs_number,
        postcode=address.postcode if address else None,
        address_line=address.line1 if address and address.line1.strip() else None,
    )


def submission_type_of(submission: Submission) -> str:
    """The submission's type ("leaver", ...): each contract declares its own literal; the base declares none."""
    return str(submission.model_dump(include={"submission_type"})["submission_type"])


def submission_person(submission: Submission) -> PersonRecord:
    if isinstance(submission, LaEnquirySubmitted):
        return person_record(submission.child, submission.possible_address_here)
    child = getattr(submission, "child", None)
    if not isinstance(child, Child):
        raise TypeError(f"{type(submission).__name__} names no child")
    return person_record(child)


def leaving_ground(code: str, on: date) -> LeavingGround | None:
    ground = ground_for(code, on)
    if ground is None:
        return None
    return LeavingGround(
        code=ground.code,
        legal_source=LegalSource(ground.coding.value),
        equivalents=tuple(other.code for other in equivalents_of(ground)),
    )


def _referral_child(submission: SchoolReturn) -> Child:
    # A school return's child is a stricter subtype (the date of birth is required); the referral carries the
    # plain contract type, so it reads back exactly as published.
    return Child.model_validate(submission.child.model_dump())


def _school_referrer(submission: SchoolReturn) -> Referrer:
    submitter = submission.submitter
    return Referrer(
        organisation_type=OrganisationType.SCHOOL,
        organisation=submission.school.name or submission.school.establishment_id,
        name=submitter.name if submitter else None,
        email=submitter.email if submitter else None,
    )


def _school_return_fields(submission: SchoolReturn) -> dict[str, Any]:
    """What every school return tells about the child, the school and who sent it."""
    return {
        "child": _referral_child(submission),
        "school": submission.school,
        "safeguarding": submission.safeguarding,
        "referrer": _school_referrer(submission),
    }


def _social_care_safeguarding(submission: SocialCareAlertSubmitted) -> Safeguarding:
    # The alert comes from the child's social worker, so the child is open to social care whatever the form said.
    safeguarding = submission.safeguarding
    return safeguarding.model_copy(
        update={
            "open_to_social_care": True,
            "social_worker": safeguarding.social_worker or submission.social_worker,
        }
    )


def referral_for(
    submission: Submission,
    *,
    referral_id: UUID,
    child_id: UUID,
    received_at: datetime,
    identity_decision: str,
    identity_review_id: UUID | None = None,
    sibling_child_ids: tuple[UUID, ...] = (),
) -> ReferralReceived:
    """The referral an accepted submission (of any type but a CTF file) becomes."""
    common = _ReferralIdentity(
        referral_id=referral_id,
        child_id=child_id,
        submission_id=submission.submission_id,
        received_at=received_at,
        identity_decision=identity_decision,
        identity_review_id=identity_review_id,
        sibling_child_ids=sibling_child_ids,
    )
    submitted = submitted_on(submission.submitted_at)
    match submission:
        case LeaverSubmitted():
            return ReferralReceived(
                **common,
                kind=ReferralKind.LEAVER,
                referral_date=submission.leaving_date,
                child=_referral_child(submission),
                school=submission.school,
                leaving_ground=leaving_ground(submission.leaving_reason, submission.leaving_date),
                destination=submission.destination,
                safeguarding=submission.safeguarding,
                referrer=_school_referrer(submission),
            )
        case JoinerSubmitted():
            return ReferralReceived(
                **common,
                kind=ReferralKind.JOINER,
                referral_date=submission.start_date,
                previous_school=submission.previous_school,
                **_school_return_fields(submission),
            )
        case AbsenceSubmitted():
            return ReferralReceived(
                **common,
                kind=ReferralKind.ABSENCE,
                referral_date=submission.first_day_of_absence,
                **_school_return_fields(submission),
                attendance=AttendanceConcern(
                    reason=submission.reason.value,
                    first_day_of_absence=submission.first_day_of_absence,
                    attendance_percentage=submission.attendance_percentage,
                    updates_submission_id=submission.updates_submission_id,
                ),
                details=submission.details,
            )
        case SicknessSubmitted():
            return ReferralReceived(
                **common,
                kind=ReferralKind.SICKNESS_15_DAY,
                referral_date=submitted,
                **_school_return_fields(submission),
                attendance=AttendanceConcern(
                    reason=SICKNESS_15_DAY,
                    first_day_of_absence=submission.sickness_started,
                    expected_school_days_missed=submission.expected_school_days_missed,
                    cumulative=submission.cumulative,
                ),
            )
        case PartTimeTimetableSubmitted():
            return ReferralReceived(
                **common,
                kind=ReferralKind.PART_TIME_TIMETABLE,
                referral_date=submitted,
                **_school_return_fields(submission),
                attendance=AttendanceConcern(
                    reason=PART_TIME_TIMETABLE,
                    hours_per_week=submission.hours_per_week,
                    alternative_provision_used=submission.alternative_provision_used,
                    updates_submission_id=submission.updates_submission_id,
                    start_date=submission.start_date,
                    planned_end_date=submission.planned_end_date,
                ),
                details=submission.reason,
            )
        case SocialCareAlertSubmitted():
            social_worker = submission.social_worker
            leaving = submission.alert_type is SocialCareAlertType.LEAVING_AREA
            return ReferralReceived(
                **common,
                kind=ReferralKind.SOCIAL_CARE_LEAVING_AREA if leaving else ReferralKind.SOCIAL_CARE_NO_EDUCATION,
                referral_date=submitted,
                child=submission.child,
                destination=submission.destination,
                safeguarding=_social_care_safeguarding(submission),
                referrer=Referrer(
                    organisation_type=OrganisationType.SOCIAL_CARE,
                    organisation=submission.submitter.organisation if submission.submitter else None,
                    name=social_worker.name,
                    email=social_worker.email,
                    phone=social_worker.phone,
                ),
                social_care_alert=submission.alert_type.value,
                details=submission.details,
            )
        case ProfessionalReferralSubmitted():
            return ReferralReceived(
                **common,
                kind=ReferralKind.PROFESSIONAL_REFERRAL,
                referral_date=submitted,
                child=submission.child,
                school=submission.last_known_school,
                safeguarding=submission.safeguarding,
                education=submission.education,
                referrer=submission.referrer,
                details=submission.concern,
            )
        case LaEnquirySubmitted():
            return ReferralReceived(
                **common,
                kind=ReferralKind.LA_ENQUIRY,
                referral_date=submitted,
                child=submission.child,
                school=submission.last_known_school,
                safeguarding=submission.safeguarding,
                referrer=submission.enquiring_authority,
                possible_address=submission.possible_address_here,
                details=submission.enquiry,
            )
    raise TypeError(f"{type(submission).__name__} is not turned into a referral")


def _ctf_address(address: CtfAddress | None) -> Address | None:
    if address is None:
        return None
    if address.lines:
        line1, line2 = address.lines[0], ", ".join(address.lines[1:]) or None
    else:
        building = " ".join(part for part in (address.paon, address.street) if part)
        line1 = ", ".join(part for part in (address.saon, building) if part)
        line2 = address.locality
    postcode = normalise_postcode(address.postcode, allow_bfpo=True) if address.postcode else None
    if not line1 and postcode is None:
        return None
    return Address(line1=line1, line2=line2, town=address.town, postcode=postcode)


def ctf_child(pupil: CtfPupil) -> tuple[Child | None, list[Problem]]:
    """The pupil as the contracts' `Child`, or the problems (named by CTF element) that stop it being one."""
    problems: list[Problem] = []
    if pupil.forename is None:
        problems.append(Problem("Forename", f"Forename is missing. {_ADD_IN_MIS}"))
    if pupil.address is not None and pupil.address.postcode and normalise_postcode(pupil.address.postcode) is None:
        problems.append(Problem("Address/PostCode", f"Postcode is not a real postcode. {_FIX_IN_MIS}"))
    if problems:
        return None, problems
    try:
        child = Child(
            given_name=pupil.forename or "",
            family_name=pupil.surname,
            middle_names=pupil.middle_names,
            date_of_birth=pupil.date_of_birth,
            sex=pupil.sex,
            upn=pupil.upn,
            former_upns=pupil.former_upns,
            address=_ctf_address(pupil.address),
        )
    except ValidationError as error:
        for item in error.errors():
            element, label = _CTF_FIELDS.get(str(item["loc"][0]), ("Pupil", "A value"))
            problems.append(Problem(element, f"{label} is too long or not valid. {_FIX_IN_MIS}"))
        return None, problems
    return child, []


def ctf_school(la: str | None, estab: str | None) -> str | None:
    """The DfE number of a school a CTF header names, or None (the Lost Pupil Database's XXX/XXXX, say)."""
    if la is None or estab is None or not (la + estab).isdigit() or len(la + estab) != 7:
        return None
    return la + estab


def ctf_referral(
    header: CtfHeader,
    pupil: CtfPupil,
    child: Child,
    *,
    submission_id: str,
    referral_id: UUID,
    child_id: UUID,
    received_at: datetime,
    identity_decision: str,
    sibling_child_ids: tuple[UUID, ...] = (),
) -> ReferralReceived:
    """A bulk-feed referral: what the CTF says about a child already known to CME work."""
    source = ctf_school(header.source_la, header.source_estab)
    destination = ctf_school(header.dest_la, header.dest_estab)
    return ReferralReceived(
        referral_id=referral_id,
        child_id=child_id,
        submission_id=submission_id,
        kind=ReferralKind.CTF_BULK,
        received_at=received_at,
        referral_date=header.date_time.date(),
        child=child,
        school=School(establishment_id=source, name=header.source_school_name) if source else None,
        destination=Destination(school_id=destination) if destination else None,
        safeguarding=Safeguarding(looked_after=pupil.in_care, ehcp=pupil.has_ehcp),
        referrer=Referrer(organisation_type=OrganisationType.SCHOOL, organisation=header.source_school_name),
        identity_decision=identity_decision,
        sibling_child_ids=sibling_child_ids,
        lost_pupil_file=header.is_lost_pupil_file,
    )
