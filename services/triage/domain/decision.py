"""Triage: is the child missing education, which track does the referral go on, and how urgent is it.

Sources: DOMAIN.md "Submissions that reach intake" and "Triage" (county policy App. B, App. D, §2.2, §11).
The order of the checks matters and is the order of `_track`: some submissions never need triage, a death
closes any case whatever the child's age, then the compulsory-school-age gate, then the kind of referral.
"""

from dataclasses import dataclass
from datetime import date

# Triage decides in the contracts' vocabulary: the kinds of referral it reads and the priorities it sets.
from contracts.events.referral_v1 import ReferralKind
from contracts.events.triage_v1 import Priority
from contracts.reference.school_age import CsaStatus, csa_status
from contracts.reference.school_days import SchoolCalendar
from services.triage.domain.rules import GroundReading, GroundStatus, RuleSet, Track, resolve_ground
from services.triage.domain.vulnerability import Vulnerability

__all__ = ["Priority", "ReferralFacts", "ReferralKind", "TriageDecision", "decide"]


@dataclass(frozen=True)
class ReferralFacts:
    """What triage knows about one referral. No names or identifiers: triage does not need them.

    `destination_known` covers any destination (a school, another LA or a country);
    `destination_school_known` implies it. `ap_taken_up` is None while that is not yet known.
    """

    referral_kind: ReferralKind
    referral_date: date
    date_of_birth: date | None = None
    leaving_ground: str | None = None
    destination_school_known: bool = False
    destination_known: bool = False
    moving_abroad: bool = False
    is_cla: bool = False
    is_cp: bool = False
    is_cin: bool = False
    has_ehcp: bool = False
    safeguarding_concern: bool = False
    vulnerabilities: frozenset[Vulnerability] = frozenset()
    on_roll_elsewhere: bool = False
    is_ehe: bool = False
    in_alternative_provision: bool = False
    ap_taken_up: bool | None = None
    # Another English authority the child moved to (its DfE LA code), never this authority's own.
    destination_authority: str | None = None


@dataclass(frozen=True)
class TriageDecision:
    """The outcome of triage. `is_cme` holds exactly when `track` is CME_ENQUIRY.

    `ground_status` says how a leaver's leaving ground was read (None for other kinds): anything other than
    IN_FORCE or READ_VIA_EQUIVALENT means the school should be asked to correct the return.
    `cnis_register_applies` is set once the Children Not In School register has commenced and the child
    falls in it (home educated, or on roll but educated elsewhere for part of the time); the register
    service confirms that the child lives in the area.
    """

    is_cme: bool
    track: Track
    priority: Priority
    whereabouts_unknown: bool
    refer_to_family_front_door: bool
    due_date: date | None
    watch_deadline: date | None
    reasons: tuple[str, ...]
    rules_version: str
    joint_enquiries_required: bool = False
    ground_status: GroundStatus | None = None
    cnis_register_applies: bool = False
    refer_to_authority: str | None = None


@dataclass(frozen=True)
class _Track:
    track: Track
    reasons: tuple[str, ...]
    whereabouts_unknown: bool = False
    joint_enquiries_required: bool = False


_NEEDS_NO_TRIAGE = {
    ReferralKind.JOINER: "Joiner return: it closes watches and cases elsewhere; nothing to triage",
    ReferralKind.CTF_BULK: "Bulk transition feed: it updates the child record; nothing to triage",
}
_ON_ROLL_KINDS = {
    ReferralKind.ABSENCE: (
        Track.ATTENDANCE,
        "Absence return: the child is on roll, an attendance matter, not CME",
    ),
    ReferralKind.PART_TIME_TIMETABLE: (
        Track.ATTENDANCE,
        "Part-time timetable: the child is on roll and monitored by attendance, not CME",
    ),
    ReferralKind.SICKNESS_15_DAY: (
        Track.S19_CONSIDERATION,
        "15-day sickness return: consider the LA's section 19 duty; the child is on roll, not CME",
    ),
}
_ENQUIRY_KINDS = {
    ReferralKind.SOCIAL_CARE_NO_EDUCATION: "Social care: child of school age with no confirmed education",
    ReferralKind.PROFESSIONAL_REFERRAL: "Professional referral: the child appears to be missing education",
    ReferralKind.LA_ENQUIRY: "Enquiry from another local authority: locate the child and confirm education",
}
_LEAVING_AREA = "Social care: child leaving the area or country; confirm education at the destination"
_LEAVING_KINDS = frozenset({ReferralKind.LEAVER, ReferralKind.SOCIAL_CARE_LEAVING_AREA})


