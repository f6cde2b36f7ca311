"""Postcode and first-line-of-address normalisation.

The address key is "<house number>|<street>|<flat>", so "Flat 2, 10 High St" and "10 High Street
Flat 2" give the same key. It is a matching aid, not an address parser: anything it cannot place
stays in the street part, which still compares equal when both submissions wrote it the same way.
"""

from __future__ import annotations

import re
import unicodedata

_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$")
_HOUSE_NUMBER = re.compile(r"^\d+[a-z]?$")
_UNIT_AND_NUMBER = re.compile(r"^(\d+[a-z]?)/(\d+[a-z]?)$")
_UNIT_WORDS = frozenset({"flat", "apartment", "apt", "unit", "room", "maisonette", "studio"})
_FLOOR_WORDS = frozenset({"basement", "ground", "first", "second", "third", "top", "upper", "lower"})
_STREET_ABBREVIATIONS = {
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "cl": "close",
    "cres": "crescent",
    "cresc": "crescent",
    "dr": "drive",
    "ct": "court",
    "gdns": "gardens",
    "gdn": "garden",
    "pl": "place",
    "sq": "square",
    "tce": "terrace",
    "terr": "terrace",
    "gr": "grove",
    "gro": "grove",
    "pk": "park",
    "wy": "way",
    "hse": "house",
    "ho": "house",
    "cott": "cottage",
    "cotts": "cottages",
    "mt": "mount",
    "nth": "north",
    "sth": "south",
}
_NOISE_WORDS = frozenset({"and", "the", "of"})


def normalise_postcode(raw: str | None) -> str | None:
    """The postcode as "SW1A 1AA" whatever its case and spacing; None when missing or malformed."""
    if raw is None:
        return None
    compact = "".join(character for character in raw.upper() if character.isalnum())
    match = _POSTCODE.match(compact)
    return None if match is None else f"{match.group(1)} {match.group(2)}"


def _address_tokens(raw: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", raw.lower().replace("&", " and "))
    cleaned = "".join(
        character if character.isascii() and (character.isalnum() or character == "/") else " "
        for character in decomposed
        if not unicodedata.combining(character) and character not in "'\u2019"
    )
    return cleaned.split()


def _expand(words: list[str]) -> list[str]:
    expanded: list[str] = []
    for position, word in enumerate(words):
        following = words[position + 1] if position + 1 < len(words) else None
        if word == "st":
            # "St Mary's Road" is a saint; "High St" and "High St Flat 2" are streets.
            is_saint = following is not None and following.isalpha() and following not in _UNIT_WORDS
            expanded.append("saint" if is_saint else "street")
        else:
            expanded.append(_STREET_ABBREVIATIONS.get(word, word))
    return expanded


def _is_unit_identifier(token: str) -> bool:
    return len(token) == 1 or any(character.isdigit() for character in token)


def address_key(raw: str | None) -> str | None:
    """A formatting-insensitive key for the first line of an address, or None when it is empty."""
    if raw is None:
        return None
    tokens = _expand(_address_tokens(raw))
    unit_parts: list[str] = []
    number: str | None = None
    street: list[str] = []
    position = 0
    while position < len(tokens):
        token = tokens[position]
        following = tokens[position + 1] if position + 1 < len(tokens) else None
        split_number = _UNIT_AND_NUMBER.match(token)
        if token in _UNIT_WORDS and following is not None and _is_unit_identifier(following):
            unit_parts.append(following)
            position += 2
            continue
        if token in _FLOOR_WORDS and following in ("floor", "flr"):
            unit_parts.append(token)
            position += 2
            # "Ground Floor Flat, 10 High St": the flat word names the unit already described.
            if position < len(tokens) and tokens[position] in _UNIT_WORDS:
                position += 1
            continue
        if split_number is not None and number is None:
            unit_parts.append(split_number.group(1))
            number = split_number.group(2)
        elif _HOUSE_NUMBER.match(token) and number is None:
            number = token
            # "10 A High Street" is 10a.
            if following is not None and len(following) == 1 and following.isalpha():
                number += following
                position += 1
        elif token not in _UNIT_WORDS and token not in _NOISE_WORDS:
            street.append(token)
        position += 1
    if not (number or street or unit_parts):
        return None
    return f"{number or ''}|{' '.join(street)}|{' '.join(unit_parts)}"
