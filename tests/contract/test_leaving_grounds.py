"""The leaving grounds are the law once: intake's and triage's tables agree with the shared table and each other.

`contracts.reference.leaving_grounds` holds the facts that are the law (codes per coding, legal source, the
2006 <-> 2024 equivalences, joint enquiries, destination school, whereabouts unknown). Intake and triage
each build their own table from it; these tests fail if either table drifts from it or from the other.
"""

import subprocess
import sys
from datetime import date, timedelta
from string import ascii_lowercase

import pytest

from contracts.reference import leaving_grounds as law
from services.intake.domain import grounds as intake
from services.triage.domain import rules as triage

INTAKE = {ground.code: ground for ground in intake.all_grounds()}
TRIAGE = {ground.code: ground for ground in triage.GROUNDS_2006 + triage.GROUNDS_2024}
SHARED_CODES = sorted(law.GROUNDS_BY_CODE)


def codes(grounds: tuple[law.StatutoryGround, ...]) -> list[str]:
    return [ground.code for ground in grounds]


# --- The shared table ------------------------------------------------------------------------------------


def test_the_shared_table_holds_reg_8_1_a_to_o_and_reg_9_1_a_to_o_in_legal_order() -> None:
    assert codes(law.GROUNDS_2006) == [f"8(1)({letter})" for letter in ascii_lowercase[:15]]
    assert codes(law.GROUNDS_2024) == [f"9(1)({letter})" for letter in ascii_lowercase[:15]]
    assert law.grounds_of(law.Regulations.REGS_2006) == law.GROUNDS_2006
    assert law.grounds_of(law.Regulations.REGS_2024) == law.GROUNDS_2024
    assert {ground.regulations for ground in law.GROUNDS_2006} == {law.Regulations.REGS_2006}
    assert {ground.regulations for ground in law.GROUNDS_2024} == {law.Regulations.REGS_2024}
    assert len(law.GROUNDS_BY_CODE) == len(law.ALL_GROUNDS) == 30


@pytest.mark.parametrize("code", SHARED_CODES)
def test_shared_equivalences_point_into_the_other_coding_and_back(code: str) -> None:
    ground = law.GROUNDS_BY_CODE[code]
    for equivalent in map(law.GROUNDS_BY_CODE.__getitem__, ground.equivalents):
        assert equivalent.regulations is not ground.regulations
        assert code in equivalent.equivalents


def test_shared_equivalences_are_the_reviewed_mapping() -> None:
    mapping = {ground.code: ground.equivalents for ground in law.GROUNDS_2006 if ground.equivalents}
    assert mapping == {
        "8(1)(a)": ("9(1)(d)", "9(1)(e)"),
        "8(1)(b)": ("9(1)(a)",),
        "8(1)(c)": ("9(1)(c)",),
        "8(1)(d)": ("9(1)(f)",),
        "8(1)(e)": ("9(1)(g)",),
        "8(1)(f)": ("9(1)(h)",),
        "8(1)(h)": ("9(1)(i)",),
        "8(1)(i)": ("9(1)(j)",),
        "8(1)(j)": ("9(1)(k)",),
        "8(1)(k)": ("9(1)(l)",),
        "8(1)(l)": ("9(1)(n)",),
        "8(1)(m)": ("9(1)(o)",),
        "8(1)(n)": ("9(1)(b)",),
        "8(1)(o)": ("9(1)(m)",),
    }
    assert all(ground.equivalents for ground in law.GROUNDS_2024)


def test_shared_flags() -> None:
    def having(flag: str) -> set[str]:
        return {ground.code for ground in law.ALL_GROUNDS if getattr(ground, flag)}

    assert having("joint_enquiries_required") == {"8(1)(f)", "8(1)(h)", "9(1)(h)", "9(1)(i)"}
    assert having("whereabouts_unknown") == {"8(1)(f)", "8(1)(h)", "9(1)(h)", "9(1)(i)"}
    assert having("destination_school_required") == {"8(1)(b)", "9(1)(a)"}
    assert all(ground.description for ground in law.ALL_GROUNDS)


