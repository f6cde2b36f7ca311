from dataclasses import dataclass
from datetime import date
from itertools import pairwise

import pytest

from services.triage.domain.rules import (
    GROUNDS_2006,
    GROUNDS_2024,
    RULE_TABLES,
    GroundStatus,
    LegalSource,
    NoRulesInForce,
    RuleOverrides,
    Track,
    map_ground,
    normalise_code,
    resolve_ground,
    rules_for,
)

BEFORE_2024 = date(2024, 8, 18)
FROM_2024 = date(2024, 8, 19)


@dataclass(frozen=True)
class Row:
    track: Track
    is_cme: bool
    whereabouts_unknown: bool = False
    joint_enquiries: bool = False
    cme_only_when_no_destination: bool = False
    equivalents: tuple[str, ...] = ()


# The reviewed reading of every ground: DOMAIN.md "Leaving reasons", and the regulations for 2006 (i), (j),
# (n) and (o), which the county form leaves out.
EXPECTED: dict[str, Row] = {
    "8(1)(a)": Row(Track.NO_ACTION, False, equivalents=("9(1)(d)", "9(1)(e)")),
    "8(1)(b)": Row(Track.WATCH_FOR_JOINER, False, equivalents=("9(1)(a)",)),
    "8(1)(c)": Row(Track.NO_ACTION, False, equivalents=("9(1)(c)",)),
    "8(1)(d)": Row(Track.EHE, False, equivalents=("9(1)(f)",)),
    "8(1)(e)": Row(Track.CME_ENQUIRY, True, equivalents=("9(1)(g)",)),
    "8(1)(f)": Row(Track.CME_ENQUIRY, True, True, True, equivalents=("9(1)(h)",)),
    "8(1)(g)": Row(Track.S19_CONSIDERATION, False),
    "8(1)(h)": Row(Track.CME_ENQUIRY, True, True, True, equivalents=("9(1)(i)",)),
    "8(1)(i)": Row(Track.YOUTH_JUSTICE_LIAISON, False, equivalents=("9(1)(j)",)),
    "8(1)(j)": Row(Track.CLOSE_ANY_CASE, False, equivalents=("9(1)(k)",)),
    "8(1)(k)": Row(Track.POST_16, False, equivalents=("9(1)(l)",)),
    "8(1)(l)": Row(Track.CME_ENQUIRY, True, cme_only_when_no_destination=True, equivalents=("9(1)(n)",)),
    "8(1)(m)": Row(Track.EXCLUSION_AP, False, equivalents=("9(1)(o)",)),
    "8(1)(n)": Row(Track.CME_ENQUIRY, True, cme_only_when_no_destination=True, equivalents=("9(1)(b)",)),
    "8(1)(o)": Row(Track.CME_ENQUIRY, True, cme_only_when_no_destination=True, equivalents=("9(1)(m)",)),
    "9(1)(a)": Row(Track.WATCH_FOR_JOINER, False, equivalents=("8(1)(b)",)),
    "9(1)(b)": Row(Track.CME_ENQUIRY, True, cme_only_when_no_destination=True, equivalents=("8(1)(n)",)),
    "9(1)(c)": Row(Track.NO_ACTION, False, equivalents=("8(1)(c)",)),
    "9(1)(d)": Row(Track.NO_ACTION, False, equivalents=("8(1)(a)",)),
    "9(1)(e)": Row(Track.NO_ACTION, False, equivalents=("8(1)(a)",)),
    "9(1)(f)": Row(Track.EHE, False, equivalents=("8(1)(d)",)),
    "9(1)(g)": Row(Track.CME_ENQUIRY, True, equivalents=("8(1)(e)",)),
    "9(1)(h)": Row(Track.CME_ENQUIRY, True, True, True, equivalents=("8(1)(f)",)),
    "9(1)(i)": Row(Track.CME_ENQUIRY, True, True, True, equivalents=("8(1)(h)",)),
    "9(1)(j)": Row(Track.YOUTH_JUSTICE_LIAISON, False, equivalents=("8(1)(i)",)),
    "9(1)(k)": Row(Track.CLOSE_ANY_CASE, False, equivalents=("8(1)(j)",)),
    "9(1)(l)": Row(Track.POST_16, False, equivalents=("8(1)(k)",)),
    "9(1)(m)": Row(Track.CME_ENQUIRY, True, cme_only_when_no_destination=True, equivalents=("8(1)(o)",)),
    "9(1)(n)": Row(Track.CME_ENQUIRY, True, cme_only_when_no_destination=True, equivalents=("8(1)(l)",)),
    "9(1)(o)": Row(Track.EXCLUSION_AP, False, equivalents=("8(1)(m)",)),
}
ALL_GROUNDS = {ground.code: ground for ground in GROUNDS_2006 + GROUNDS_2024}


