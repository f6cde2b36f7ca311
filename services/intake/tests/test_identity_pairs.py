"""A fixed set of tricky record pairs, each with the decision identity resolution must reach.

Every pair compares an incoming referral with one stored record of a known child (``OLIVER``). The
expected outcome is the pairwise ``score_pair`` outcome; the expected decision is what ``resolve``
does when that stored record is the only candidate.
"""

from dataclasses import replace
from datetime import date

import pytest

from services.intake.domain.identity import (
    MATCH_THRESHOLD,
    POSSIBLE_THRESHOLD,
    Decision,
    MatchOutcome,
    PersonRecord,
    blocking_keys,
    resolve,
    score_pair,
)

OLIVER_UPN = "Y881234512001"
SIBLING_UPN = "K881234513077"
NEW_PERMANENT_UPN = "M881234512002"
TEMPORARY_UPN = "J88123451200A"
OLIVER_NHS = "9434765919"

OLIVER = PersonRecord(
    given_name="Oliver",
    family_name="Smith-Jones",
    middle_names="James",
    date_of_birth=date(2014, 3, 7),
    sex="M",
    upn=OLIVER_UPN,
    nhs_number=OLIVER_NHS,
    postcode="CM1 2AB",
    address_line="Flat 2, 10 High Street",
)
# The same child as a referrer without school records would describe him: no identifiers.
OLIVER_NO_IDS = replace(OLIVER, upn=None, nhs_number=None)


def moved(record: PersonRecord) -> PersonRecord:
    return replace(record, postcode="CO4 9ZZ", address_line="7 Mill Lane")


def twin(given: str, sex: str) -> PersonRecord:
    return replace(OLIVER_NO_IDS, given_name=given, middle_names=None, sex=sex)


def sibling(given: str, sex: str, born: date) -> PersonRecord:
    return replace(OLIVER_NO_IDS, given_name=given, middle_names=None, sex=sex, date_of_birth=born)


TRICKY_PAIRS = {
    # Twins and siblings share family name, address and (twins) date of birth.
    "twin brother": (twin("Harry", "M"), MatchOutcome.NO_MATCH, Decision.NEW_CHILD),
    "twin sister with a similar name": (twin("Olivia", "F"), MatchOutcome.NO_MATCH, Decision.NEW_CHILD),
    "younger sister": (sibling("Amelia", "F", date(2016, 9, 1)), MatchOutcome.NO_MATCH, Decision.NEW_CHILD),
    "older brother": (sibling("Jack", "M", date(2012, 1, 20)), MatchOutcome.NO_MATCH, Decision.NEW_CHILD),
    "sibling's UPN on the form": (
        replace(sibling("Amelia", "F", date(2016, 9, 1)), upn=OLIVER_UPN),
        MatchOutcome.POSSIBLE,
        Decision.NEEDS_REVIEW,
    ),
    # Name noise on the same child.
    "nickname, address formatted differently": (
        replace(OLIVER_NO_IDS, given_name="Ollie", address_line="10 High St, Flat 2"),
        MatchOutcome.MATCH,
        Decision.MATCHED_EXISTING,
    ),
    "nickname after a move": (
        moved(replace(OLIVER_NO_IDS, given_name="Ollie")),
        MatchOutcome.MATCH,
        Decision.MATCHED_EXISTING,
    ),
    "given-name typo": (
        replace(OLIVER_NO_IDS, given_name="Oilver"),
        MatchOutcome.MATCH,
        Decision.MATCHED_EXISTING,
    ),
    "family-name typo": (
        replace(OLIVER_NO_IDS, family_name="Smith-Jnoes"),
        MatchOutcome.MATCH,
        Decision.MATCHED_EXISTING,
    ),
    "hyphen dropped": (
        replace(OLIVER_NO_IDS, family_name="SMITH JONES"),
        MatchOutcome.MATCH,
        Decision.MATCHED_EXISTING,
    ),
    "one part of the double-barrelled name": (
        replace(OLIVER_NO_IDS, family_name="Jones"),
        MatchOutcome.MATCH,
        Decision.MATCHED_EXISTING,
    ),
    "given and family names swapped": (
        replace(OLIVER_NO_IDS, given_name="Smith-Jones", family_name="Oliver"),
        MatchOutcome.MATCH,
        Decision.MATCHED_EXISTING,
    ),
    "middle name used as the given name": (
        replace(OLIVER_NO_IDS, given_name="James", middle_names=None),
        MatchOutcome.POSSIBLE,
        Decision.NEEDS_REVIEW,
    ),
    # Date noise.
    "day and month transposed": (
        replace(OLIVER_NO_IDS, date_of_birth=date(2014, 7, 3)),
        MatchOutcome.MATCH,
        Decision.MATCHED_EXISTING,
    ),
    "day and month transposed, nickname and a move": (
        moved(replace(OLIVER_NO_IDS, given_name="Ollie", date_of_birth=date(2014, 7, 3))),
        MatchOutcome.POSSIBLE,
        Decision.NEEDS_REVIEW,
    ),
    "no date of birth, same address": (
        replace(OLIVER_NO_IDS, date_of_birth=None),
        MatchOutcome.MATCH,
        Decision.MATCHED_EXISTING,
    ),
    # Identifiers.
    "new permanent UPN listing the old one as former": (
        moved(replace(OLIVER_NO_IDS, upn=NEW_PERMANENT_UPN, former_upns=(OLIVER_UPN,))),
        MatchOutcome.MATCH,
        Decision.MATCHED_EXISTING,
    ),
    "same NHS number despite a nickname and a move": (
        moved(replace(OLIVER_NO_IDS, given_name="Olly", nhs_number="943 476 5919")),
        MatchOutcome.MATCH,
        Decision.MATCHED_EXISTING,
    ),
    "same UPN but a different birth year and sex": (
        replace(OLIVER, nhs_number=None, date_of_birth=date(2011, 10, 22), sex="F"),
        MatchOutcome.POSSIBLE,
        Decision.NEEDS_REVIEW,
    ),
    "UPN with a wrong check letter is ignored": (
        replace(OLIVER_NO_IDS, upn="A881234512001"),
        MatchOutcome.MATCH,
        Decision.MATCHED_EXISTING,
    ),
    # Addresses and look-alikes.
    "same child at a different address": (
        moved(OLIVER_NO_IDS),
        MatchOutcome.MATCH,
        Decision.MATCHED_EXISTING,
    ),
    "same name, different child born another year": (
        moved(replace(OLIVER_NO_IDS, middle_names=None, date_of_birth=date(2011, 5, 20))),
        MatchOutcome.NO_MATCH,
        Decision.NEW_CHILD,
    ),
    "same name and birthday, both with permanent UPNs that differ": (
        moved(replace(OLIVER_NO_IDS, upn=SIBLING_UPN)),
        MatchOutcome.POSSIBLE,
        Decision.NEEDS_REVIEW,
    ),
}


