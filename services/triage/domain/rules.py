"""Triage rules as effective-dated data.

Each `RuleSet` is a versioned table: the leaving grounds of one set of pupil registration regulations, the
deadlines triage sets, and whether the Children Not In School (CNIS) register has commenced. Moving to new
regulations means adding a table here; commencing CNIS or changing a deadline is configuration
(`RuleOverrides`). Edit a table only through review, and bump its version when you do: decisions record it.

Sources: the Education (Pupil Registration) (England) Regulations 2006 reg 8(1), as amended (sub-paragraph (o)
was inserted by SI 2011/1625); the School Attendance (Pupil Registration) (England) Regulations 2024
(SI 2024/208) reg 9(1), in force from 19 August 2024; the county policy App. C for the triage meaning of each
ground (DOMAIN.md, "Leaving reasons").
"""

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum


class LegalSource(StrEnum):
    REGS_2006 = "2006"
    """Education (Pupil Registration) (England) Regulations 2006, reg 8(1)."""
    REGS_2024 = "2024"
    """School Attendance (Pupil Registration) (England) Regulations 2024, reg 9(1); in force 19 Aug 2024."""


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


@dataclass(frozen=True)
class LeavingGround:
    """One deletion ground and what it means for triage.

    `track` and `is_cme` are the reading of the ground on its own. Three flags let the facts of a referral
    change that reading: `cme_only_when_no_destination` (a known destination makes it not CME),
    `cme_when_ap_not_taken_up` (an excluded child who does not take up alternative provision is CME) and
    `needs_destination_school` (without a named school the ground cannot hold, so the child is treated as
    having moved away with no school known).
    """

    code: str
    legal_source: LegalSource
    situation: str
    track: Track
    whereabouts_unknown: bool = False
    joint_enquiries_required: bool = False
    cme_only_when_no_destination: bool = False
    cme_when_ap_not_taken_up: bool = False
    needs_destination_school: bool = False
    equivalents: tuple[str, ...] = ()

    @property
    def is_cme(self) -> bool:
        return self.track is Track.CME_ENQUIRY


_2006 = LegalSource.REGS_2006
_2024 = LegalSource.REGS_2024

