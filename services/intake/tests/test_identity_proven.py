"""The one automatic merge: an exact permanent UPN proving two kept-apart records are one child."""

from dataclasses import replace
from datetime import date

from services.intake.domain.identity import Decision, PersonRecord, normalise, resolve
from services.intake.domain.identity.proven import proven_same_child

PERMANENT_UPN = "Y881234512001"
CHILD = PersonRecord(
    given_name="Isla",
    family_name="Turner",
    date_of_birth=date(2016, 10, 31),
    sex="F",
    postcode="CM15 7SD",
    address_line="42 Princes Way",
    upn=PERMANENT_UPN,
)
# The same UPN with the date of birth and the sex both recorded differently: intake kept it apart for an officer.
MISTYPED = replace(CHILD, date_of_birth=date(2014, 3, 2), sex="M")
# Agrees with each stored record but for one detail, and carries the UPN both hold.
BRIDGING = replace(CHILD, sex="M")


def test_the_two_records_were_kept_apart_to_begin_with() -> None:
    assert resolve(MISTYPED, [("child-a", CHILD)]).decision is Decision.NEEDS_REVIEW


def test_a_record_matching_both_under_their_shared_permanent_upn_proves_them_one_child() -> None:
    assert proven_same_child(BRIDGING, [("child-b", MISTYPED), ("child-a", CHILD)]) == ("child-a", "child-b")


def test_one_child_is_nothing_to_merge() -> None:
    assert proven_same_child(CHILD, [("child-a", CHILD), ("child-a", replace(CHILD, postcode="CO3 1JX"))]) == ()


def test_a_record_that_matches_only_one_of_them_proves_nothing() -> None:
    assert proven_same_child(CHILD, [("child-a", CHILD), ("child-b", MISTYPED)]) == ()


def test_a_temporary_upn_proves_nothing() -> None:
    assert normalise(replace(CHILD, upn="J88123451200A")).upn == "J88123451200A"
    temporary = "J88123451200A"  # a valid check letter: only its temporariness stops it
    records = [("child-a", replace(CHILD, upn=temporary)), ("child-b", replace(MISTYPED, upn=temporary))]

    assert proven_same_child(replace(BRIDGING, upn=temporary), records) == ()


def test_a_upn_held_only_as_a_former_upn_proves_nothing() -> None:
    moved_on = replace(MISTYPED, upn=None, former_upns=(PERMANENT_UPN,))

    assert proven_same_child(BRIDGING, [("child-a", CHILD), ("child-b", moved_on)]) == ()


def test_without_a_upn_nothing_is_proven() -> None:
    assert proven_same_child(replace(BRIDGING, upn=None), [("child-a", CHILD), ("child-b", MISTYPED)]) == ()