@pytest.mark.parametrize(("incoming", "outcome", "decision"), TRICKY_PAIRS.values(), ids=TRICKY_PAIRS.keys())
def test_tricky_pair_reaches_expected_outcome_and_decision(
    incoming: PersonRecord, outcome: MatchOutcome, decision: Decision
) -> None:
    scored = score_pair(incoming, OLIVER)
    resolution = resolve(incoming, [("child-oliver", OLIVER)])

    assert scored.outcome is outcome, scored.reasons
    assert resolution.decision is decision
    assert resolution.child_id == ("child-oliver" if decision is Decision.MATCHED_EXISTING else None)


INCOMING = {name: pair[0] for name, pair in TRICKY_PAIRS.items()}
SAME_CHILD = {name: pair[0] for name, pair in TRICKY_PAIRS.items() if pair[1] is not MatchOutcome.NO_MATCH}


@pytest.mark.parametrize("incoming", INCOMING.values(), ids=INCOMING.keys())
def test_score_lies_in_the_band_of_its_outcome(incoming: PersonRecord) -> None:
    scored = score_pair(incoming, OLIVER)

    if scored.outcome is MatchOutcome.MATCH:
        assert MATCH_THRESHOLD <= scored.score <= 1.0
    elif scored.outcome is MatchOutcome.POSSIBLE:
        assert POSSIBLE_THRESHOLD <= scored.score < MATCH_THRESHOLD
    else:
        assert 0.0 <= scored.score < POSSIBLE_THRESHOLD


@pytest.mark.parametrize("incoming", SAME_CHILD.values(), ids=SAME_CHILD.keys())
def test_blocking_finds_the_stored_record_for_every_likely_match(incoming: PersonRecord) -> None:
    assert blocking_keys(incoming) & blocking_keys(OLIVER)


def test_twins_are_told_apart_when_both_are_known() -> None:
    harry = twin("Harry", "M")
    incoming = replace(harry, given_name="HARRY", address_line="10 High St Flat 2")

    resolution = resolve(incoming, [("child-oliver", OLIVER), ("child-harry", harry)])

    assert resolution.decision is Decision.MATCHED_EXISTING
    assert resolution.child_id == "child-harry"


def test_nickname_shared_by_boy_and_girl_twins_goes_to_the_twin_of_the_same_sex() -> None:
    alexander = twin("Alexander", "M")
    alexandra = twin("Alexandra", "F")
    incoming = moved(twin("Alex", "M"))

    resolution = resolve(incoming, [("child-alexander", alexander), ("child-alexandra", alexandra)])

    assert resolution.decision is Decision.MATCHED_EXISTING
    assert resolution.child_id == "child-alexander"
    assert [candidate.child_id for candidate in resolution.alternatives] == ["child-alexandra"]
    assert resolution.alternatives[0].match.outcome is MatchOutcome.POSSIBLE


def test_reasons_are_readable_and_hold_no_personal_details() -> None:
    personal = {
        "oliver",
        "ollie",
        "smith",
        "jones",
        "james",
        "2014",
        "cm1",
        "high street",
        OLIVER_UPN.lower(),
    }
    for incoming in INCOMING.values():
        reasons = score_pair(incoming, OLIVER).reasons

        assert reasons
        assert all(reason[0].isupper() for reason in reasons)
        assert not [reason for reason in reasons for detail in personal if detail in reason.lower()]


def test_reasons_name_the_evidence() -> None:
    transposed = score_pair(replace(OLIVER_NO_IDS, date_of_birth=date(2014, 7, 3)), OLIVER).reasons
    nickname = score_pair(replace(OLIVER_NO_IDS, given_name="Ollie"), OLIVER).reasons
    same_upn = score_pair(OLIVER, OLIVER).reasons

    assert "Date of birth matches with day and month swapped" in transposed
    assert "Given name is a known nickname or spelling variant" in nickname
    assert "Same UPN" in same_upn
