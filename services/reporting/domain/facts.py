"""The facts the schools' reporting-habits rules and the DfE termly return read.

Frozen, slotted dataclasses built by the reporting read model from the event topics (one fact per school
return, exclusion or case); the rules in `schools.py` and `dfe_return.py` are pure functions of them. They
hold ids, dates and codes only: no names, dates of birth, addresses or UPNs. The National Curriculum year is
derived by the read model from the date of birth (`nc_year_on`) or from the return's year group
(`nc_year_from_year_group`), and only the year is kept.

`FactsFromEvents` states the mapping from the event topics to these facts as a pure fold, so the rules can also
run straight off a replay of the topics.

This module is a published interface for the read model: change it by adding optional fields only.
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from contracts.events.case_v1 import CaseClosed, CaseEscalated, CaseOpened, CaseUpdated, EscalationKind
from contracts.events.intake_v1 import JoinerSubmitted, LeaverSubmitted, SubmissionRejected
from contracts.events.referral_v1 import ReferralKind, ReferralReceived
from contracts.events.triage_v1 import TriageDecided
from contracts.reference.leaving_grounds import GROUNDS_BY_CODE

RECEPTION = 0
"""National Curriculum year of the Reception class; Years 1..13 are 1..13."""

_SCHOOL_YEAR_FIRST_MONTH = 9
_RECEPTION_AGE_ON_31_AUGUST = 4


class ReturnType(StrEnum):
    """Which school return a submission was (the intake submission types a school sends about its roll)."""

    JOINER = "joiner"
    LEAVER = "leaver"


@dataclass(frozen=True, slots=True)
class SubmissionFact:
    """One joiner (new pupil) or leaver (deletion) return a school sent, accepted or rejected.

    Built from the raw submission (cme.intake.joiner/leaver.submitted.v1: school, dates, year group, ground,
    previous school) joined by `submission_id` to its outcome: cme.referral.received.v1 (accepted: the
    resolved `child_id`) or cme.intake.rejected.v1 (rejected: the problems' field paths). A leaver return carries
    no year group, so its `nc_year` comes from the child's date of birth (`nc_year_on(dob, leaving_date)`); a
    joiner's from its year group (`nc_year_from_year_group`), or the date of birth when the group is missing.
    """

    submission_id: str
    school_id: str
    """The submitting school's establishment id (LA code and establishment number, 7 characters)."""
    return_type: ReturnType
    submitted_at: datetime
    effective_date: date
    """Joiner: the pupil's start date (first day on the admission register). Leaver: the leaving date."""
    child_id: UUID | None = None
    """The child intake resolved; None when the return was rejected (intake resolves no child then)."""
    nc_year: int | None = None
    """National Curriculum year on the effective date: 0 Reception, 1..13 Years 1..13; None when unknown."""
    ground: str | None = None
    """Leaver: the deletion ground as submitted and normalised, e.g. "8(1)(e)" or "9(1)(g)"."""
    ground_2024: str | None = None
    """Leaver: the same ground in the 2024 coding ("9(1)(g)"): the ground itself when it is a 2024 code, its
    first 2024 equivalent when a 2006 one; None when it has none (8(1)(g)) or was not a valid ground."""
    previous_school_id: str | None = None
    """Joiner: the school the pupil came from, when the return names one."""
    rejected: bool = False
    problems: tuple[str, ...] = ()
    """Rejected: each problem's field path as intake reported it ("documents", "child.upn", "leaving_reason")."""


@dataclass(frozen=True, slots=True)
class ExclusionFact:
    """A permanent exclusion: a leaver return on ground 8(1)(m) / 9(1)(o), with the LA's provision for it.

    The LA must arrange suitable full-time education from the sixth school day of a permanent exclusion. The
    events carry no provision date today, so the read model fills `provision_from` from the leaver referral's
    `education.ap_taken_up`: the leaving date when True (provision in place), None when False or not known.
    """

    child_id: UUID
    school_id: str
    excluded_from: date
    """The first day of the exclusion (the leaver return's leaving date)."""
    provision_from: date | None = None
    """The first day of the LA's alternative provision, when the case records one; None when none is
    recorded (for example a referral saying AP was not taken up, or no AP event at all)."""


@dataclass(frozen=True, slots=True)
class CaseFact:
    """One case, as the DfE return counts it: when the child was found missing education and when that ended.

    Built from cme.triage.decided.v1 (is_cme, track, whereabouts unknown) and cme.case.* (opened, escalated,
    closed with the reason).
    """

    case_id: UUID
    child_id: UUID
    opened_on: date
    is_cme: bool
    """Triage found the child missing education (not on roll and no suitable education otherwise)."""
    track: str
    """Triage's track when the case opened (contracts Track value, e.g. "cme_enquiry", "ehe")."""
    closed_on: date | None = None
    close_reason: str | None = None
    """CaseClosed.reason as casework published it."""
    school_id: str | None = None
    """The last known school, when the referral named one."""
    referral_kind: str | None = None
    """ReferralKind value of the referral that opened the case ("leaver", "la_enquiry", ...)."""
    whereabouts_unknown: bool = False
    """Triage said so, or the case was escalated to Missing Mondays."""
    nc_year: int | None = None
    """National Curriculum year when the case opened; None when the date of birth was not known."""
    ehcp: bool = False
    social_care: bool = False
    """Looked after, on a child protection plan or a child in need when the case opened."""
    sex: str | None = None
    """As the referral recorded it ("F", "M", "U"): the DfE return counts CME by sex; None when not given."""


def school_year_of(day: date) -> int:
    """The calendar year in which the school year containing `day` starts (1 September to 31 August)."""
    return day.year if day.month >= _SCHOOL_YEAR_FIRST_MONTH else day.year - 1


def nc_year_on(date_of_birth: date, on: date) -> int:
    """The National Curriculum year a child is in on `on`, by age: the age reached by 31 August before the
    school year starts, less 4 (aged 4 then: Reception, 0; aged 11: Year 7; aged 14: Year 10). Children out
    of their chronological year group are not modelled; outside 0..13 the arithmetic value is returned."""
    start = school_year_of(on)
    age_on_31_august = start - date_of_birth.year - (1 if (date_of_birth.month, date_of_birth.day) > (8, 31) else 0)
    return age_on_31_august - _RECEPTION_AGE_ON_31_AUGUST


def nc_year_from_year_group(year_group: str | None) -> int | None:
    """A return's year group as schools write it ("R", "Reception", "7", "Y7", "Year 7") as an NC year."""
    if year_group is None:
        return None
    text = year_group.strip().upper().removeprefix("YEAR").removeprefix("Y").strip()
    if text in {"R", "RECEPTION", "REC"}:
        return RECEPTION
    return int(text) if text.isdigit() and 0 <= int(text) <= 13 else None


# ------------------------------------------------------------------------------------- facts from the event topics

_PERMANENT_EXCLUSION = frozenset({"8(1)(m)", "9(1)(o)"})
_SCHOOL_RETURN_KINDS = frozenset({ReferralKind.JOINER, ReferralKind.LEAVER})


def _ground_2024(code: str | None, equivalents: tuple[str, ...]) -> str | None:
    if code is None:
        return None
    if code.startswith("9("):
        return code
    return equivalents[0] if equivalents else None


class FactsFromEvents:
    """The mapping from the suite's contract events to these facts, as a pure in-memory fold: `add` every event
    (from any topic, in any order), then read the facts. It states the mapping the read model follows and lets the
    rules run straight off a replay.

    - A school return is known from its raw submission (cme.intake.joiner/leaver.submitted.v1, when the school
      sends through the topics) and from intake's referral (cme.referral.received.v1, kind joiner or leaver), joined
      by submission id: the raw submission gives the year group and previous school, the referral the resolved
      child and the normalised ground. A return intake rejected (cme.intake.rejected.v1) names no school, so it is
      counted only when its raw submission was seen too.
    - A permanent exclusion is an accepted leaver on 8(1)(m) / 9(1)(o); provision from its leaving date when the
      referral says alternative provision was taken up.
    - A case is cme.case.opened.v1 with its referral and triage decision (by referral id), whereabouts unknown when
      triage said so or the case went to Missing Mondays, closed by its last cme.case.closed.v1 unless reopened
      (cme.case.updated.v1 change "reopened") after it.
    """

    def __init__(self) -> None:
        self._raw: dict[str, JoinerSubmitted | LeaverSubmitted] = {}
        self._rejected: dict[str, SubmissionRejected] = {}
        self._referral_by_submission: dict[str, ReferralReceived] = {}
        self._referral: dict[UUID, ReferralReceived] = {}
        self._decision: dict[UUID, TriageDecided] = {}
        self._opened: dict[UUID, CaseOpened] = {}
        self._escalated: set[UUID] = set()
        self._closed: dict[UUID, CaseClosed] = {}
        self._reopened: dict[UUID, datetime] = {}

    def add(self, event: object) -> None:
        if isinstance(event, (JoinerSubmitted, LeaverSubmitted)):
            self._raw[event.submission_id] = event
        elif isinstance(event, SubmissionRejected):
            if event.submission_id is not None:
                self._rejected[event.submission_id] = event
        elif isinstance(event, ReferralReceived):
            self._referral[event.referral_id] = event
            if event.kind in _SCHOOL_RETURN_KINDS and event.school is not None:
                self._referral_by_submission[event.submission_id] = event
        elif isinstance(event, TriageDecided):
            self._decision[event.referral_id] = event
        elif isinstance(event, CaseOpened):
            self._opened[event.case_id] = event
        elif isinstance(event, CaseEscalated):
            if event.kind is EscalationKind.MISSING_MONDAYS:
                self._escalated.add(event.case_id)
        elif isinstance(event, CaseClosed):
            latest = self._closed.get(event.case_id)
            if latest is None or event.closed_at >= latest.closed_at:
                self._closed[event.case_id] = event
        elif isinstance(event, CaseUpdated) and event.change == "reopened":
            self._reopened[event.case_id] = max(event.updated_at, self._reopened.get(event.case_id, event.updated_at))

    def submissions(self) -> list[SubmissionFact]:
        facts: list[SubmissionFact] = []
        for submission_id in self._raw.keys() | self._referral_by_submission.keys():
            raw = self._raw.get(submission_id)
            referral = self._referral_by_submission.get(submission_id)
            rejection = self._rejected.get(submission_id)
            if referral is not None:
                facts.append(self._accepted(submission_id, raw, referral))
            elif raw is not None and rejection is not None:
                facts.append(self._rejected_fact(raw, rejection))
        return facts

    @staticmethod
    def _accepted(
        submission_id: str, raw: JoinerSubmitted | LeaverSubmitted | None, referral: ReferralReceived
    ) -> SubmissionFact:
        assert referral.school is not None  # only school returns are kept by submission id
        effective = referral.referral_date
        nc_year: int | None = None
        previous: str | None = None
        if isinstance(raw, JoinerSubmitted):
            nc_year = nc_year_from_year_group(raw.year_group)
            previous = raw.previous_school.establishment_id if raw.previous_school else None
        if nc_year is None and referral.child.date_of_birth is not None:
            nc_year = nc_year_on(referral.child.date_of_birth, effective)
        ground = referral.leaving_ground
        return SubmissionFact(
            submission_id=submission_id,
            school_id=referral.school.establishment_id,
            return_type=ReturnType.JOINER if referral.kind is ReferralKind.JOINER else ReturnType.LEAVER,
            submitted_at=raw.submitted_at if raw is not None else referral.received_at,
            effective_date=effective,
            child_id=referral.child_id,
            nc_year=nc_year,
            ground=ground.code if ground else None,
            ground_2024=_ground_2024(ground.code, ground.equivalents) if ground else None,
            previous_school_id=previous,
        )

    @staticmethod
    def _rejected_fact(raw: JoinerSubmitted | LeaverSubmitted, rejection: SubmissionRejected) -> SubmissionFact:
        # Intake resolved no child and normalised nothing: what the school sent is all there is.
        if isinstance(raw, JoinerSubmitted):
            effective, ground = raw.start_date, None
            nc_year = nc_year_from_year_group(raw.year_group)
            previous = raw.previous_school.establishment_id if raw.previous_school else None
        else:
            effective, ground, nc_year, previous = raw.leaving_date, raw.leaving_reason, None, None
        if nc_year is None:
            nc_year = nc_year_on(raw.child.date_of_birth, effective)
        statutory = GROUNDS_BY_CODE.get(ground) if ground else None
        return SubmissionFact(
            submission_id=raw.submission_id,
            school_id=raw.school.establishment_id,
            return_type=ReturnType.JOINER if isinstance(raw, JoinerSubmitted) else ReturnType.LEAVER,
            submitted_at=raw.submitted_at,
            effective_date=effective,
            nc_year=nc_year,
            ground=ground,
            ground_2024=_ground_2024(ground, statutory.equivalents) if statutory else None,
            previous_school_id=previous,
            rejected=True,
            problems=tuple(problem.field for problem in rejection.problems),
        )

    def exclusions(self) -> list[ExclusionFact]:
        found: list[ExclusionFact] = []
        for referral in self._referral_by_submission.values():
            ground = referral.leaving_ground
            if ground is None or referral.school is None or ground.code not in _PERMANENT_EXCLUSION:
                continue
            found.append(
                ExclusionFact(
                    child_id=referral.child_id,
                    school_id=referral.school.establishment_id,
                    excluded_from=referral.referral_date,
                    provision_from=referral.referral_date if referral.education.ap_taken_up else None,
                )
            )
        return found

    def cases(self) -> list[CaseFact]:
        facts: list[CaseFact] = []
        for case_id, opened in self._opened.items():
            decision = self._decision.get(opened.referral_id)
            referral = self._referral.get(opened.referral_id)
            closed = self._closed.get(case_id)
            if closed is not None and self._reopened.get(case_id, closed.closed_at) > closed.closed_at:
                closed = None
            born = opened.child.date_of_birth
            flags = opened.safeguarding
            facts.append(
                CaseFact(
                    case_id=case_id,
                    child_id=opened.child_id,
                    opened_on=opened.opened_at.date(),
                    # casework opens a case only on a decision that the child is missing education
                    is_cme=decision.is_cme if decision is not None else True,
                    track=opened.track.value,
                    closed_on=closed.closed_at.date() if closed else None,
                    close_reason=closed.reason if closed else None,
                    school_id=opened.school.establishment_id if opened.school else None,
                    referral_kind=referral.kind.value if referral else None,
                    whereabouts_unknown=case_id in self._escalated
                    or bool(decision is not None and decision.whereabouts_unknown),
                    nc_year=nc_year_on(born, opened.opened_at.date()) if born else None,
                    ehcp=flags.ehcp,
                    social_care=flags.looked_after or flags.child_protection_plan or flags.child_in_need,
                    sex=opened.child.sex,
                )
            )
        return facts
