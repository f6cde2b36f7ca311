"""Blocking keys: the few strings under which a record is indexed, so that a new referral is scored
only against stored records sharing at least one key instead of against the whole register.

Each key tolerates different kinds of noise, so a true match survives as long as one of them agrees:

| key | built from                                       | survives                                   |
| --- | ------------------------------------------------ | ------------------------------------------ |
| upn | each valid UPN, current and former               | anything but a missing or wrong UPN        |
| nhs | valid NHS number                                 | anything but a missing or wrong NHS number |
| dfn | birth date (day/month order-free), family sound  | given-name noise, moves, day/month swap    |
| dpc | birth date (day/month order-free), postal district | family-name change or typo, swapped names |
| gys | given sound, birth year, postcode sector         | wrong day or month of birth                |
| nym | both name sounds (order-free), birth year        | a move plus a wrong day or month of birth  |
| npc | both name sounds (order-free), postal district   | a missing or wholly wrong date of birth    |

"Sound" is the Soundex code.

Given names are keyed by their canonical form so nicknames land with the full name. Block sizes
depend on how many children share a birthday, a district or a name, not on register size in total,
which is what keeps the cost per referral flat.
"""

from __future__ import annotations

from datetime import date

import jellyfish

from .names import blocking_given_name
from .normalise import normalise
from .records import NormalisedRecord, PersonRecord


def _order_free_birth_date(born: date) -> str:
    """Year plus day and month in ascending order, so a day/month transposition keeps the key."""
    low, high = sorted((born.day, born.month))
    return f"{born.year:04d}{low:02d}{high:02d}"


def _family_soundexes(record: NormalisedRecord) -> set[str]:
    codes = {jellyfish.soundex(record.family)}
    if len(record.family_parts) > 1:
        codes.update(jellyfish.soundex(part) for part in record.family_parts)
    return codes


def _name_pair(record: NormalisedRecord) -> str:
    given_code = jellyfish.soundex(blocking_given_name(record.given))
    return ":".join(sorted((given_code, jellyfish.soundex(record.family))))


def _identifier_keys(record: NormalisedRecord) -> set[str]:
    keys = {f"upn:{upn}" for upn in record.all_upns}
    if record.nhs_number is not None:
        keys.add(f"nhs:{record.nhs_number}")
    return keys


def _demographic_keys(record: NormalisedRecord) -> set[str]:
    keys: set[str] = set()
    has_names = bool(record.given and record.family)
    born = record.date_of_birth
    if born is not None:
        birth_date = _order_free_birth_date(born)
        if record.family:
            keys.update(f"dfn:{birth_date}:{code}" for code in _family_soundexes(record))
        if record.postcode_outward is not None:
            keys.add(f"dpc:{birth_date}:{record.postcode_outward}")
        if record.given and record.postcode_sector is not None:
            given_code = jellyfish.soundex(blocking_given_name(record.given))
            keys.add(f"gys:{given_code}:{born.year}:{record.postcode_sector}")
        if has_names:
            keys.add(f"nym:{_name_pair(record)}:{born.year}")
    if has_names and record.postcode_outward is not None:
        keys.add(f"npc:{_name_pair(record)}:{record.postcode_outward}")
    return keys


def blocking_keys(record: PersonRecord) -> frozenset[str]:
    """Plain-string keys to index a record under and to look candidates up by (usually 4 to 7)."""
    normalised = normalise(record)
    return frozenset(_identifier_keys(normalised) | _demographic_keys(normalised))