# The county form lists only part of reg 8(1); (i), (j), (n) and (o) are in the regulations and schools may
# still send them, so they are here too. 8(1)(g) has no 2024 successor.
GROUNDS_2006: tuple[LeavingGround, ...] = (
    LeavingGround(
        "8(1)(a)",
        _2006,
        "school attendance order changed to name another school, or revoked",
        Track.NO_ACTION,
        equivalents=("9(1)(d)", "9(1)(e)"),
    ),
    LeavingGround(
        "8(1)(b)",
        _2006,
        "registered at another school (county form: a known in-county school)",
        Track.WATCH_FOR_JOINER,
        needs_destination_school=True,
        equivalents=("9(1)(a)",),
    ),
    LeavingGround(
        "8(1)(c)",
        _2006,
        "dual registration ended with the other school's consent",
        Track.NO_ACTION,
        equivalents=("9(1)(c)",),
    ),
    LeavingGround(
        "8(1)(d)",
        _2006,
        "parent has notified in writing that the child will be home educated",
        Track.EHE,
        equivalents=("9(1)(f)",),
    ),
    LeavingGround(
        "8(1)(e)",
        _2006,
        "moved away, no school or school unknown, or moving abroad",
        Track.CME_ENQUIRY,
        equivalents=("9(1)(g)",),
    ),
    LeavingGround(
        "8(1)(f)",
        _2006,
        "not back after agreed leave, whereabouts unknown after joint enquiries",
        Track.CME_ENQUIRY,
        whereabouts_unknown=True,
        joint_enquiries_required=True,
        equivalents=("9(1)(h)",),
    ),
    LeavingGround(
        "8(1)(g)",
        _2006,
        "medically certified unfit to attend before compulsory school age ends",
        Track.S19_CONSIDERATION,
    ),
    LeavingGround(
        "8(1)(h)",
        _2006,
        "20 school days' unauthorised absence, whereabouts unknown after joint enquiries",
        Track.CME_ENQUIRY,
        whereabouts_unknown=True,
        joint_enquiries_required=True,
        equivalents=("9(1)(i)",),
    ),
    LeavingGround(
        "8(1)(i)",
        _2006,
        "detained under a court order of 4 months or more, not expected back",
        Track.YOUTH_JUSTICE_LIAISON,
        equivalents=("9(1)(j)",),
    ),
    LeavingGround("8(1)(j)", _2006, "died", Track.CLOSE_ANY_CASE, equivalents=("9(1)(k)",)),
    LeavingGround(
        "8(1)(k)",
        _2006,
        "leaving at the end of Year 11 or ceasing to be of compulsory school age",
        Track.POST_16,
        equivalents=("9(1)(l)",),
    ),
    LeavingGround(
        "8(1)(l)",
        _2006,
        "left an independent school",
        Track.CME_ENQUIRY,
        cme_only_when_no_destination=True,
        equivalents=("9(1)(n)",),
    ),
    LeavingGround(
        "8(1)(m)",
        _2006,
        "permanently excluded",
        Track.EXCLUSION_AP,
        cme_when_ap_not_taken_up=True,
        equivalents=("9(1)(o)",),
    ),
    LeavingGround(
        "8(1)(n)",
        _2006,
        "left after nursery education without moving into reception",
        Track.CME_ENQUIRY,
        cme_only_when_no_destination=True,
        equivalents=("9(1)(b)",),
    ),
    LeavingGround(
        "8(1)(o)",
        _2006,
        "boarder whose boarding charges are unpaid",
        Track.CME_ENQUIRY,
        cme_only_when_no_destination=True,
        equivalents=("9(1)(m)",),
    ),
)

GROUNDS_2024: tuple[LeavingGround, ...] = (
    LeavingGround(
        "9(1)(a)",
        _2024,
        "registered at another school",
        Track.WATCH_FOR_JOINER,
        needs_destination_school=True,
        equivalents=("8(1)(b)",),
    ),
    LeavingGround(
        "9(1)(b)",
        _2024,
        "left after nursery education without moving into reception",
        Track.CME_ENQUIRY,
        cme_only_when_no_destination=True,
        equivalents=("8(1)(n)",),
    ),
    LeavingGround(
        "9(1)(c)",
        _2024,
        "also registered elsewhere; the other schools agreed the deletion",
        Track.NO_ACTION,
        equivalents=("8(1)(c)",),
    ),
    LeavingGround(
        "9(1)(d)",
        _2024,
        "school attendance order amended to name another school",
        Track.NO_ACTION,
        equivalents=("8(1)(a)",),
    ),
    LeavingGround(
        "9(1)(e)",
        _2024,
        "school attendance order revoked: education arranged otherwise",
        Track.NO_ACTION,
        equivalents=("8(1)(a)",),
    ),
    LeavingGround(
        "9(1)(f)",
        _2024,
        "parent has notified in writing that the child will be home educated",
        Track.EHE,
        equivalents=("8(1)(d)",),
    ),
    LeavingGround(
        "9(1)(g)",
        _2024,
        "moved away, no school or school unknown, or moving abroad",
        Track.CME_ENQUIRY,
        equivalents=("8(1)(e)",),
    ),
    LeavingGround(
        "9(1)(h)",
        _2024,
        "not back after leave of absence, whereabouts unknown after joint enquiries",
        Track.CME_ENQUIRY,
        whereabouts_unknown=True,
        joint_enquiries_required=True,
        equivalents=("8(1)(f)",),
    ),
    LeavingGround(
        "9(1)(i)",
        _2024,
        "20 school days' absence coded G, N or O, whereabouts unknown after joint enquiries",
        Track.CME_ENQUIRY,
        whereabouts_unknown=True,
        joint_enquiries_required=True,
        equivalents=("8(1)(h)",),
    ),
    LeavingGround(
        "9(1)(j)",
        _2024,
        "detained under a court order of 4 months or more, not expected back",
        Track.YOUTH_JUSTICE_LIAISON,
        equivalents=("8(1)(i)",),
    ),
    LeavingGround("9(1)(k)", _2024, "died", Track.CLOSE_ANY_CASE, equivalents=("8(1)(j)",)),
    LeavingGround(
        "9(1)(l)",
        _2024,
        "ceasing to be of compulsory school age and not staying on",
        Track.POST_16,
        equivalents=("8(1)(k)",),
    ),
    LeavingGround(
        "9(1)(m)",
        _2024,
        "boarder whose boarding charges are unpaid",
        Track.CME_ENQUIRY,
        cme_only_when_no_destination=True,
        equivalents=("8(1)(o)",),
    ),
    LeavingGround(
        "9(1)(n)",
        _2024,
        "left an independent school or non-maintained special school",
        Track.CME_ENQUIRY,
        cme_only_when_no_destination=True,
        equivalents=("8(1)(l)",),
    ),
    LeavingGround(
        "9(1)(o)",
        _2024,
        "permanently excluded",
        Track.EXCLUSION_AP,
        cme_when_ap_not_taken_up=True,
        equivalents=("8(1)(m)",),
    ),
)

