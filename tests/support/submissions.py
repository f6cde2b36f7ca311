"""Fictional leaver returns for tests. Every person here is invented."""

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
GIVEN = [
    "Amelia",
    "Oliver",
    "Isla",
    "Noah",
    "Ava",
    "Leo",
    "Mia",
    "Arthur",
    "Ivy",
    "Freddie",
    "Zara",
    "Theo",
    "Grace",
    "Jack",
    "Evie",
    "Harry",
    "Ruby",
    "Oscar",
    "Poppy",
    "Archie",
    "Sienna",
    "Alfie",
    "Maya",
    "Finley",
]
SYLLABLES = [
    "ash",
    "brin",
    "cal",
    "dun",
    "el",
    "fen",
    "gar",
    "hol",
    "ing",
    "jor",
    "kel",
    "lun",
    "mor",
    "nor",
    "ost",
    "pen",
    "quil",
    "ross",
    "sel",
    "tor",
    "ul",
    "ven",
    "wick",
    "yar",
]
OUTWARD = ["WR1", "WR2", "WR3", "WR4", "WR5", "WR9", "WR11", "WR14", "DY10", "DY11", "DY13", "B60", "B97", "B98"]
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_rng = random.Random()


def fictional_surname() -> str:
    return "".join(_rng.choice(SYLLABLES) for _ in range(3)).capitalize()


def fictional_postcode() -> str:
    letters = "".join(_rng.choice(POSTCODE_LETTERS) for _ in range(2))
    return f"{_rng.choice(OUTWARD)} {_rng.randint(1, 9)}{letters}"


def valid_upn() -> str:
    body = "885" + "".join(str(_rng.randint(0, 9)) for _ in range(9))
    total = sum(int(char) * weight for weight, char in enumerate(body, start=2))
    return UPN_ALPHABET[total % 23] + body


def leaver(**overrides: Any) -> dict[str, Any]:
    """A complete leaver return for a child of 6 to 14 who moved away to no known school (9(1)(g): CME)."""
    today = datetime.now(UTC).date()
    marker = uuid4().hex[:8]
    submission: dict[str, Any] = {
        "submission_type": "leaver",
        "submission_id": f"test-{uuid4().hex}",
        "submitted_at": datetime.now(UTC).isoformat(),
        "school": {"establishment_id": "8852001", "name": "Test School"},
        "child": {
            "given_name": _rng.choice(GIVEN),
            "family_name": f"{fictional_surname()}-{marker}",
            "date_of_birth": (date(today.year - 14, 9, 1) + timedelta(days=_rng.randint(0, 8 * 365))).isoformat(),
            "sex": "F",
            "upn": valid_upn(),
            "address": {
                "line1": f"{_rng.randint(1, 200)} {fictional_surname()} Road",
                "town": "Worcester",
                "postcode": fictional_postcode(),
            },
        },
        "leaving_date": (today - timedelta(days=2)).isoformat(),
        "leaving_reason": "9(1)(g)",
        "destination": None,
        "documents": [
            {"kind": "derolling_checklist", "reference": f"doc-{marker}-1"},
            {"kind": "learner_profile", "reference": f"doc-{marker}-2"},
        ],
        "safeguarding": {},
    }
    submission.update(overrides)
    return submission