def test_the_tables_hold_exactly_the_reviewed_grounds() -> None:
    assert set(ALL_GROUNDS) == set(EXPECTED)
    assert len(ALL_GROUNDS) == len(GROUNDS_2006) + len(GROUNDS_2024)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_ground_row(code: str) -> None:
    ground, row = ALL_GROUNDS[code], EXPECTED[code]
    assert ground.legal_source is (LegalSource.REGS_2006 if code.startswith("8") else LegalSource.REGS_2024)
    assert ground.track is row.track
    assert ground.is_cme is row.is_cme
    assert ground.whereabouts_unknown is row.whereabouts_unknown
    assert ground.joint_enquiries_required is row.joint_enquiries
    assert ground.cme_only_when_no_destination is row.cme_only_when_no_destination
    assert ground.equivalents == row.equivalents
    assert map_ground(code) == list(row.equivalents)
    assert ground.situation


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_mapping_goes_both_ways(code: str) -> None:
    for equivalent in map_ground(code):
        assert code in map_ground(equivalent)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_equivalent_grounds_mean_the_same_for_triage(code: str) -> None:
    ground = ALL_GROUNDS[code]
    for equivalent in map(ALL_GROUNDS.__getitem__, ground.equivalents):
        assert (equivalent.track, equivalent.whereabouts_unknown, equivalent.joint_enquiries_required) == (
            ground.track,
            ground.whereabouts_unknown,
            ground.joint_enquiries_required,
        )


def test_only_the_destination_school_grounds_need_one() -> None:
    needing = {ground.code for ground in ALL_GROUNDS.values() if ground.needs_destination_school}
    assert needing == {"8(1)(b)", "9(1)(a)"}


def test_only_exclusion_becomes_cme_when_ap_is_not_taken_up() -> None:
    grounds = {ground.code for ground in ALL_GROUNDS.values() if ground.cme_when_ap_not_taken_up}
    assert grounds == {"8(1)(m)", "9(1)(o)"}


@pytest.mark.parametrize(
    ("code", "equivalents"),
    [
        ("8(1)(a)", ["9(1)(d)", "9(1)(e)"]),
        ("8(1)(g)", []),
        ("9(1)(d)", ["8(1)(a)"]),
        ("9(1)(k)", ["8(1)(j)"]),
        ("8(1) (e)", ["9(1)(g)"]),
        ("9(1)(G)", ["8(1)(e)"]),
        ("not a ground", []),
    ],
)
def test_map_ground(code: str, equivalents: list[str]) -> None:
    assert map_ground(code) == equivalents


@pytest.mark.parametrize(
    ("raw", "normalised"), [("8(1) (e)", "8(1)(e)"), ("9(1)(G)", "9(1)(g)"), (" 9 (1)(o) ", "9(1)(o)")]
)
def test_normalise_code(raw: str, normalised: str) -> None:
    assert normalise_code(raw) == normalised


@pytest.mark.parametrize(
    ("on", "source", "version"),
    [
        (date(2006, 9, 1), LegalSource.REGS_2006, "pupil-registration-2006/v1"),
        (BEFORE_2024, LegalSource.REGS_2006, "pupil-registration-2006/v1"),
        (FROM_2024, LegalSource.REGS_2024, "pupil-registration-2024/v1"),
        (date(2026, 11, 3), LegalSource.REGS_2024, "pupil-registration-2024/v1"),
    ],
)
def test_rules_for_picks_the_table_in_force(on: date, source: LegalSource, version: str) -> None:
    rules = rules_for(on)
    assert rules.legal_source is source
    assert rules.version == version
    assert rules.covers(on)
    assert {ground.legal_source for ground in rules.grounds} == {source}


