"""Household keys, so children at one address can be linked as a family."""

from __future__ import annotations

from .normalise import normalise
from .records import PersonRecord


def household_key(record: PersonRecord) -> str | None:
    """Postcode plus the normalised first line of the address (flat included), or None when either
    is missing: "10 High Street" alone names a different house in every town."""
    normalised = normalise(record)
    if normalised.postcode is None or normalised.address_key is None:
        return None
    return f"{normalised.postcode}|{normalised.address_key}"


def same_household(first: PersonRecord, second: PersonRecord) -> bool:
    """True when both records give the same address, however it was formatted."""
    key = household_key(first)
    return key is not None and key == household_key(second)
