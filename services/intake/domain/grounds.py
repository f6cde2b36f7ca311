"""Leaving grounds: the legal reasons a school may delete a pupil from its admission register.

The county policy (App. C) names grounds from reg 8(1) of the Education (Pupil Registration) (England)
Regulations 2006. From 19 August 2024 the School Attendance (Pupil Registration) (England) Regulations
2024 apply, with grounds in reg 9(1). Both codings are kept here as effective-dated data so that a new
set of rules can be switched on by adding rows, not code. Each 2006 row names its 2024 equivalents; the
reverse mapping, and the documents a 2024 ground needs, are derived from those rows so the two tables
cannot drift apart (DOMAIN.md: "documents the policy requires" are stated against the 2006 codes).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

REGULATIONS_2024_IN_FORCE = date(2024, 8, 19)


class Coding(StrEnum):
    """Which regulations a ground code comes from."""

    REGS_2006 = "2006"
    REGS_2024 = "2024"


_INSTRUMENTS: Mapping[Coding, str] = MappingProxyType(
    {
        Coding.REGS_2006: "Education (Pupil Registration) (England) Regulations 2006 (SI 2006/1751)",
        Coding.REGS_2024: "School Attendance (Pupil Registration) (England) Regulations 2024 (SI 2024/208)",
    }
)

# The ground a school should use instead of a transfer ground when the new school is unknown or out of
# county (policy App. C, 8(1)(b): "instead use reason 8(1)(e)").
SCHOOL_UNKNOWN_GROUND: Mapping[Coding, str] = MappingProxyType(
    {Coding.REGS_2006: "8(1)(e)", Coding.REGS_2024: "9(1)(g)"}
)


class DocumentKind(StrEnum):
    """Documents a school attaches to a leaver return (policy App. C)."""

    SAO_REVOCATION_LETTER = "sao_revocation_letter"
    LEARNER_PROFILE = "learner_profile"
    EHE_PARENT_LETTER = "ehe_parent_letter"
    DEROLLING_CHECKLIST = "derolling_checklist"
    MEDICAL_CERTIFICATE = "medical_certificate"


# Names as a school administrator would recognise them, to complete "Attach ...".
DOCUMENT_NAMES: Mapping[DocumentKind, str] = MappingProxyType(
    {
        DocumentKind.SAO_REVOCATION_LETTER: (
            "the local authority's letter revoking or amending the school attendance order"
        ),
        DocumentKind.LEARNER_PROFILE: "the learner profile",
        DocumentKind.EHE_PARENT_LETTER: "the parent's letter saying they will home educate their child",
        DocumentKind.DEROLLING_CHECKLIST: "the de-rolling checklist",
        DocumentKind.MEDICAL_CERTIFICATE: "the medical certificate",
    }
)


@dataclass(frozen=True)
class LeavingGround:
    """One deletion ground and what a leaver return on that ground must carry.

    ``accepted_from`` and ``accepted_until`` (both inclusive, ``None`` for open-ended) bound the leaving
    dates for which a school may cite this code.
    """

    code: str
    coding: Coding
    legal_source: str
    situation: str
    required_documents: tuple[DocumentKind, ...]
    destination_school_required: bool
    joint_enquiries_required: bool
    equivalent_codes: tuple[str, ...]
    accepted_from: date | None
    accepted_until: date | None

    def is_accepted_on(self, on: date) -> bool:
        if self.accepted_from is not None and on < self.accepted_from:
            return False
        return self.accepted_until is None or on <= self.accepted_until


@dataclass(frozen=True)
class _Row2006:
    letter: str
    situation: str
    documents: tuple[DocumentKind, ...] = ()
    equivalents_2024: tuple[str, ...] = ()
    destination_school_required: bool = False
    joint_enquiries_required: bool = False


@dataclass(frozen=True)
class _Row2024:
    letter: str
    situation: str
    destination_school_required: bool = False
    joint_enquiries_required: bool = False


_SAO_DOCUMENTS = (DocumentKind.SAO_REVOCATION_LETTER, DocumentKind.LEARNER_PROFILE)
_EHE_DOCUMENTS = (DocumentKind.EHE_PARENT_LETTER, DocumentKind.LEARNER_PROFILE)
_DEROLLING_DOCUMENTS = (DocumentKind.DEROLLING_CHECKLIST, DocumentKind.LEARNER_PROFILE)

# Policy App. C and DOMAIN.md "Leaving reasons". 8(1)(i), (j), (n) and (o) are not in the policy's list but
# are in the regulations, and schools' forms may still send them; their 2024 equivalents follow
# domain-anchors §1.2 and the 2006 text (detention of 4+ months; death; nursery; boarding fees unpaid, a
# sub-paragraph inserted by SI 2011/1625). Triage's ground table carries the same codes.
_ROWS_2006 = (
    _Row2006(
        "a",
        "The local authority revoked or amended a school attendance order",
        documents=_SAO_DOCUMENTS,
        equivalents_2024=("9(1)(d)", "9(1)(e)"),
    ),
    _Row2006(
        "b",
        "Transferring to a known school in the county",
        equivalents_2024=("9(1)(a)",),
        destination_school_required=True,
    ),
    _Row2006(
        "c",
        "Dual registration ended and the main school consents",
        equivalents_2024=("9(1)(c)",),
    ),
    _Row2006(
        "d",
        "To be electively home educated, including leaving an independent school",
        documents=_EHE_DOCUMENTS,
        equivalents_2024=("9(1)(f)",),
    ),
    _Row2006(
        "e",
        "Moved away with no school or school unknown, or moving abroad",
        documents=_DEROLLING_DOCUMENTS,
        equivalents_2024=("9(1)(g)",),
    ),
    _Row2006(
        "f",
        "Not back from agreed extended leave after reasonable enquiries",
        documents=_DEROLLING_DOCUMENTS,
        equivalents_2024=("9(1)(h)",),
        joint_enquiries_required=True,
    ),
    _Row2006(
        "g",
        "Medically certified unfit to attend before compulsory school age ends, parent consents",
        documents=(DocumentKind.LEARNER_PROFILE, DocumentKind.MEDICAL_CERTIFICATE),
    ),
    _Row2006(
        "h",
        "20 school days continuous absence, whereabouts unknown after joint school and LA enquiries",
        documents=_DEROLLING_DOCUMENTS,
        equivalents_2024=("9(1)(i)",),
        joint_enquiries_required=True,
    ),
    _Row2006(
        "i",
        "Detained by court order for 4 months or more and not expected back",
        equivalents_2024=("9(1)(j)",),
    ),
    _Row2006("j", "The pupil has died", equivalents_2024=("9(1)(k)",)),
    _Row2006(
        "k",
        "Leaving at the end of Year 11 or ceasing compulsory school age",
        equivalents_2024=("9(1)(l)",),
    ),
    _Row2006(
        "l",
        "Left an independent school (not for home education or exclusion)",
        equivalents_2024=("9(1)(n)",),
    ),
    _Row2006(
        "m",
        "Permanently excluded, including from an independent school",
        documents=_DEROLLING_DOCUMENTS,
        equivalents_2024=("9(1)(o)",),
    ),
    _Row2006(
        "n",
        "Finished nursery education and not moving into the school's reception class",
        equivalents_2024=("9(1)(b)",),
    ),
    _Row2006(
        "o",
        "Boarder whose boarding fees have not been paid",
        equivalents_2024=("9(1)(m)",),
    ),
)

_ROWS_2024 = (
    _Row2024("a", "Registered at another school", destination_school_required=True),
    _Row2024("b", "Finished nursery education and not expected to return"),
    _Row2024("c", "Also registered elsewhere, not expected back, and every other school consents"),
    _Row2024("d", "The local authority amended the school attendance order to name another school"),
    _Row2024("e", "The local authority revoked the school attendance order: education arranged otherwise"),
    _Row2024("f", "The parent has told the school in writing they will home educate"),
    _Row2024("g", "Stopped attending and no longer lives within reasonable distance"),
    _Row2024(
        "h",
        "Not back 10 school days after leave of absence, whereabouts unknown after joint enquiries",
        joint_enquiries_required=True,
    ),
    _Row2024(
        "i",
        "20 school days continuous absence coded G, N or O, whereabouts unknown after joint enquiries",
        joint_enquiries_required=True,
    ),
    _Row2024("j", "Detained by court order for 4 months or more and not expected back"),
    _Row2024("k", "The pupil has died"),
    _Row2024("l", "Will cease to be of compulsory school age and will not continue at the school"),
    _Row2024("m", "Boarder whose boarding fees have not been paid"),
    _Row2024("n", "Has ceased to be a pupil at an independent or non-maintained special school"),
    _Row2024("o", "Permanently excluded"),
)


def _build_grounds() -> dict[str, LeavingGround]:
    grounds: dict[str, LeavingGround] = {}
    sources_2024: dict[str, list[_Row2006]] = {}
    last_day_of_2006_regs = REGULATIONS_2024_IN_FORCE - timedelta(days=1)
    for row in _ROWS_2006:
        code = f"8(1)({row.letter})"
        for equivalent in row.equivalents_2024:
            sources_2024.setdefault(equivalent, []).append(row)
        grounds[code] = LeavingGround(
            code=code,
            coding=Coding.REGS_2006,
            legal_source=f"{_INSTRUMENTS[Coding.REGS_2006]}, reg {code}",
            situation=row.situation,
            required_documents=row.documents,
            destination_school_required=row.destination_school_required,
            joint_enquiries_required=row.joint_enquiries_required,
            equivalent_codes=row.equivalents_2024,
            accepted_from=None,
            # Schools keep using old forms, so a 2006 code stays acceptable after the change when it maps
            # onto a 2024 ground; a ground the 2024 rules removed cannot be used for a later deletion.
            accepted_until=None if row.equivalents_2024 else last_day_of_2006_regs,
        )
    for row_2024 in _ROWS_2024:
        code = f"9(1)({row_2024.letter})"
        sources = sources_2024.get(code, [])
        documents = tuple(dict.fromkeys(document for source in sources for document in source.documents))
        grounds[code] = LeavingGround(
            code=code,
            coding=Coding.REGS_2024,
            legal_source=f"{_INSTRUMENTS[Coding.REGS_2024]}, reg {code}",
            situation=row_2024.situation,
            required_documents=documents,
            destination_school_required=row_2024.destination_school_required,
            joint_enquiries_required=row_2024.joint_enquiries_required,
            equivalent_codes=tuple(f"8(1)({source.letter})" for source in sources),
            accepted_from=REGULATIONS_2024_IN_FORCE,
            accepted_until=None,
        )
    return grounds


_GROUNDS: Mapping[str, LeavingGround] = MappingProxyType(_build_grounds())

_CODE_PATTERN = re.compile(
    r"^\s*(?:reg(?:ulation)?\.?\s*)?([0-9]+)\s*\(\s*([0-9]+)\s*\)\s*\(\s*([a-z])\s*\)\s*$", re.IGNORECASE
)


def normalise_code(code: str) -> str | None:
    """Canonical form of a ground code ("8(1) (E)" -> "8(1)(e)"), or ``None`` if it is not shaped like one.

    This only normalises; whether the code exists is for ``ground_by_code``.
    """
    match = _CODE_PATTERN.match(code)
    if match is None:
        return None
    regulation, paragraph, letter = match.groups()
    return f"{int(regulation)}({int(paragraph)})({letter.lower()})"


def ground_by_code(code: str) -> LeavingGround | None:
    """The ground a code names in either coding, whatever the date."""
    normalised = normalise_code(code)
    return None if normalised is None else _GROUNDS.get(normalised)


def ground_for(code: str, on: date) -> LeavingGround | None:
    """The ground a school may cite for a pupil leaving on ``on``, or ``None`` if it may not.

    The 2024 grounds apply from 19 August 2024 and cannot be cited before it. A 2006 code cited after it
    is still accepted when it maps onto a 2024 ground; the returned ground keeps its own code and legal
    source (what the school sent), and ``equivalent_codes`` gives the 2024 ground(s) it maps to.
    """
    ground = ground_by_code(code)
    if ground is None or not ground.is_accepted_on(on):
        return None
    return ground


def equivalents_of(ground: LeavingGround) -> tuple[LeavingGround, ...]:
    """The grounds in the other coding that ``ground`` maps to."""
    return tuple(_GROUNDS[code] for code in ground.equivalent_codes)


def coding_in_force(on: date) -> Coding:
    return Coding.REGS_2024 if on >= REGULATIONS_2024_IN_FORCE else Coding.REGS_2006


def grounds_in_force(on: date) -> tuple[LeavingGround, ...]:
    """The grounds of the regulations in force on ``on``, in legal order: the list a form offers."""
    coding = coding_in_force(on)
    return tuple(ground for ground in _GROUNDS.values() if ground.coding is coding)


def all_grounds() -> tuple[LeavingGround, ...]:
    return tuple(_GROUNDS.values())
