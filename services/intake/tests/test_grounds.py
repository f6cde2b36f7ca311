import re
from datetime import date

import pytest

from services.intake.domain.grounds import (
    DOCUMENT_NAMES,
    REGULATIONS_2024_IN_FORCE,
    Coding,
    DocumentKind,
    all_grounds,
    coding_in_force,
    equivalents_of,
    ground_by_code,
    ground_for,
    grounds_in_force,
    normalise_code,
)

SAO = DocumentKind.SAO_REVOCATION_LETTER
PROFILE = DocumentKind.LEARNER_PROFILE
EHE = DocumentKind.EHE_PARENT_LETTER
CHECKLIST = DocumentKind.DEROLLING_CHECKLIST
MEDICAL = DocumentKind.MEDICAL_CERTIFICATE

# DOMAIN.md "Leaving reasons" and policy App. C; 2024 grounds take the documents of their 2006 equivalent.
REQUIRED_DOCUMENTS = {
    "8(1)(a)": {SAO, PROFILE},
    "8(1)(b)": set(),
    "8(1)(c)": set(),
    "8(1)(d)": {EHE, PROFILE},
    "8(1)(e)": {CHECKLIST, PROFILE},
    "8(1)(f)": {CHECKLIST, PROFILE},
    "8(1)(g)": {PROFILE, MEDICAL},
    "8(1)(h)": {CHECKLIST, PROFILE},
    "8(1)(i)": set(),
    "8(1)(j)": set(),
    "8(1)(k)": set(),
    "8(1)(l)": set(),
    "8(1)(m)": {CHECKLIST, PROFILE},
    "8(1)(n)": set(),
    "8(1)(o)": set(),
    "9(1)(a)": set(),
    "9(1)(b)": set(),
    "9(1)(c)": set(),
    "9(1)(d)": {SAO, PROFILE},
    "9(1)(e)": {SAO, PROFILE},
    "9(1)(f)": {EHE, PROFILE},
    "9(1)(g)": {CHECKLIST, PROFILE},
    "9(1)(h)": {CHECKLIST, PROFILE},
    "9(1)(i)": {CHECKLIST, PROFILE},
    "9(1)(j)": set(),
    "9(1)(k)": set(),
    "9(1)(l)": set(),
    "9(1)(m)": set(),
    "9(1)(n)": set(),
    "9(1)(o)": {CHECKLIST, PROFILE},
}

EQUIVALENTS_2006_TO_2024 = {
    "8(1)(a)": ("9(1)(d)", "9(1)(e)"),
    "8(1)(b)": ("9(1)(a)",),
    "8(1)(c)": ("9(1)(c)",),
    "8(1)(d)": ("9(1)(f)",),
    "8(1)(e)": ("9(1)(g)",),
    "8(1)(f)": ("9(1)(h)",),
    "8(1)(g)": (),
    "8(1)(h)": ("9(1)(i)",),
    "8(1)(i)": ("9(1)(j)",),
    "8(1)(j)": ("9(1)(k)",),
    "8(1)(k)": ("9(1)(l)",),
    "8(1)(l)": ("9(1)(n)",),
    "8(1)(m)": ("9(1)(o)",),
    "8(1)(n)": ("9(1)(b)",),
    "8(1)(o)": ("9(1)(m)",),
}

EQUIVALENTS_2024_TO_2006 = {
    "9(1)(a)": ("8(1)(b)",),
    "9(1)(b)": ("8(1)(n)",),
    "9(1)(c)": ("8(1)(c)",),
    "9(1)(d)": ("8(1)(a)",),
    "9(1)(e)": ("8(1)(a)",),
    "9(1)(f)": ("8(1)(d)",),
    "9(1)(g)": ("8(1)(e)",),
    "9(1)(h)": ("8(1)(f)",),
    "9(1)(i)": ("8(1)(h)",),
    "9(1)(j)": ("8(1)(i)",),
    "9(1)(k)": ("8(1)(j)",),
    "9(1)(l)": ("8(1)(k)",),
    "9(1)(m)": ("8(1)(o)",),
    "9(1)(n)": ("8(1)(l)",),
    "9(1)(o)": ("8(1)(m)",),
}

BEFORE_2024 = date(2024, 8, 18)
FROM_2024 = date(2024, 8, 19)


def test_every_ground_in_both_codings_is_in_the_table() -> None:
    assert {ground.code for ground in all_grounds()} == set(REQUIRED_DOCUMENTS)


@pytest.mark.parametrize(("code", "documents"), sorted(REQUIRED_DOCUMENTS.items()))
def test_each_ground_requires_the_policy_documents(code: str, documents: set[DocumentKind]) -> None:
    ground = ground_by_code(code)

    assert ground is not None
    assert set(ground.required_documents) == documents
    assert len(ground.required_documents) == len(documents)


@pytest.mark.parametrize(("code", "equivalents"), sorted(EQUIVALENTS_2006_TO_2024.items()))
def test_2006_codes_map_to_2024(code: str, equivalents: tuple[str, ...]) -> None:
    ground = ground_by_code(code)

    assert ground is not None
    assert ground.equivalent_codes == equivalents
    assert all(equivalent.coding is Coding.REGS_2024 for equivalent in equivalents_of(ground))


@pytest.mark.parametrize(("code", "equivalents"), sorted(EQUIVALENTS_2024_TO_2006.items()))
def test_2024_codes_map_back_to_2006(code: str, equivalents: tuple[str, ...]) -> None:
    ground = ground_by_code(code)

    assert ground is not None
    assert ground.equivalent_codes == equivalents
    assert all(equivalent.coding is Coding.REGS_2006 for equivalent in equivalents_of(ground))