def test_no_rules_before_the_2006_regulations() -> None:
    with pytest.raises(NoRulesInForce, match="2006-09-01"):
        rules_for(date(2006, 8, 31))


def test_rule_tables_do_not_overlap_or_leave_gaps() -> None:
    for earlier, later in pairwise(RULE_TABLES):
        assert earlier.effective_to is not None
        assert (later.effective_from - earlier.effective_to).days == 1
    assert RULE_TABLES[-1].effective_to is None


def test_default_deadlines() -> None:
    rules = rules_for(FROM_2024)
    assert rules.joiner_watch_school_days == 10
    assert rules.cme_enquiry_due_school_days == 20


@pytest.mark.parametrize(
    ("code", "on", "status", "applied"),
    [
        ("8(1)(e)", BEFORE_2024, GroundStatus.IN_FORCE, "8(1)(e)"),
        ("9(1)(g)", FROM_2024, GroundStatus.IN_FORCE, "9(1)(g)"),
        ("8(1)(e)", FROM_2024, GroundStatus.READ_VIA_EQUIVALENT, "9(1)(g)"),
        ("8(1)(a)", FROM_2024, GroundStatus.READ_VIA_EQUIVALENT, "9(1)(d)"),
        ("8(1) (h)", date(2025, 1, 6), GroundStatus.READ_VIA_EQUIVALENT, "9(1)(i)"),
        ("8(1)(g)", BEFORE_2024, GroundStatus.IN_FORCE, "8(1)(g)"),
        ("8(1)(g)", FROM_2024, GroundStatus.NO_LONGER_IN_FORCE, None),
        ("9(1)(g)", BEFORE_2024, GroundStatus.NOT_YET_IN_FORCE, None),
        ("9(1)(z)", FROM_2024, GroundStatus.UNKNOWN, None),
        ("", FROM_2024, GroundStatus.MISSING, None),
        (None, FROM_2024, GroundStatus.MISSING, None),
    ],
)
def test_resolve_ground(code: str | None, on: date, status: GroundStatus, applied: str | None) -> None:
    reading = resolve_ground(code, rules_for(on))
    assert reading.status is status
    assert (reading.ground.code if reading.ground else None) == applied


def test_cnis_register_is_not_commenced_by_default() -> None:
    assert not rules_for(date(2026, 11, 3)).cnis_register_commenced
    assert not rules_for(date(2026, 11, 3), RuleOverrides()).cnis_register_commenced


def test_cnis_register_switched_on_by_override_from_its_commencement_date() -> None:
    overrides = RuleOverrides(cnis_register_commences_on=date(2027, 4, 1))
    before = rules_for(date(2027, 3, 31), overrides)
    on = rules_for(date(2027, 4, 1), overrides)
    assert not before.cnis_register_commenced
    assert before.version == "pupil-registration-2024/v1"
    assert on.cnis_register_commenced
    assert on.version == "pupil-registration-2024/v1;cnis_register_commenced=True"
    assert on.grounds == before.grounds
    assert not RULE_TABLES[-1].cnis_register_commenced


def test_deadline_overrides_change_the_rules_and_their_version() -> None:
    rules = rules_for(FROM_2024, RuleOverrides(joiner_watch_school_days=5, cme_enquiry_due_school_days=15))
    assert rules.joiner_watch_school_days == 5
    assert rules.cme_enquiry_due_school_days == 15
    assert rules.version == ("pupil-registration-2024/v1;joiner_watch_school_days=5;cme_enquiry_due_school_days=15")


def test_an_override_equal_to_the_table_leaves_the_version_alone() -> None:
    assert rules_for(FROM_2024, RuleOverrides(joiner_watch_school_days=10)).version == "pupil-registration-2024/v1"
