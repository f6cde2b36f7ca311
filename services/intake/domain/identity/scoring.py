"""Pairwise scoring: is an incoming record about the same child as a stored one?

Each field comparison adds a weight in bits (log2 of how much likelier that agreement level is for
the same child than for two different children, Fellegi-Sunter style). The total, plus a prior, gives
``score`` as a probability. Two kinds of rule then override the sum, because the sum alone gets them
wrong:

* A shared valid UPN (current or former) or NHS number is a MATCH, unless something contradicts it
  hard: two of date of birth, sex and given name clearly differ, or a second identifier conflicts.
  Then it is POSSIBLE, for an officer, since a sibling's UPN typed onto the wrong form looks
  exactly like that. One disagreement alone does not outweigh the identifier: children do go by
  names no nickname table knows.
* Without a shared identifier, clearly different given names mean NO_MATCH however much else
  agrees, and given names that agree only loosely (a weak similarity, an initial, a middle name,
  or anything short of identical when the sex differs) cap the outcome at POSSIBLE. Twins share
  family name, date of birth and address and siblings most of that; the given name is what
  separates them.

Reasons are written for an officer and hold no names, dates or identifiers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from rapidfuzz.distance import OSA, JaroWinkler

from .identifiers import is_temporary_upn
from .names import (
    NameAgreement,
    compare_family_names,
    compare_given_names,
    compare_swapped_names,
)
from .normalise import normalise
from .records import NormalisedRecord, PersonRecord


class MatchOutcome(StrEnum):
    MATCH = "match"
    POSSIBLE = "possible"
    NO_MATCH = "no_match"


@dataclass(frozen=True, slots=True)
class MatchScore:
    """``score`` is the probability (0..1) that both records are the same child.

    ``shared_identifier`` is True when a valid UPN (current or former) or NHS number is on both.
    """

    score: float
    outcome: MatchOutcome
    reasons: tuple[str, ...]
    shared_identifier: bool = False


class DateAgreement(StrEnum):
    EXACT = "exact"
    TRANSPOSED = "transposed"
    NEAR = "near"
    MISSING = "missing"
    DIFFERENT = "different"


class AddressAgreement(StrEnum):
    SAME_ADDRESS = "same address"
    SAME_LINE_NO_POSTCODE = "same line, postcode missing"
    SAME_POSTCODE = "same postcode"
    SAME_SECTOR = "same sector"
    SAME_DISTRICT = "same district"
    MISSING = "missing"
    DIFFERENT = "different"


class SexAgreement(StrEnum):
    SAME = "same"
    MISSING = "missing"
    DIFFERENT = "different"


# Weights in bits: roughly log2(m / u), where m is how often two records of one child agree at that
# level and u how often records of two different children do.
_GIVEN_WEIGHTS = {
    NameAgreement.EXACT: 6.0,
    NameAgreement.VARIANT: 5.0,
    NameAgreement.PART: 4.0,
    NameAgreement.MIDDLE: 0.5,
    NameAgreement.CLOSE: 3.0,
    NameAgreement.WEAK: 0.0,
    NameAgreement.INITIAL: 1.0,
    NameAgreement.MISSING: 0.0,
    # On its own a different given name would be worth about -7 bits, but the records it has to
    # separate are twins and siblings, which agree on everything else; -16 puts twins well below
    # POSSIBLE by weight, and the veto rule (module doc) makes that certain.
    NameAgreement.DIFFERENT: -16.0,
}
_FAMILY_WEIGHTS = {
    NameAgreement.EXACT: 6.0,
    NameAgreement.PART: 4.5,
    NameAgreement.CLOSE: 3.5,
    NameAgreement.WEAK: 0.0,
    NameAgreement.MISSING: 0.0,
    # Family names change (a parent remarries, a child takes the other parent's name) far more often
    # than given names, so disagreement costs less.
    NameAgreement.DIFFERENT: -4.0,
}
_SWAPPED_NAMES_WEIGHT = 10.0
_DATE_WEIGHTS = {
    DateAgreement.EXACT: 10.0,
    DateAgreement.TRANSPOSED: 5.5,
    DateAgreement.NEAR: 1.5,
    DateAgreement.MISSING: 0.0,
    DateAgreement.DIFFERENT: -10.0,
}
_SEX_WEIGHTS = {SexAgreement.SAME: 0.5, SexAgreement.MISSING: 0.0, SexAgreement.DIFFERENT: -4.0}
# The same address is strong evidence once the given-name rules have set apart the twins and
# siblings who share it; a different one is barely evidence against, because families move.
_ADDRESS_WEIGHTS = {
    AddressAgreement.SAME_ADDRESS: 6.0,
    AddressAgreement.SAME_LINE_NO_POSTCODE: 3.0,
    AddressAgreement.SAME_POSTCODE: 3.0,
    AddressAgreement.SAME_SECTOR: 1.0,
    AddressAgreement.SAME_DISTRICT: 0.5,
    AddressAgreement.MISSING: 0.0,
    AddressAgreement.DIFFERENT: -0.5,
}
_SHARED_IDENTIFIER_WEIGHT = 20.0
_CONFLICTING_UPN_WEIGHT = -8.0
_CONFLICTING_NHS_WEIGHT = -10.0
# log2 prior odds that two records are the same child before any field is compared, which turns
# the summed weights into ``score``. -12 is about one child in 4,000 (a county's CME register).
PRIOR_LOG2_ODDS = -12.0


def _probability(weight: float) -> float:
    return 1.0 / (1.0 + math.exp2(-(weight + PRIOR_LOG2_ODDS)))


# Outcomes are decided on the summed weight; MATCH_THRESHOLD (0.97) and POSSIBLE_THRESHOLD (0.5) are
# the same points as scores. 17 bits needs more than the full name alone: name and date of birth
# (22), name and a day/month-swapped date (17.5), or name and the same address without a date
# (18.5) are MATCH; name and a one-digit date typo at a new address (13), or name alone in the same
# district (12.5) are POSSIBLE. On the benchmark (docs/identity-matching.md) 16 bits gained under
# 0.004 recall at the same precision, by accepting matches that rest on one weak date agreement; a
# wrong merge costs a child more than a missed one, so 17 keeps that margin. 18 lost up to 0.005
# recall and sent more referrals to review.
MATCH_WEIGHT = 17.0
POSSIBLE_WEIGHT = 12.0
MATCH_THRESHOLD = _probability(MATCH_WEIGHT)
POSSIBLE_THRESHOLD = _probability(POSSIBLE_WEIGHT)
_SIMILAR_STREET = 0.9

_GIVEN_REASONS = {
    NameAgreement.EXACT: "Given name matches",
    NameAgreement.VARIANT: "Given name is a known nickname or spelling variant",
    NameAgreement.PART: "Given name matches the first part of a double given name",
    NameAgreement.MIDDLE: "Given name on one record is a middle name on the other",
    NameAgreement.CLOSE: "Given name is a close spelling match (likely a typo)",
    NameAgreement.WEAK: "Given names are only loosely similar",
    NameAgreement.INITIAL: "Only an initial is given and it matches",
    NameAgreement.MISSING: "Given name is missing on one record",
    NameAgreement.DIFFERENT: "Given names differ",
}
_FAMILY_REASONS = {
    NameAgreement.EXACT: "Family name matches",
    NameAgreement.PART: "Family name shares one part of a double-barrelled name",
    NameAgreement.CLOSE: "Family name is a close spelling match (likely a typo)",
    NameAgreement.WEAK: "Family names are only loosely similar",
    NameAgreement.MISSING: "Family name is missing on one record",
    NameAgreement.DIFFERENT: "Family names differ",
}
_DATE_REASONS = {
    DateAgreement.EXACT: "Date of birth matches",
    DateAgreement.TRANSPOSED: "Date of birth matches with day and month swapped",
    DateAgreement.NEAR: "Date of birth differs by one day, one digit or two adjacent digits (likely a typo)",
    DateAgreement.MISSING: "Date of birth is missing on one record",
    DateAgreement.DIFFERENT: "Dates of birth differ",
}
_SEX_REASONS = {SexAgreement.SAME: "Sex matches", SexAgreement.DIFFERENT: "Sex differs"}
_ADDRESS_REASONS = {
    AddressAgreement.SAME_ADDRESS: "Same address",
    AddressAgreement.SAME_LINE_NO_POSTCODE: "Same first line of address (postcode missing on one record)",
    AddressAgreement.SAME_POSTCODE: "Same postcode, different first line of address",
    AddressAgreement.SAME_SECTOR: "Addresses are in the same postcode sector",
    AddressAgreement.SAME_DISTRICT: "Addresses are in the same postal district",
    AddressAgreement.DIFFERENT: "Addresses differ (the family may have moved)",
}
_TWIN_REASON = (
    "Same date of birth and family name at the same address but a different given name: "
    "treated as a different child, for example a twin"
)
_DIFFERENT_GIVEN_REASON = "Given names differ, so treated as a different child (for example a sibling)"
# Given-name agreements too weak to tell a child from a twin ("Oliver"/"Olivia", "J"/"James", a
# middle name): without a shared identifier they can reach POSSIBLE but never MATCH.
_GIVEN_NAMES_TWINS_COULD_SHARE = {
    NameAgreement.WEAK: "The given names are only loosely similar, as twins' names can be: an officer should check",
    NameAgreement.INITIAL: "Only an initial links the given names: an officer should check",
    NameAgreement.MIDDLE: (
        "The given names agree only through a middle name, which twins and siblings can share: an officer should check"
    ),
}
# "Alex" could be either of the twins Alexander and Alexandra.
_SEX_DIFFERS_REASON = "Sex differs and the given names are not identical: an officer should check"
_CONTRADICTED_REASON = "A shared identifier is contradicted by other details: an officer should check"


def compare_dates(first: date | None, second: date | None) -> DateAgreement:
    if first is None or second is None:
        return DateAgreement.MISSING
    if first == second:
        return DateAgreement.EXACT
    if (first.year, first.month, first.day) == (second.year, second.day, second.month):
        return DateAgreement.TRANSPOSED
    first_digits, second_digits = first.strftime("%Y%m%d"), second.strftime("%Y%m%d")
    if abs((first - second).days) == 1 or OSA.distance(first_digits, second_digits, score_cutoff=1) <= 1:
        return DateAgreement.NEAR
    return DateAgreement.DIFFERENT


def compare_sexes(first: str | None, second: str | None) -> SexAgreement:
    if first is None or second is None:
        return SexAgreement.MISSING
    return SexAgreement.SAME if first == second else SexAgreement.DIFFERENT


def _same_address_line(first: str, second: str) -> bool:
    if first == second:
        return True
    first_number, first_street, first_unit = first.split("|")
    second_number, second_street, second_unit = second.split("|")
    return (
        first_number == second_number
        and first_unit == second_unit
        and JaroWinkler.similarity(first_street, second_street) >= _SIMILAR_STREET
    )


def compare_addresses(first: NormalisedRecord, second: NormalisedRecord) -> AddressAgreement:
    same_line = (
        first.address_key is not None
        and second.address_key is not None
        and _same_address_line(first.address_key, second.address_key)
    )
    if first.postcode is None or second.postcode is None:
        if same_line:
            return AddressAgreement.SAME_LINE_NO_POSTCODE
        return AddressAgreement.MISSING
    if first.postcode == second.postcode:
        return AddressAgreement.SAME_ADDRESS if same_line else AddressAgreement.SAME_POSTCODE
    if first.postcode_sector == second.postcode_sector:
        return AddressAgreement.SAME_SECTOR
    if first.postcode_outward == second.postcode_outward:
        return AddressAgreement.SAME_DISTRICT
    return AddressAgreement.DIFFERENT


@dataclass(slots=True)
class _Evidence:
    weight: float = 0.0
    shared_identifier: bool = False
    conflicting_identifier: bool = False
    reasons: list[str] = field(default_factory=list)

    def add(self, weight: float, reason: str | None) -> None:
        self.weight += weight
        if reason is not None:
            self.reasons.append(reason)


def _weigh_identifiers(incoming: NormalisedRecord, known: NormalisedRecord, evidence: _Evidence) -> None:
    if incoming.all_upns & known.all_upns:
        evidence.shared_identifier = True
        same_current = incoming.upn is not None and incoming.upn == known.upn
        evidence.add(_SHARED_IDENTIFIER_WEIGHT, "Same UPN" if same_current else "UPN matches a former UPN")
    elif (
        incoming.upn is not None
        and known.upn is not None
        and not is_temporary_upn(incoming.upn)
        and not is_temporary_upn(known.upn)
    ):
        evidence.conflicting_identifier = True
        evidence.add(_CONFLICTING_UPN_WEIGHT, "Both records have a permanent UPN and they differ")
    if incoming.nhs_number is not None and known.nhs_number is not None:
        if incoming.nhs_number == known.nhs_number:
            evidence.shared_identifier = True
            evidence.add(_SHARED_IDENTIFIER_WEIGHT, "Same NHS number")
        else:
            evidence.conflicting_identifier = True
            evidence.add(_CONFLICTING_NHS_WEIGHT, "NHS numbers differ")


def _weigh_names(
    incoming: NormalisedRecord, known: NormalisedRecord, sexes: SexAgreement, evidence: _Evidence
) -> NameAgreement:
    """Add name evidence and return the given-name agreement the veto rule should use."""
    given = compare_given_names(incoming, known)
    family = compare_family_names(incoming, known)
    weak_levels = (NameAgreement.WEAK, NameAgreement.DIFFERENT)
    if (given in weak_levels or family in weak_levels) and compare_swapped_names(incoming, known):
        evidence.add(_SWAPPED_NAMES_WEIGHT, "Given and family names appear to be swapped")
        return NameAgreement.EXACT
    if sexes is SexAgreement.DIFFERENT and given in (NameAgreement.CLOSE, NameAgreement.WEAK):
        # "Alexander" and "Alexandra" born the same day are twins, not one child with a typo.
        given = NameAgreement.DIFFERENT
    evidence.add(_GIVEN_WEIGHTS[given], _GIVEN_REASONS[given])
    evidence.add(_FAMILY_WEIGHTS[family], _FAMILY_REASONS[family])
    return given


def _in_band(score: float, outcome: MatchOutcome) -> float:
    """Keep a rule-decided score inside its outcome's band so score and outcome never disagree."""
    if outcome is MatchOutcome.MATCH:
        return max(score, MATCH_THRESHOLD)
    if outcome is MatchOutcome.POSSIBLE:
        return min(max(score, POSSIBLE_THRESHOLD), math.nextafter(MATCH_THRESHOLD, 0.0))
    return min(score, math.nextafter(POSSIBLE_THRESHOLD, 0.0))


