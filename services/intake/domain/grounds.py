"""Leaving grounds: the legal reasons a school may delete a pupil from its admission register, as intake reads them.

The county policy (App. C) names grounds from reg 8(1) of the Education (Pupil Registration) (England)
Regulations 2006. From 19 August 2024 the School Attendance (Pupil Registration) (England) Regulations
2024 apply, with grounds in reg 9(1). The law itself (the codes of each coding, their legal source, the
2006 <-> 2024 equivalences, joint enquiries and the destination-school rule) is the shared reference table
`contracts.reference.leaving_grounds`, which triage reads too. This module adds intake's reading: the
documents a return must carry, the dates a code is accepted, and the wording a school sees. The documents
are stated against the 2006 codes (DOMAIN.md: "documents the policy requires"); a 2024 ground needs those
of its 2006 equivalents, derived through the shared mapping so the two codings cannot drift apart.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

from contracts.reference import leaving_grounds as law

REGULATIONS_2024_IN_FORCE = law.REGULATIONS_2024_IN_FORCE

Coding = law.Regulations
"""Which regulations a ground code comes from."""

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
class _Reading:
    """Intake's reading of one ground: the school-facing wording and, for a 2006 ground, its documents."""

    situation: str
    documents: tuple[DocumentKind, ...] = ()


_SAO_DOCUMENTS = (DocumentKind.SAO_REVOCATION_LETTER, DocumentKind.LEARNER_PROFILE)
_EHE_DOCUMENTS = (DocumentKind.EHE_PARENT_LETTER, DocumentKind.LEARNER_PROFILE)
_DEROLLING_DOCUMENTS = (DocumentKind.DEROLLING_CHECKLIST, DocumentKind.LEARNER_PROFILE)

# Policy App. C and DOMAIN.md "Leaving reasons". Every ground of the shared table has a row here, and no
# other: the build below fails otherwise. 8(1)(i), (j), (n) and (o) are not in the policy's list, so they
# need no documents.
_READINGS: Mapping[str, _Reading] = MappingProxyType(
    {
        "8(1)(a)": _Reading("The local authority revoked or amended a school attendance order", _SAO_DOCUMENTS),
        "8(1)(b)": _Reading("Transferring to a known school in the county"),
        "8(1)(c)": _Reading("Dual registration ended and the main school consents"),
        "8(1)(d)": _Reading("To be electively home educated, including leaving an independent school", _EHE_DOCUMENTS),
        "8(1)(e)": _Reading("Moved away with no school or school unknown, or moving abroad", _DEROLLING_DOCUMENTS),
        "8(1)(f)": _Reading("Not back from agreed extended leave after reasonable enquiries", _DEROLLING_DOCUMENTS),
        "8(1)(g)": _Reading(
            "Medically certified unfit to attend before compulsory school age ends, parent consents",
            (DocumentKind.LEARNER_PROFILE, DocumentKind.MEDICAL_CERTIFICATE),
        ),
        "8(1)(h)": _Reading(
            "20 school days continuous absence, whereabouts unknown after joint school and LA enquiries",
            _DEROLLING_DOCUMENTS,
        ),
        "8(1)(i)": _Reading("Detained by court order for 4 months or more and not expected back"),
        "8(1)(j)": _Reading("The pupil has died"),
        "8(1)(k)": _Reading("Leaving at the end of Year 11 or ceasing compulsory school age"),
        "8(1)(l)": _Reading("Left an independent school (not for home education or exclusion)"),
        "8(1)(m)": _Reading("Permanently excluded, including from an independent school", _DEROLLING_DOCUMENTS),
        "8(1)(n)": _Reading("Finished nursery education and not moving into the school's reception class"),
        "8(1)(o)": _Reading("Boarder whose boarding fees have not been paid"),
        "9(1)(a)": _Reading("Registered at another school"),
        "9(1)(b)": _Reading("Finished nursery education and not expected to return"),
        "9(1)(c)": _Reading("Also registered elsewhere, not expected back, and every other school consents"),
        "9(1)(d)": _Reading("The local authority amended the school attendance order to name another school"),
        "9(1)(e)": _Reading("The local authority revoked the school attendance order: education arranged otherwise"),
        "9(1)(f)": _Reading("The parent has told the school in writing they will home educate"),
        "9(1)(g)": _Reading("Stopped attending and no longer lives within reasonable distance"),
        "9(1)(h)": _Reading(
            "Not back 10 school days after leave of absence, whereabouts unknown after joint enquiries"
        ),
        "9(1)(i)": _Reading(
            "20 school days continuous absence coded G, N or O, whereabouts unknown after joint enquiries"
        ),
        "9(1)(j)": _Reading("Detained by court order for 4 months or more and not expected back"),
        "9(1)(k)": _Reading("The pupil has died"),
        "9(1)(l)": _Reading("Will cease to be of compulsory school age and will not continue at the school"),
        "9(1)(m)": _Reading("Boarder whose boarding fees have not been paid"),
        "9(1)(n)": _Reading("Has ceased to be a pupil at an independent or non-maintained special school"),
        "9(1)(o)": _Reading("Permanently excluded"),
    }
)


def _documents(ground: law.StatutoryGround) -> tuple[DocumentKind, ...]:
    if ground.regulations is Coding.REGS_2006:
        return _READINGS[ground.code].documents
    sources = (_READINGS[code] for code in ground.equivalents)
    return tuple(dict.fromkeys(document for source in sources for document in source.documents))


def _build_grounds() -> dict[str, LeavingGround]:
    extra = set(_READINGS) - set(law.GROUNDS_BY_CODE)
    if extra:
        raise ValueError(f"intake reads leaving grounds the regulations do not have: {sorted(extra)}")
    last_day_of_2006_regs = REGULATIONS_2024_IN_FORCE - timedelta(days=1)
    grounds: dict[str, LeavingGround] = {}
    for ground in law.ALL_GROUNDS:
        is_2006 = ground.regulations is Coding.REGS_2006
        grounds[ground.code] = LeavingGround(
            code=ground.code,
            coding=ground.regulations,
            legal_source=ground.citation,
            situation=_READINGS[ground.code].situation,
            required_documents=_documents(ground),
            destination_school_required=ground.destination_school_required,
            joint_enquiries_required=ground.joint_enquiries_required,
            equivalent_codes=ground.equivalents,
            accepted_from=None if is_2006 else REGULATIONS_2024_IN_FORCE,
            # Schools keep using old forms, so a 2006 code stays acceptable after the change when it maps
            # onto a 2024 ground; a ground the 2024 rules removed cannot be used for a later deletion.
            accepted_until=last_day_of_2006_regs if is_2006 and not ground.equivalents else None,
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