def decide(facts: ReferralFacts, rules: RuleSet, calendar: SchoolCalendar) -> TriageDecision:
    is_leaver = facts.referral_kind is ReferralKind.LEAVER
    reading = resolve_ground(facts.leaving_ground, rules)
    outcome = _track(facts, reading)
    priority, priority_reasons = _priority(facts)
    is_cme = outcome.track is Track.CME_ENQUIRY
    cnis_applies = rules.cnis_register_commenced and _in_cnis_register(facts, outcome.track)
    reasons = [*outcome.reasons, *priority_reasons]
    if is_cme and facts.moving_abroad:
        reasons.append("Family reported moving abroad: record the destination country if known")
    if is_cme and (facts.is_cla or facts.is_cp or facts.is_cin):
        reasons.append("Open to social care: contact the named social worker when the case opens")
    if facts.safeguarding_concern:
        reasons.append("Safeguarding concern: refer to the Family Front Door; CME work does not replace it")
    if cnis_applies:
        reasons.append("Children Not In School register applies once residence in the area is confirmed")
    refer_to_authority = _authority_to_tell(facts, outcome.track)
    if refer_to_authority is not None:
        reasons.append(
            f"Moved to local authority {refer_to_authority}: that authority is sent a CME referral (policy §4.1, "
            "§11.5) and is chased if it does not acknowledge it"
        )
    return TriageDecision(
        is_cme=is_cme,
        track=outcome.track,
        priority=priority,
        whereabouts_unknown=outcome.whereabouts_unknown,
        refer_to_family_front_door=facts.safeguarding_concern,
        due_date=(calendar.add_school_days(facts.referral_date, rules.cme_enquiry_due_school_days) if is_cme else None),
        watch_deadline=(
            calendar.add_school_days(facts.referral_date, rules.joiner_watch_school_days)
            if outcome.track is Track.WATCH_FOR_JOINER
            else None
        ),
        reasons=tuple(reasons),
        rules_version=rules.version,
        joint_enquiries_required=outcome.joint_enquiries_required,
        ground_status=reading.status if is_leaver else None,
        cnis_register_applies=cnis_applies,
        refer_to_authority=refer_to_authority,
    )


def _track(facts: ReferralFacts, reading: GroundReading) -> _Track:
    kind = facts.referral_kind
    if kind in _NEEDS_NO_TRIAGE:
        return _Track(Track.NO_ACTION, (_NEEDS_NO_TRIAGE[kind],))
    if kind is ReferralKind.LEAVER and reading.ground and reading.ground.track is Track.CLOSE_ANY_CASE:
        return _Track(Track.CLOSE_ANY_CASE, _ground_reasons(reading))
    outside_csa = _outside_csa(facts)
    if outside_csa:
        return outside_csa
    age_reasons: tuple[str, ...] = ()
    if facts.date_of_birth is None:
        age_reasons = ("Date of birth not known: treated as of compulsory school age",)
    if kind in _ON_ROLL_KINDS:
        track, reason = _ON_ROLL_KINDS[kind]
        return _Track(track, (*age_reasons, reason))
    if kind is ReferralKind.SOCIAL_CARE_LEAVING_AREA:
        return _leaving_area(facts, age_reasons)
    if kind in _ENQUIRY_KINDS:
        return _unless_educated_elsewhere(
            _Track(Track.CME_ENQUIRY, (*age_reasons, _ENQUIRY_KINDS[kind])), facts, on_roll=Track.ATTENDANCE
        )
    # Every other kind has returned above. A kind added later without a rule lands here, where a missing
    # leaving ground reads as a CME enquiry: the safe default for a child.
    leaver = _leaver(facts, reading)
    return _unless_educated_elsewhere(
        _Track(
            leaver.track,
            (*age_reasons, *leaver.reasons),
            leaver.whereabouts_unknown,
            leaver.joint_enquiries_required,
        ),
        facts,
        on_roll=Track.NO_ACTION,
    )


def _leaving_area(facts: ReferralFacts, age_reasons: tuple[str, ...]) -> _Track:
    """Policy §11.5 with §4.1: a child who moves to another English authority becomes that authority's to find
    in education, so the authority is told (a CME referral through the exchange) instead of this one opening an
    enquiry of its own. A local case is kept where this authority's duty goes with the child: a looked-after child
    stays this authority's (it is the corporate parent wherever the child is placed), and a child protection plan
    or a safeguarding concern is never discharged by a message alone. Without a destination authority (abroad, or
    not known) the enquiry is this authority's."""
    if facts.destination_authority is None or facts.destination_school_known:
        return _Track(Track.CME_ENQUIRY, (*age_reasons, _LEAVING_AREA))
    if facts.is_cla or facts.is_cp or facts.safeguarding_concern:
        kept = "Local case kept: the child is looked after, on a child protection plan or a safeguarding concern"
        return _Track(Track.CME_ENQUIRY, (*age_reasons, _LEAVING_AREA, kept))
    return _Track(
        Track.NO_ACTION,
        (*age_reasons, "Social care: child moving to another authority, which is told; no local enquiry"),
    )


def _authority_to_tell(facts: ReferralFacts, track: Track) -> str | None:
    """The authority owed a CME referral: a child of compulsory school age who left this area for a known English
    authority with no school named there (a named school is told by the school's own transfer, the CTF). Not
    when the child's education is already known, nor on a death's or post-16's track."""
    if facts.destination_authority is None or facts.referral_kind not in _LEAVING_KINDS:
        return None
    if facts.destination_school_known or facts.on_roll_elsewhere or facts.is_ehe:
        return None
    if track not in (Track.CME_ENQUIRY, Track.NO_ACTION) or _outside_csa(facts) is not None:
        return None
    return facts.destination_authority


