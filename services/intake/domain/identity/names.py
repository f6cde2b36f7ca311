"""Name normalisation, the nickname table and name comparison levels."""

from __future__ import annotations

import csv
import unicodedata
from enum import StrEnum
from functools import cache
from importlib import resources

from rapidfuzz.distance import OSA, JaroWinkler

from .records import NormalisedRecord

# Apostrophes join ("O'Brien" is "obrien"); every other non-letter separates parts.
_APOSTROPHES = str.maketrans("", "", "'`\u2018\u2019\u02bc")
# Similarity cut-offs for names that are not equal. 0.93 Jaro-Winkler, or one edit in a name of four
# or more letters, catches single typos ("Oilver", "Jonse") while "Jack"/"Jake" (0.87) stays weak.
_CLOSE_JARO_WINKLER = 0.93
_WEAK_JARO_WINKLER = 0.85
_MIN_LENGTH_FOR_ONE_EDIT = 4


class NameAgreement(StrEnum):
    """How two names relate, strongest first."""

    EXACT = "exact"
    VARIANT = "variant"
    PART = "part"
    MIDDLE = "middle"
    CLOSE = "close"
    WEAK = "weak"
    INITIAL = "initial"
    MISSING = "missing"
    DIFFERENT = "different"


def name_parts(raw: str | None) -> tuple[str, ...]:
    """Lower-case ASCII letter runs of a name: "Smith-Jones" and "SMITH JONES" both give (smith, jones)."""
    if not raw:
        return ()
    decomposed = unicodedata.normalize("NFKD", raw.translate(_APOSTROPHES))
    letters_only = "".join(
        character.lower() if character.isascii() and character.isalpha() else " "
        for character in decomposed
        if not unicodedata.combining(character)
    )
    return tuple(letters_only.split())


@cache
def _nickname_table() -> dict[str, frozenset[str]]:
    """Each known name or nickname mapped to the canonical names it can stand for."""
    canonicals: dict[str, set[str]] = {}
    text = resources.files(__package__).joinpath("nicknames.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(text.splitlines()):
        canonical, variant = row["canonical"], row["variant"]
        canonicals.setdefault(canonical, set()).add(canonical)
        canonicals.setdefault(variant, set()).add(canonical)
    return {name: frozenset(found) for name, found in canonicals.items()}


def canonical_given_names(given: str) -> frozenset[str]:
    """The name itself plus every canonical name it is a known variant of ("bill" -> bill, william)."""
    return _nickname_table().get(given, frozenset()) | {given}


def blocking_given_name(given: str) -> str:
    """One deterministic canonical form, so "Bill" and "William" fall in the same blocking key."""
    return min(_nickname_table().get(given, frozenset({given})))


def _similarity(first: str, second: str) -> NameAgreement:
    if first == second:
        return NameAgreement.EXACT
    if min(len(first), len(second)) >= _MIN_LENGTH_FOR_ONE_EDIT and OSA.distance(first, second) <= 1:
        return NameAgreement.CLOSE
    similarity = JaroWinkler.similarity(first, second)
    if similarity >= _CLOSE_JARO_WINKLER:
        return NameAgreement.CLOSE
    if similarity >= _WEAK_JARO_WINKLER:
        return NameAgreement.WEAK
    return NameAgreement.DIFFERENT


def compare_given_names(first: NormalisedRecord, second: NormalisedRecord) -> NameAgreement:
    """Compare given names, allowing nicknames, initials, one part of a double name and a middle name
    used as the first name."""
    if not first.given or not second.given:
        return NameAgreement.MISSING
    if first.given == second.given:
        return NameAgreement.EXACT
    if first.given_canonicals & second.given_canonicals:
        return NameAgreement.VARIANT
    if len(first.given) == 1 or len(second.given) == 1:
        return NameAgreement.INITIAL if first.given[0] == second.given[0] else NameAgreement.DIFFERENT
    if (len(first.given_parts) > 1 or len(second.given_parts) > 1) and (first.given_parts[0] == second.given_parts[0]):
        return NameAgreement.PART
    level = _similarity(first.given, second.given)
    if level is NameAgreement.CLOSE:
        return level
    if first.given in second.middle_names or second.given in first.middle_names:
        return NameAgreement.MIDDLE
    return level


def compare_family_names(first: NormalisedRecord, second: NormalisedRecord) -> NameAgreement:
    """Compare family names, allowing one part of a double-barrelled name on its own."""
    if not first.family or not second.family:
        return NameAgreement.MISSING
    if first.family == second.family:
        return NameAgreement.EXACT
    if (len(first.family_parts) > 1 or len(second.family_parts) > 1) and (
        set(first.family_parts) & set(second.family_parts)
    ):
        return NameAgreement.PART
    return _similarity(first.family, second.family)


def compare_swapped_names(first: NormalisedRecord, second: NormalisedRecord) -> bool:
    """True when one record has the given and family names the other way round."""
    if not (first.given and first.family and second.given and second.family):
        return False
    crossed = (_similarity(first.given, second.family), _similarity(first.family, second.given))
    return all(level in (NameAgreement.EXACT, NameAgreement.CLOSE) for level in crossed)
