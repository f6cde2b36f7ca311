"""Enums the services' domains share with the event contracts: reused where the meaning is the same, else guarded.

Triage decides in the contracts' vocabulary, so its domain uses the contract enums themselves; the tests here
keep it that way. Intake and casework keep domain copies (intake's coding is the shared reference table's;
casework's `Track` is deliberately a subset and its `Priority` carries an urgency rank), so each copy is held
to the contract: same members, same values.
"""

from enum import Enum

import pytest

from contracts.events import case_v1, common_v1, referral_v1, review_v1, triage_v1
from contracts.reference import leaving_grounds
from services.casework.domain import vocabulary as casework
from services.intake.domain import grounds as intake_grounds
from services.review.domain import risk as review_risk
from services.triage.domain import decision as triage_decision
from services.triage.domain import rules as triage_rules
from services.triage.domain import vulnerability as triage_vulnerability


def members(enum: type[Enum]) -> dict[str, object]:
    return {member.name: member.value for member in enum}


def values(enum: type[Enum]) -> set[object]:
    return {member.value for member in enum}


@pytest.mark.parametrize(
    ("domain", "contract"),
    [
        (triage_rules.Track, triage_v1.Track),
        (triage_decision.Priority, triage_v1.Priority),
        (triage_decision.ReferralKind, referral_v1.ReferralKind),
        (triage_vulnerability.Vulnerability, common_v1.Vulnerability),
    ],
    ids=lambda enum: f"{enum.__module__}.{enum.__qualname__}",
)
def test_triage_uses_the_contract_enums_themselves(domain: type[Enum], contract: type[Enum]) -> None:
    assert domain is contract


def test_both_services_code_grounds_by_the_shared_regulations_enum() -> None:
    assert intake_grounds.Coding is leaving_grounds.Regulations
    assert triage_rules.LegalSource is leaving_grounds.Regulations


@pytest.mark.parametrize(
    ("domain", "contract"),
    [
        (leaving_grounds.Regulations, referral_v1.LegalSource),
        (intake_grounds.DocumentKind, common_v1.DocumentKind),
        (casework.Priority, triage_v1.Priority),
        (casework.RiskBand, review_v1.RiskBand),
        (review_risk.RiskBand, review_v1.RiskBand),
    ],
    ids=lambda enum: f"{enum.__module__}.{enum.__qualname__}",
)
def test_domain_copy_matches_the_contract_both_ways(domain: type[Enum], contract: type[Enum]) -> None:
    assert members(domain) == members(contract)


def test_casework_tracks_are_triage_tracks() -> None:
    # Only the tracks worked as a CME case: a subset of the contract's, with the same names and values.
    contract = members(triage_v1.Track)
    assert {name: contract.get(name) for name in members(casework.Track)} == members(casework.Track)


def test_casework_escalation_kinds_are_the_contracts() -> None:
    # Casework's member names are shorter (FAP, not FAIR_ACCESS_PROTOCOL); the values are what travel.
    assert values(casework.EscalationKind) == values(case_v1.EscalationKind)