def _outcome_from_weight(weight: float) -> MatchOutcome:
    if weight >= MATCH_WEIGHT:
        return MatchOutcome.MATCH
    if weight >= POSSIBLE_WEIGHT:
        return MatchOutcome.POSSIBLE
    return MatchOutcome.NO_MATCH


def score_pair(incoming: PersonRecord, known: PersonRecord) -> MatchScore:
    """Score how likely ``incoming`` and ``known`` describe the same child, with reasons."""
    first, second = normalise(incoming), normalise(known)
    evidence = _Evidence()
    _weigh_identifiers(first, second, evidence)
    sexes = compare_sexes(first.sex, second.sex)
    given = _weigh_names(first, second, sexes, evidence)
    dates = compare_dates(first.date_of_birth, second.date_of_birth)
    evidence.add(_DATE_WEIGHTS[dates], _DATE_REASONS[dates])
    evidence.add(_SEX_WEIGHTS[sexes], _SEX_REASONS.get(sexes))
    addresses = compare_addresses(first, second)
    evidence.add(_ADDRESS_WEIGHTS[addresses], _ADDRESS_REASONS.get(addresses))

    score = _probability(evidence.weight)
    if evidence.shared_identifier:
        hard_disagreements = (
            dates is DateAgreement.DIFFERENT,
            sexes is SexAgreement.DIFFERENT,
            given is NameAgreement.DIFFERENT,
        )
        contradicted = evidence.conflicting_identifier or sum(hard_disagreements) >= 2
        outcome = MatchOutcome.POSSIBLE if contradicted else MatchOutcome.MATCH
        if contradicted:
            evidence.add(0.0, _CONTRADICTED_REASON)
    elif given is NameAgreement.DIFFERENT:
        outcome = MatchOutcome.NO_MATCH
        twins = dates is DateAgreement.EXACT and addresses is AddressAgreement.SAME_ADDRESS
        evidence.add(0.0, _TWIN_REASON if twins else _DIFFERENT_GIVEN_REASON)
    else:
        outcome = _outcome_from_weight(evidence.weight)
        cap_reason = _GIVEN_NAMES_TWINS_COULD_SHARE.get(given)
        if cap_reason is None and sexes is SexAgreement.DIFFERENT and given is not NameAgreement.EXACT:
            cap_reason = _SEX_DIFFERS_REASON
        if cap_reason is not None and outcome is MatchOutcome.MATCH:
            outcome = MatchOutcome.POSSIBLE
            evidence.add(0.0, cap_reason)
    return MatchScore(
        score=_in_band(score, outcome),
        outcome=outcome,
        reasons=tuple(evidence.reasons),
        shared_identifier=evidence.shared_identifier,
    )