def test_the_shared_table_pulls_in_no_framework() -> None:
    # Both services' pure domain layers read it: importing it must not import pydantic (or anything else).
    script = (
        "import sys, contracts.reference.leaving_grounds; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'pydantic', 'services', 'cme_runtime'}))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# --- Each service against the shared table -----------------------------------------------------------------


def test_intake_and_triage_have_exactly_the_shared_codes_per_coding() -> None:
    last_day_of_2006_regs = law.REGULATIONS_2024_IN_FORCE - timedelta(days=1)
    assert codes(law.GROUNDS_2006) == [ground.code for ground in intake.grounds_in_force(last_day_of_2006_regs)]
    assert codes(law.GROUNDS_2024) == [ground.code for ground in intake.grounds_in_force(law.REGULATIONS_2024_IN_FORCE)]
    assert set(INTAKE) == set(law.GROUNDS_BY_CODE)
    assert codes(law.GROUNDS_2006) == [ground.code for ground in triage.GROUNDS_2006]
    assert codes(law.GROUNDS_2024) == [ground.code for ground in triage.GROUNDS_2024]
    for table in triage.RULE_TABLES:
        assert [ground.code for ground in table.grounds] == codes(law.grounds_of(table.legal_source))


def test_both_services_start_the_2024_regulations_on_the_shared_date() -> None:
    assert intake.REGULATIONS_2024_IN_FORCE == law.REGULATIONS_2024_IN_FORCE
    assert triage.REGS_2024_COMMENCED == law.REGULATIONS_2024_IN_FORCE
    assert triage.rules_for(law.REGULATIONS_2024_IN_FORCE).legal_source is law.Regulations.REGS_2024
    assert triage.RULE_TABLES[0].effective_from == law.REGULATIONS_2006_IN_FORCE


@pytest.mark.parametrize("code", SHARED_CODES)
def test_intake_reads_the_shared_facts(code: str) -> None:
    shared, ground = law.GROUNDS_BY_CODE[code], INTAKE[code]
    assert ground.coding is shared.regulations
    assert ground.legal_source == shared.citation
    assert ground.equivalent_codes == shared.equivalents
    assert [other.code for other in intake.equivalents_of(ground)] == list(shared.equivalents)
    assert ground.joint_enquiries_required is shared.joint_enquiries_required
    assert ground.destination_school_required is shared.destination_school_required


@pytest.mark.parametrize("code", SHARED_CODES)
def test_triage_reads_the_shared_facts(code: str) -> None:
    shared, ground = law.GROUNDS_BY_CODE[code], TRIAGE[code]
    assert ground.legal_source is shared.regulations
    assert ground.situation.startswith(shared.description)
    assert ground.equivalents == shared.equivalents
    assert triage.map_ground(code) == list(shared.equivalents)
    assert ground.whereabouts_unknown is shared.whereabouts_unknown
    assert ground.joint_enquiries_required is shared.joint_enquiries_required
    assert ground.needs_destination_school is shared.destination_school_required


# --- The two services against each other ---------------------------------------------------------------------


@pytest.mark.parametrize("code", SHARED_CODES)
def test_intake_and_triage_agree_on_every_shared_fact(code: str) -> None:
    accepted, triaged = INTAKE[code], TRIAGE[code]
    assert accepted.coding is triaged.legal_source
    assert accepted.equivalent_codes == triaged.equivalents
    assert accepted.joint_enquiries_required is triaged.joint_enquiries_required
    assert accepted.destination_school_required is triaged.needs_destination_school


def test_intake_and_triage_agree_on_the_mapping_both_ways() -> None:
    intake_pairs = {(ground.code, other) for ground in INTAKE.values() for other in ground.equivalent_codes}
    triage_pairs = {(ground.code, other) for ground in TRIAGE.values() for other in ground.equivalents}
    assert intake_pairs == triage_pairs
    assert intake_pairs == {(other, code) for code, other in intake_pairs}


@pytest.mark.parametrize("code", SHARED_CODES)
@pytest.mark.parametrize(
    "on",
    [
        law.REGULATIONS_2006_IN_FORCE,
        law.REGULATIONS_2024_IN_FORCE - timedelta(days=1),
        law.REGULATIONS_2024_IN_FORCE,
        date(2026, 11, 3),
    ],
)
def test_intake_accepts_a_code_exactly_when_triage_can_read_it(code: str, on: date) -> None:
    accepted = intake.ground_for(code, on) is not None
    readable = triage.resolve_ground(code, triage.rules_for(on)).ground is not None
    assert accepted is readable