def _outside_csa(facts: ReferralFacts) -> _Track | None:
    if facts.date_of_birth is None:
        return None
    status = csa_status(facts.date_of_birth, facts.referral_date)
    if status is CsaStatus.PRE_SCHOOL:
        return _Track(Track.NO_ACTION, ("Below compulsory school age on the referral date: not CME",))
    if status is CsaStatus.PAST_COMPULSORY_SCHOOL_AGE:
        return _Track(Track.POST_16, ("Past compulsory school age on the referral date: post-16 team, not CME",))
    return None


def _leaver(facts: ReferralFacts, reading: GroundReading) -> _Track:
    ground = reading.ground
    if ground is None:
        return _Track(Track.CME_ENQUIRY, (_unusable_ground_reason(reading),))
    reasons = _ground_reasons(reading)
    destination_known = facts.destination_known or facts.destination_school_known or facts.on_roll_elsewhere
    if ground.needs_destination_school and not facts.destination_school_known:
        return _Track(
            Track.CME_ENQUIRY,
            (*reasons, "No destination school named: treated as moved away, no school known"),
        )
    if ground.cme_only_when_no_destination and destination_known:
        return _Track(Track.NO_ACTION, (*reasons, "Destination known: not CME"))
    if ground.cme_when_ap_not_taken_up and facts.ap_taken_up is False:
        return _Track(Track.CME_ENQUIRY, (*reasons, "Alternative provision not taken up: CME"))
    if ground.cme_when_ap_not_taken_up:
        reasons = (*reasons, "The LA provides alternative provision from day 6; CME if it is not taken up")
    if ground.cme_only_when_no_destination:
        reasons = (*reasons, "No destination known: CME")
    return _Track(ground.track, reasons, ground.whereabouts_unknown, ground.joint_enquiries_required)


def _ground_reasons(reading: GroundReading) -> tuple[str, ...]:
    ground = reading.ground
    if ground is None:
        return ()
    reason = f"Leaving ground {ground.code}: {ground.situation}"
    if reading.status is GroundStatus.READ_VIA_EQUIVALENT:
        return (
            f"Leaving ground {reading.code} (2006 coding) read as its 2024 equivalent {ground.code}",
            reason,
        )
    return (reason,)


def _unusable_ground_reason(reading: GroundReading) -> str:
    # Unknown codes are not echoed: the field is free text from a school and could hold anything.
    ask_school = "ask the school to correct the return; enquiring meanwhile"
    if reading.status is GroundStatus.NOT_YET_IN_FORCE:
        return f"Leaving ground {reading.code} was not in force on the referral date: {ask_school}"
    if reading.status is GroundStatus.NO_LONGER_IN_FORCE:
        return f"Leaving ground {reading.code} was no longer a lawful ground on the referral date: {ask_school}"
    if reading.status is GroundStatus.UNKNOWN:
        return f"Leaving ground not recognised: {ask_school}"
    return f"No leaving ground given: {ask_school}"


def _unless_educated_elsewhere(outcome: _Track, facts: ReferralFacts, *, on_roll: Track) -> _Track:
    """A would-be CME enquiry for a child whose education is already known goes to that education's track.

    CME excludes children on a school roll, home educated or in alternative provision (policy §2.2).
    """
    if outcome.track is not Track.CME_ENQUIRY:
        return outcome
    if facts.on_roll_elsewhere:
        return _Track(on_roll, (*outcome.reasons, "On a school roll: not CME"))
    if facts.is_ehe:
        return _Track(Track.EHE, (*outcome.reasons, "Electively home educated: not CME"))
    if facts.in_alternative_provision:
        return _Track(Track.EXCLUSION_AP, (*outcome.reasons, "In alternative provision: not CME"))
    return outcome


def _priority(facts: ReferralFacts) -> tuple[Priority, tuple[str, ...]]:
    first_priority = [
        label
        for label, applies in (
            ("child looked after", facts.is_cla),
            ("child protection plan", facts.is_cp),
            ("child in need", facts.is_cin),
            ("EHCP", facts.has_ehcp),
            ("safeguarding concern", facts.safeguarding_concern),
        )
        if applies
    ]
    if first_priority:
        return Priority.P1, (f"Priority 1: {', '.join(first_priority)}",)
    if facts.vulnerabilities:
        groups = ", ".join(sorted(group.value.replace("_", " ") for group in facts.vulnerabilities))
        return Priority.P2, (f"Priority 2: vulnerable group (Appendix B): {groups}",)
    return Priority.P3, ("Priority 3: no priority 1 or 2 factors",)


def _in_cnis_register(facts: ReferralFacts, track: Track) -> bool:
    """Education Act 1996 s436B condition C: not on a school roll, or on one but partly educated elsewhere."""
    if facts.date_of_birth is not None and (
        csa_status(facts.date_of_birth, facts.referral_date) is not CsaStatus.OF_COMPULSORY_SCHOOL_AGE
    ):
        return False
    return (
        track is Track.EHE or facts.referral_kind is ReferralKind.PART_TIME_TIMETABLE or facts.in_alternative_provision
    )