def test_the_mapping_agrees_in_both_directions() -> None:
    for ground in all_grounds():
        for equivalent in equivalents_of(ground):
            assert ground.code in equivalent.equivalent_codes


def test_only_the_transfer_grounds_need_a_destination_school() -> None:
    needing = {ground.code for ground in all_grounds() if ground.destination_school_required}

    assert needing == {"8(1)(b)", "9(1)(a)"}


def test_only_whereabouts_unknown_grounds_need_joint_enquiries_evidence() -> None:
    needing = {ground.code for ground in all_grounds() if ground.joint_enquiries_required}

    assert needing == {"8(1)(f)", "8(1)(h)", "9(1)(h)", "9(1)(i)"}


def test_each_ground_records_its_legal_source() -> None:
    eight_e = ground_by_code("8(1)(e)")
    nine_g = ground_by_code("9(1)(g)")

    assert eight_e is not None
    assert nine_g is not None
    assert eight_e.legal_source.endswith("(SI 2006/1751), reg 8(1)(e)")
    assert nine_g.legal_source.endswith("(SI 2024/208), reg 9(1)(g)")
    assert all(ground.situation for ground in all_grounds())


def test_the_2024_regulations_start_on_19_august_2024() -> None:
    assert REGULATIONS_2024_IN_FORCE == FROM_2024
    assert coding_in_force(BEFORE_2024) is Coding.REGS_2006
    assert coding_in_force(FROM_2024) is Coding.REGS_2024


def test_a_2024_code_is_not_valid_the_day_before_the_change() -> None:
    assert ground_for("9(1)(g)", BEFORE_2024) is None


def test_a_2024_code_is_valid_from_the_day_of_the_change() -> None:
    ground = ground_for("9(1)(g)", FROM_2024)

    assert ground is not None
    assert ground.code == "9(1)(g)"


def test_a_2006_code_is_valid_before_the_change() -> None:
    ground = ground_for("8(1)(e)", BEFORE_2024)

    assert ground is not None
    assert ground.coding is Coding.REGS_2006


def test_a_2006_code_after_the_change_is_accepted_and_maps_to_its_2024_ground() -> None:
    ground = ground_for("8(1)(e)", FROM_2024)

    assert ground is not None
    assert ground.code == "8(1)(e)"
    assert [equivalent.code for equivalent in equivalents_of(ground)] == ["9(1)(g)"]


def test_the_removed_medical_ground_is_accepted_only_before_the_change() -> None:
    assert ground_for("8(1)(g)", BEFORE_2024) is not None
    assert ground_for("8(1)(g)", FROM_2024) is None


@pytest.mark.parametrize("code", ["8(1)(p)", "8(1)(z)", "9(1)(p)", "10(1)(a)", "9(2)(a)", "", "e"])
def test_codes_that_name_no_ground_are_not_valid(code: str) -> None:
    assert ground_for(code, FROM_2024) is None
    assert ground_for(code, BEFORE_2024) is None


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("9(1)(g)", "9(1)(g)"),
        ("8(1)(e)", "8(1)(e)"),
        ("8(1) (e)", "8(1)(e)"),
        ("9(1)(G)", "9(1)(g)"),
        (" 8 ( 1 ) ( e ) ", "8(1)(e)"),
        ("reg 9(1)(i)", "9(1)(i)"),
        ("Regulation 8(1)(h)", "8(1)(h)"),
    ],
)
def test_normalise_code_accepts_the_ways_schools_write_codes(written: str, canonical: str) -> None:
    assert normalise_code(written) == canonical


@pytest.mark.parametrize("written", ["", "8(1)", "(e)", "8(1)(ee)", "8-1-e", "eight(1)(e)"])
def test_normalise_code_rejects_text_that_is_not_a_code(written: str) -> None:
    assert normalise_code(written) is None


def test_ground_for_accepts_loosely_written_codes() -> None:
    ground = ground_for("9(1) (G)", FROM_2024)

    assert ground is not None
    assert ground.code == "9(1)(g)"


def test_grounds_in_force_lists_the_regulations_of_the_day() -> None:
    before = grounds_in_force(BEFORE_2024)
    after = grounds_in_force(FROM_2024)

    assert [ground.code for ground in before] == [f"8(1)({letter})" for letter in "abcdefghijklmno"]
    assert [ground.code for ground in after] == [f"9(1)({letter})" for letter in "abcdefghijklmno"]


def test_document_kinds_are_lower_snake_case_and_all_have_names() -> None:
    for kind in DocumentKind:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", kind.value)
        assert DOCUMENT_NAMES[kind].startswith("the ")


@pytest.mark.parametrize(("code", "equivalent"), [("8(1)(n)", "9(1)(b)"), ("8(1)(o)", "9(1)(m)")])
def test_the_2006_nursery_and_unpaid_boarding_fees_grounds_are_accepted_either_side_of_the_change(
    code: str, equivalent: str
) -> None:
    # Triage's ground table has both codes; intake must accept what triage can read.
    for on in (BEFORE_2024, FROM_2024):
        ground = ground_for(code, on)
        assert ground is not None
        assert ground.coding is Coding.REGS_2006
        assert ground.required_documents == ()
        assert [other.code for other in equivalents_of(ground)] == [equivalent]
