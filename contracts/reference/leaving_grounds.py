"""Leaving grounds as the law states them: the one table intake and triage both read.

A school may delete a pupil from its admission register only on a ground in reg 8(1) of the Education (Pupil
Registration) (England) Regulations 2006 or, from 19 August 2024, reg 9(1) of the School Attendance (Pupil
Registration) (England) Regulations 2024 (DOMAIN.md, "Leaving reasons"). This module holds only the facts
that are the law: the codes in each coding, the regulations they come from, the short statutory description,
the 2006 <-> 2024 equivalences, and what each ground itself requires (whereabouts unknown after joint school
and LA enquiries; a destination school). Each service keeps its own reading on top: intake the documents,
the dates a code is accepted and the school-facing wording; triage the track and its CME flags.

The equivalences are stated once, on the 2006 rows; the 2024 -> 2006 direction is derived from them so the
two directions cannot disagree. 8(1)(i), (j), (n) and (o) are not in the county policy's list but are in the
regulations (sub-paragraph (o) was inserted by SI 2011/1625), and schools' forms may still send them; their
2024 equivalents follow domain-anchors §1.2. 8(1)(g) has no 2024 successor.

Pure reference data: standard library only, so importing it pulls in no framework (the services' domain
layers read it).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType


class Regulations(StrEnum):
    """Which regulations a ground code comes from (values match the referral contract's `LegalSource`)."""

    REGS_2006 = "2006"
    """Education (Pupil Registration) (England) Regulations 2006, reg 8(1)."""
    REGS_2024 = "2024"
    """School Attendance (Pupil Registration) (England) Regulations 2024, reg 9(1); in force 19 Aug 2024."""


INSTRUMENTS: Mapping[Regulations, str] = MappingProxyType(
    {
        Regulations.REGS_2006: "Education (Pupil Registration) (England) Regulations 2006 (SI 2006/1751)",
        Regulations.REGS_2024: "School Attendance (Pupil Registration) (England) Regulations 2024 (SI 2024/208)",
    }
)

REGULATIONS_2006_IN_FORCE = date(2006, 9, 1)
REGULATIONS_2024_IN_FORCE = date(2024, 8, 19)
"""The 2024 regulations replace the 2006 ones from this day; the 2006 ones were in force until the day before."""


@dataclass(frozen=True)
class StatutoryGround:
    """One deletion ground as the regulations state it.

    `equivalents` are the same ground in the other coding, in legal order (8(1)(a) has two: 9(1)(d) and
    9(1)(e)). `joint_enquiries_required`: the school and the LA must both have made reasonable enquiries
    before deleting. `destination_school_required`: the ground holds only when the pupil is registered at a
    named school.
    """

    code: str
    regulations: Regulations
    description: str
    equivalents: tuple[str, ...] = ()
    whereabouts_unknown: bool = False
    joint_enquiries_required: bool = False
    destination_school_required: bool = False

    @property
    def citation(self) -> str:
        """The instrument and regulation, e.g. "... Regulations 2024 (SI 2024/208), reg 9(1)(g)"."""
        return f"{INSTRUMENTS[self.regulations]}, reg {self.code}"


@dataclass(frozen=True)
class _Row:
    letter: str
    description: str
    to_2024: tuple[str, ...] = ()
    whereabouts_unknown: bool = False
    joint_enquiries_required: bool = False
    destination_school_required: bool = False


_ROWS_2006 = (
    _Row("a", "school attendance order changed to name another school, or revoked", to_2024=("d", "e")),
    _Row("b", "registered at another school", to_2024=("a",), destination_school_required=True),
    _Row("c", "dual registration ended with the other school's consent", to_2024=("c",)),
    _Row("d", "parent has notified in writing that the child will be home educated", to_2024=("f",)),
    _Row("e", "moved away, no school or school unknown, or moving abroad", to_2024=("g",)),
    _Row(
        "f",
        "not back after agreed leave, whereabouts unknown after joint enquiries",
        to_2024=("h",),
        whereabouts_unknown=True,
        joint_enquiries_required=True,
    ),
    _Row("g", "medically certified unfit to attend before compulsory school age ends"),
    _Row(
        "h",
        "20 school days' unauthorised absence, whereabouts unknown after joint enquiries",
        to_2024=("i",),
        whereabouts_unknown=True,
        joint_enquiries_required=True,
    ),
    _Row("i", "detained under a court order of 4 months or more, not expected back", to_2024=("j",)),
    _Row("j", "died", to_2024=("k",)),
    _Row("k", "leaving at the end of Year 11 or ceasing to be of compulsory school age", to_2024=("l",)),
    _Row("l", "left an independent school", to_2024=("n",)),
    _Row("m", "permanently excluded", to_2024=("o",)),
    _Row("n", "left after nursery education without moving into reception", to_2024=("b",)),
    _Row("o", "boarder whose boarding charges are unpaid", to_2024=("m",)),
)

_ROWS_2024 = (
    _Row("a", "registered at another school", destination_school_required=True),
    _Row("b", "left after nursery education without moving into reception"),
    _Row("c", "also registered elsewhere; the other schools agreed the deletion"),
    _Row("d", "school attendance order amended to name another school"),
    _Row("e", "school attendance order revoked: education arranged otherwise"),
    _Row("f", "parent has notified in writing that the child will be home educated"),
    _Row("g", "moved away, no school or school unknown, or moving abroad"),
    _Row(
        "h",
        "not back after leave of absence, whereabouts unknown after joint enquiries",
        whereabouts_unknown=True,
        joint_enquiries_required=True,
    ),
    _Row(
        "i",
        "20 school days' absence coded G, N or O, whereabouts unknown after joint enquiries",
        whereabouts_unknown=True,
        joint_enquiries_required=True,
    ),
    _Row("j", "detained under a court order of 4 months or more, not expected back"),
    _Row("k", "died"),
    _Row("l", "ceasing to be of compulsory school age and not staying on"),
    _Row("m", "boarder whose boarding charges are unpaid"),
    _Row("n", "left an independent school or non-maintained special school"),
    _Row("o", "permanently excluded"),
)


def _code_2006(letter: str) -> str:
    return f"8(1)({letter})"


def _code_2024(letter: str) -> str:
    return f"9(1)({letter})"


def _ground(row: _Row, code: str, regulations: Regulations, equivalents: tuple[str, ...]) -> StatutoryGround:
    return StatutoryGround(
        code=code,
        regulations=regulations,
        description=row.description,
        equivalents=equivalents,
        whereabouts_unknown=row.whereabouts_unknown,
        joint_enquiries_required=row.joint_enquiries_required,
        destination_school_required=row.destination_school_required,
    )


def _build() -> tuple[tuple[StatutoryGround, ...], tuple[StatutoryGround, ...]]:
    letters_2024 = {row.letter for row in _ROWS_2024}
    sources: dict[str, list[str]] = {}
    for row in _ROWS_2006:
        for letter in row.to_2024:
            if letter not in letters_2024:
                raise ValueError(f"{_code_2006(row.letter)} maps to {_code_2024(letter)}, which is not a ground")
            sources.setdefault(_code_2024(letter), []).append(_code_2006(row.letter))
    grounds_2006 = tuple(
        _ground(row, _code_2006(row.letter), Regulations.REGS_2006, tuple(map(_code_2024, row.to_2024)))
        for row in _ROWS_2006
    )
    grounds_2024 = tuple(
        _ground(row, _code_2024(row.letter), Regulations.REGS_2024, tuple(sources.get(_code_2024(row.letter), ())))
        for row in _ROWS_2024
    )
    return grounds_2006, grounds_2024


GROUNDS_2006, GROUNDS_2024 = _build()
"""Each coding's grounds in legal order."""

ALL_GROUNDS: tuple[StatutoryGround, ...] = GROUNDS_2006 + GROUNDS_2024

GROUNDS_BY_CODE: Mapping[str, StatutoryGround] = MappingProxyType({ground.code: ground for ground in ALL_GROUNDS})
"""Every ground of both codings by its canonical code ("8(1)(e)", "9(1)(g)")."""


def grounds_of(regulations: Regulations) -> tuple[StatutoryGround, ...]:
    """The grounds of one set of regulations, in legal order."""
    return GROUNDS_2006 if regulations is Regulations.REGS_2006 else GROUNDS_2024