_ALL_GROUNDS: dict[str, LeavingGround] = {ground.code: ground for ground in GROUNDS_2006 + GROUNDS_2024}


@dataclass(frozen=True)
class RuleSet:
    """The rules in force for a period. `effective_to` is the last day in force (inclusive); None = open."""

    version: str
    legal_source: LegalSource
    effective_from: date
    effective_to: date | None
    grounds: tuple[LeavingGround, ...]
    joiner_watch_school_days: int
    cme_enquiry_due_school_days: int
    cnis_register_commenced: bool = False

    def covers(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def ground(self, code: str) -> LeavingGround | None:
        """The ground with this code in this table's own coding, if there is one."""
        normalised = normalise_code(code)
        return next((ground for ground in self.grounds if ground.code == normalised), None)


REGS_2024_COMMENCED = date(2024, 8, 19)

# joiner_watch_school_days: a school makes its joiner return within 5 days of adding the pupil (reg 13(1)),
# and in-year transfers are usually processed within 10 school days; 10 covers a prompt join and its return.
# cme_enquiry_due_school_days: no national standard says how fast an LA must complete its first checks.
# 20 school days matches the clock the regulations already run on missing children (the 20-day absence ground,
# and the tracing period before a lost CTF goes to the Lost Pupil Database), so the LA's first checks finish
# within the window schools and the LPD already work to, and officers learn one number, not two.
RULE_TABLES: tuple[RuleSet, ...] = (
    RuleSet(
        version="pupil-registration-2006/v1",
        legal_source=LegalSource.REGS_2006,
        effective_from=date(2006, 9, 1),
        effective_to=date(2024, 8, 18),
        grounds=GROUNDS_2006,
        joiner_watch_school_days=10,
        cme_enquiry_due_school_days=20,
    ),
    RuleSet(
        version="pupil-registration-2024/v1",
        legal_source=LegalSource.REGS_2024,
        effective_from=REGS_2024_COMMENCED,
        effective_to=None,
        grounds=GROUNDS_2024,
        joiner_watch_school_days=10,
        cme_enquiry_due_school_days=20,
    ),
)


@dataclass(frozen=True)
class RuleOverrides:
    """An authority's configuration on top of the tables. None leaves the table's value.

    `cnis_register_commences_on` switches on the Children Not In School register (Education Act 1996
    ss436B-436G, inserted by the Children's Wellbeing and Schools Act 2026 s38) from that date.
    """

    cnis_register_commences_on: date | None = None
    joiner_watch_school_days: int | None = None
    cme_enquiry_due_school_days: int | None = None


class NoRulesInForce(ValueError):
    """The date is earlier than every rule table."""


def rules_for(on: date, overrides: RuleOverrides | None = None) -> RuleSet:
    """The rules in force on `on` (the referral date), with the authority's overrides applied.

    The version names the table and each override that changed it, so a decision records exactly what it
    was read under.
    """
    table = next((candidate for candidate in RULE_TABLES if candidate.covers(on)), None)
    if table is None:
        raise NoRulesInForce(f"no rule table is in force before {RULE_TABLES[0].effective_from.isoformat()}")
    if overrides is None:
        return table
    cnis_commenced = overrides.cnis_register_commences_on is not None and on >= overrides.cnis_register_commences_on
    adjusted = replace(
        table,
        cnis_register_commenced=table.cnis_register_commenced or cnis_commenced,
        joiner_watch_school_days=_override(overrides.joiner_watch_school_days, table.joiner_watch_school_days),
        cme_enquiry_due_school_days=_override(overrides.cme_enquiry_due_school_days, table.cme_enquiry_due_school_days),
    )
    changed = [
        f";{name}={getattr(adjusted, name)}"
        for name in ("cnis_register_commenced", "joiner_watch_school_days", "cme_enquiry_due_school_days")
        if getattr(adjusted, name) != getattr(table, name)
    ]
    return replace(adjusted, version=table.version + "".join(changed)) if changed else table


def _override(value: int | None, default: int) -> int:
    return default if value is None else value


def normalise_code(code: str) -> str:
    """Codes as schools write them ("8(1) (e)", "9(1)(G)") in the form the tables use ("8(1)(e)")."""
    return "".join(code.split()).lower()


def map_ground(code: str) -> list[str]:
    """The same ground in the other coding; empty when it has none (8(1)(g)) or the code is not known."""
    ground = _ALL_GROUNDS.get(normalise_code(code))
    return list(ground.equivalents) if ground else []


class GroundStatus(StrEnum):
    IN_FORCE = "in_force"
    READ_VIA_EQUIVALENT = "read_via_equivalent"
    """A 2006 code after 19 Aug 2024 (schools still use old forms): read as its 2024 equivalent."""
    NOT_YET_IN_FORCE = "not_yet_in_force"
    """A 2024 code dated before 19 Aug 2024."""
    NO_LONGER_IN_FORCE = "no_longer_in_force"
    """A 2006 code with no 2024 equivalent (8(1)(g)) dated on or after 19 Aug 2024."""
    UNKNOWN = "unknown"
    MISSING = "missing"


@dataclass(frozen=True)
class GroundReading:
    """How a submitted code reads under a rule set. `ground` is None unless the code can be applied."""

    code: str
    status: GroundStatus
    ground: LeavingGround | None = None


def resolve_ground(code: str | None, rules: RuleSet) -> GroundReading:
    """Read a submitted leaving-ground code under `rules`. Never raises: a bad code is a status.

    When a 2006 code has two 2024 equivalents (8(1)(a): 9(1)(d) and 9(1)(e)) the first is applied; the
    tables keep such equivalents identical in meaning, and a test holds them to it.
    """
    if code is None or not code.strip():
        return GroundReading(code="", status=GroundStatus.MISSING)
    normalised = normalise_code(code)
    in_table = rules.ground(normalised)
    if in_table is not None:
        return GroundReading(code=normalised, status=GroundStatus.IN_FORCE, ground=in_table)
    other = _ALL_GROUNDS.get(normalised)
    if other is None:
        return GroundReading(code=normalised, status=GroundStatus.UNKNOWN)
    if other.legal_source is LegalSource.REGS_2024:
        return GroundReading(code=normalised, status=GroundStatus.NOT_YET_IN_FORCE)
    equivalents = [ground for ground in map(rules.ground, other.equivalents) if ground is not None]
    if not equivalents:
        return GroundReading(code=normalised, status=GroundStatus.NO_LONGER_IN_FORCE)
    return GroundReading(code=normalised, status=GroundStatus.READ_VIA_EQUIVALENT, ground=equivalents[0])
