"""Fictional demonstration data, so a new user sees a working suite at once. Every name here is invented."""

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx

GIVEN = ["Amelia", "Oliver", "Isla", "Noah", "Ava", "Leo", "Mia", "Arthur", "Ivy", "Freddie", "Zara", "Theo"]
FAMILY = ["Ashdown", "Brierley", "Carrow", "Dunmore", "Elsworth", "Fenwick", "Garside", "Holloway", "Inchley"]
STREETS = ["Severn Way", "Malvern Road", "Teme Street", "Avon Close", "Lickey Lane", "Wyre Drive"]
TOWNS = [("Worcester", "WR1"), ("Kidderminster", "DY10"), ("Redditch", "B97"), ("Evesham", "WR11")]
UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"


def _upn(serial: int) -> str:
    body = f"885200{serial % 100:02d}{serial % 10000:04d}"[:12]
    total = sum(int(char) * weight for weight, char in enumerate(body, start=2))
    return UPN_ALPHABET[total % 23] + body


def leaver(rng: random.Random, serial: int, reason: str, **safeguarding: Any) -> dict[str, Any]:
    town, outward = rng.choice(TOWNS)
    today = datetime.now(UTC).date()
    birth = today - timedelta(days=rng.randint(6 * 365, 15 * 365))
    documents = {"8(1)(b)": [], "9(1)(a)": [], "8(1)(k)": [], "9(1)(l)": []}.get(
        reason,
        [
            {"kind": "derolling_checklist", "reference": f"doc-{serial}-a"},
            {"kind": "learner_profile", "reference": f"doc-{serial}-b"},
        ],
    )
    if reason in ("8(1)(d)", "9(1)(f)"):
        documents = [
            {"kind": "ehe_parent_letter", "reference": f"doc-{serial}-a"},
            {"kind": "learner_profile", "reference": f"doc-{serial}-b"},
        ]
    return {
        "submission_type": "leaver",
        "submission_id": f"demo-{uuid4().hex[:12]}",
        "submitted_at": datetime.now(UTC).isoformat(),
        "school": {"establishment_id": "8852001", "name": "Demo Primary School"},
        "child": {
            "given_name": rng.choice(GIVEN),
            "family_name": rng.choice(FAMILY),
            "date_of_birth": birth.isoformat(),
            "sex": rng.choice("FM"),
            "upn": _upn(serial),
            "address": {
                "line1": f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                "town": town,
                "postcode": f"{outward} {rng.randint(1, 9)}AB",
            },
        },
        "leaving_date": (today - timedelta(days=rng.randint(0, 20))).isoformat(),
        "leaving_reason": reason,
        "documents": documents,
        "safeguarding": safeguarding,
    }


def demo_submissions(count: int = 12, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    reasons = ["9(1)(g)", "9(1)(i)", "8(1)(e)", "9(1)(h)", "9(1)(f)", "9(1)(l)"]
    submissions = []
    for serial in range(count):
        extra: dict[str, Any] = {}
        if serial % 4 == 0:
            extra = {
                "child_in_need": True,
                "open_to_social_care": True,
                "social_worker": {"name": "Demo Social Worker", "email": "social.worker@example.org"},
            }
        elif serial % 4 == 1:
            extra = {"vulnerabilities": ["grt_family"]}
        submissions.append(leaver(rng, serial + 1, reasons[serial % len(reasons)], **extra))
    return submissions


def seed(intake_url: str, count: int = 12) -> None:
    accepted = 0
    with httpx.Client(timeout=30) as client:
        for submission in demo_submissions(count):
            response = client.post(f"{intake_url}/api/v1/submissions/leaver", json=submission)
            accepted += response.status_code in (200, 202)
    print(f"Seeded {accepted} demonstration leaver returns.")


def today() -> date:
    return datetime.now(UTC).date()
