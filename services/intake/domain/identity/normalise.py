"""Reduce a submitted record to comparable forms."""

from __future__ import annotations

from functools import lru_cache

from .addresses import address_key, normalise_postcode
from .identifiers import clean_nhs_number, clean_upn
from .names import canonical_given_names, name_parts
from .records import NormalisedRecord, PersonRecord

_SEX_CODES = {"m": "M", "male": "M", "boy": "M", "f": "F", "female": "F", "girl": "F"}
# Stored records are compared many times over as the register grows; normalising each once is
# what keeps scoring cheap. Records are immutable, so caching is safe.
_CACHE_SIZE = 100_000


def _sex(raw: str | None) -> str | None:
    """M or F; anything else (unknown, not stated, indeterminate) is not evidence either way."""
    return None if raw is None else _SEX_CODES.get(raw.strip().lower())


@lru_cache(maxsize=_CACHE_SIZE)
def normalise(record: PersonRecord) -> NormalisedRecord:
    """Case, punctuation, accents and hyphens removed; nicknames resolved; identifiers checked;
    postcode formatted; address reduced to a formatting-insensitive key."""
    given_parts = name_parts(record.given_name)
    family_parts = name_parts(record.family_name)
    given = "".join(given_parts)
    canonicals = canonical_given_names(given) if given else frozenset()
    if len(given_parts) > 1:
        canonicals |= canonical_given_names(given_parts[0])
    upn = clean_upn(record.upn)
    former_upns = tuple(
        sorted({cleaned for raw in record.former_upns if (cleaned := clean_upn(raw)) and cleaned != upn})
    )
    return NormalisedRecord(
        given=given,
        given_parts=given_parts,
        given_canonicals=canonicals,
        middle_names=name_parts(record.middle_names),
        family="".join(family_parts),
        family_parts=family_parts,
        date_of_birth=record.date_of_birth,
        sex=_sex(record.sex),
        upn=upn,
        former_upns=former_upns,
        nhs_number=clean_nhs_number(record.nhs_number),
        postcode=normalise_postcode(record.postcode),
        address_key=address_key(record.address_line),
    )
