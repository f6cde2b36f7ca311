"""Triage rules as effective-dated data.

Each `RuleSet` is a versioned table: the leaving grounds of one set of pupil registration regulations, the
deadlines triage sets, and whether the Children Not In School (CNIS) register has commenced. Moving to new
regulations means adding a table here; commencing CNIS or changing a deadline is configuration
(`RuleOverrides`). Edit a table only through review, and bump its version when you do: decisions record it.

The grounds themselves (codes, legal source, statutory description, 2006 <-> 2024 equivalences, whereabouts
unknown, joint enquiries, destination school) are the law, held once in `contracts.reference.leaving_grounds`
and read by intake too. This module adds triage's reading of each ground: the county policy App. C track and
the CME flags (DOMAIN.md, "Leaving reasons").
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

from contracts.events.triage_v1 import Track
from contracts.reference import leaving_grounds as law

__all__ = [
    "GROUNDS_2006",
    "GROUNDS_2024",
    "REGS_2024_COMMENCED",
    "RULE_TABLES",
    "GroundReading",
    "GroundStatus",
    "LeavingGround",
    "LegalSource",
    "NoRulesInForce",
    "RuleOverrides",
    "RuleSet",
    "Track",
    "map_ground",
    "normalise_code",
    "resolve_ground",
    "rules_for",
]

LegalSource = law.Regulations
"""Which regulations a ground comes from: 2006 (reg 8(1)) or 2024 (reg 9(1), in force 19 Aug 2024)."""


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


@dataclass(frozen=True)
class _Reading:
    track: Track
    cme_only_when_no_destination: bool = False
    cme_when_ap_not_taken_up: bool = False


# Triage's reading of each ground, stated against the 2006 codes as DOMAIN.md does. A ground without a row
# of its own (every 2024 ground today) reads as its equivalents in the other coding, which must agree; so
# equivalent grounds mean the same for triage by construction. A ground needing a different reading from
# its equivalent gets a row of its own.
_READINGS: Mapping[str, _Reading] = MappingProxyType(
    {
        "8(1)(a)": _Reading(Track.NO_ACTION),
        "8(1)(b)": _Reading(Track.WATCH_FOR_JOINER),
        "8(1)(c)": _Reading(Track.NO_ACTION),
        "8(1)(d)": _Reading(Track.EHE),
        "8(1)(e)": _Reading(Track.CME_ENQUIRY),
        "8(1)(f)": _Reading(Track.CME_ENQUIRY),
        "8(1)(g)": _Reading(Track.S19_CONSIDERATION),
        "8(1)(h)": _Reading(Track.CME_ENQUIRY),
        "8(1)(i)": _Reading(Track.YOUTH_JUSTICE_LIAISON),
        "8(1)(j)": _Reading(Track.CLOSE_ANY_CASE),
        "8(1)(k)": _Reading(Track.POST_16),
        "8(1)(l)": _Reading(Track.CME_ENQUIRY, cme_only_when_no_destination=True),
        "8(1)(m)": _Reading(Track.EXCLUSION_AP, cme_when_ap_not_taken_up=True),
        "8(1)(n)": _Reading(Track.CME_ENQUIRY, cme_only_when_no_destination=True),
        "8(1)(o)": _Reading(Track.CME_ENQUIRY, cme_only_when_no_destination=True),
    }
)

# What the county form adds to a ground's statutory description, for the reasons an officer reads.
_COUNTY_FORM_NOTES: Mapping[str, str] = MappingProxyType({"8(1)(b)": "county form: a known in-county school"})


def _reading(ground: law.StatutoryGround) -> _Reading:
    own = _READINGS.get(ground.code)
    if own is not None:
        return own
    inherited = {_READINGS[code] for code in ground.equivalents if code in _READINGS}
    if len(inherited) != 1:
        raise LookupError(f"triage has no single reading for leaving ground {ground.code}")
    return inherited.pop()


def _ground(ground: law.StatutoryGround) -> LeavingGround:
    reading = _reading(ground)
    note = _COUNTY_FORM_NOTES.get(ground.code)
    return LeavingGround(
        code=ground.code,
        legal_source=ground.regulations,
        situation=ground.description if note is None else f"{ground.description} ({note})",
        track=reading.track,
        whereabouts_unknown=ground.whereabouts_unknown,
        joint_enquiries_required=ground.joint_enquiries_required,
        cme_only_when_no_destination=reading.cme_only_when_no_destination,
        cme_when_ap_not_taken_up=reading.cme_when_ap_not_taken_up,
        needs_destination_school=ground.destination_school_required,
        equivalents=ground.equivalents,
    )


GROUNDS_2006: tuple[LeavingGround, ...] = tuple(map(_ground, law.GROUNDS_2006))
GROUNDS_2024: tuple[LeavingGround, ...] = tuple(map(_ground, law.GROUNDS_2024))

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


REGS_2024_COMMENCED = law.REGULATIONS_2024_IN_FORCE

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
        effective_from=law.REGULATIONS_2006_IN_FORCE,
        effective_to=REGS_2024_COMMENCED - timedelta(days=1),
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
