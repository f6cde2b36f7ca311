"""Intake's HTTP API in-process against the real PostgreSQL: API keys, the CTF size limit, and the internal
match-review and merge endpoints. Kafka is not needed: nothing here starts the broker."""

import random
import string
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from tests.support.infrastructure import Infrastructure
from tests.support.intake import intake_client as intake
from tests.support.submissions import leaver

pytestmark = pytest.mark.integration

_rng = random.Random()

ADMIN_KEY = "admin-key-for-tests"
SCHOOL_KEY = "school-mis-key-for-tests"




async def uncertain_review(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two absence returns: the second names the child by a middle name, so intake asks an officer."""
    first = _absence(given_name="Grace", middle_names="Isla Grace")
    second = _absence(**(first["child"] | {"given_name": "Isla", "middle_names": "Grace"}))
    accepted = [(await client.post("/api/v1/submissions/absence", json=body)).json() for body in (first, second)]
    assert [body["identity_decision"] for body in accepted] == ["new_child", "needs_review"]
    return accepted[0], accepted[1]


def surname() -> str:
    # Random letters throughout: names are compared as letters (digits are dropped) and by similarity, so a
    # shared prefix would make them alike.
    return "".join(_rng.choices(string.ascii_lowercase, k=12)).title()


def address_line() -> str:
    """An address no other test uses: children at one address are linked as a family."""
    return f"{_rng.randint(1, 999)} {''.join(_rng.choices(string.ascii_lowercase, k=10)).title()} Close"


def _absence(**child: Any) -> dict[str, Any]:
    """An absence return about an invented child; `child` overrides its details."""
    return {
        "submission_type": "absence",
        "submission_id": f"api-test-{uuid4().hex}",
        "submitted_at": datetime.now(UTC).isoformat(),
        "school": {"establishment_id": "8852001"},
        "child": {
            "given_name": "Isla",
            "family_name": surname(),
            "date_of_birth": (date(2012, 9, 1) + timedelta(days=_rng.randint(0, 7 * 365))).isoformat(),
            "sex": "F",
            "address": {"line1": address_line(), "postcode": f"WR{_rng.randint(1, 15)} {_rng.randint(1, 9)}AB"},
        }
        | child,
        "reason": "continuous_10_days",
        "first_day_of_absence": datetime.now(UTC).date().isoformat(),
    }


async def test_with_keys_configured_a_submission_needs_one_and_records_the_client(
    migrated: Infrastructure, intake_db: asyncpg.Connection
) -> None:
    unauthorised, unreadable = leaver(), leaver()
    authorised = leaver()
    async with intake(migrated, intake_api_keys={SCHOOL_KEY: "school-mis"}) as client:
        without_key = await client.post("/api/v1/submissions/leaver", json=unauthorised)
        wrong_key = await client.post("/api/v1/submissions/leaver", json=unauthorised, headers={"X-API-Key": "guess"})
        broken_body = await client.post(
            "/api/v1/submissions/leaver",
            content=b'{"submission_id": "' + unreadable["submission_id"].encode() + b'", ',
            headers={"Content-Type": "application/json"},
        )
        with_key = await client.post("/api/v1/submissions/leaver", json=authorised, headers={"X-API-Key": SCHOOL_KEY})

    assert (without_key.status_code, wrong_key.status_code, broken_body.status_code) == (401, 401, 401)
    assert with_key.status_code == 202, with_key.text
    stored = await intake_db.fetch(
        "SELECT submission_id, client FROM submissions WHERE submission_id = ANY($1)",
        [unauthorised["submission_id"], unreadable["submission_id"], authorised["submission_id"]],
    )
    assert [(row["submission_id"], row["client"]) for row in stored] == [(authorised["submission_id"], "school-mis")]


async def test_without_keys_the_api_is_open_and_the_openapi_description_says_so(migrated: Infrastructure) -> None:
    async with intake(migrated) as client:
        description = (await client.get("/openapi.json")).json()["info"]["description"]

    assert "**Authentication: none.**" in description
    assert "CME_INTAKE_API_KEYS" in description


async def test_a_ctf_over_the_size_limit_is_refused_and_not_recorded(
    migrated: Infrastructure, intake_db: asyncpg.Connection
) -> None:
    declared, streamed = f"api-test-{uuid4().hex}", f"api-test-{uuid4().hex}"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"<CTfile>" + b" " * 400

    async with intake(migrated, ctf_max_bytes=1000) as client:
        too_large = await client.post(
            "/api/v1/submissions/ctf",
            content=b"<CTfile>" + b" " * 2000 + b"</CTfile>",
            headers={"Content-Type": "application/xml", "Idempotency-Key": declared},
        )
        too_large_streamed = await client.post(
            "/api/v1/submissions/ctf",
            params={"submission_id": streamed},
            content=chunks(),
            headers={"Content-Type": "application/xml"},
        )

    for response, file_id in ((too_large, declared), (too_large_streamed, streamed)):
        assert response.status_code == 413
        assert response.json() == {
            "status": "rejected",
            "submission_id": file_id,
            "problems": [{"field": "file", "message": "The file is larger than the limit of 1000 bytes for a CTF"}],
        }
    assert (
        await intake_db.fetchval("SELECT count(*) FROM submissions WHERE submission_id = ANY($1)", [declared, streamed])
        == 0
    )


async def test_a_ctf_must_be_sent_as_xml_with_an_id(migrated: Infrastructure) -> None:
    async with intake(migrated) as client:
        as_text = await client.post(
            "/api/v1/submissions/ctf",
            content=b"<CTfile/>",
            headers={"Content-Type": "text/plain", "Idempotency-Key": "x"},
        )
        without_id = await client.post(
            "/api/v1/submissions/ctf", content=b"<CTfile/>", headers={"Content-Type": "application/xml"}
        )

    assert as_text.status_code == 415
    assert without_id.status_code == 422
    assert without_id.json()["problems"] == [
        {
            "field": "submission_id",
            "message": "Send the file's ID in the Idempotency-Key header or the submission_id query parameter",
        }
    ]


async def test_the_internal_endpoints_are_closed_without_an_internal_key(migrated: Infrastructure) -> None:
    async with intake(migrated) as client:
        unconfigured = await client.get("/api/v1/match-reviews", headers={"X-API-Key": ADMIN_KEY})
    async with intake(migrated, intake_admin_keys={ADMIN_KEY: "casework"}) as client:
        without_key = await client.get("/api/v1/match-reviews")
        wrong_key = await client.post(
            f"/api/v1/merges/{uuid4()}/undo", json={"reason": "x", "decided_by": "y"}, headers={"X-API-Key": "guess"}
        )
        with_key = await client.get("/api/v1/match-reviews", headers={"X-API-Key": ADMIN_KEY})

    assert (unconfigured.status_code, without_key.status_code, wrong_key.status_code) == (401, 401, 401)
    assert with_key.status_code == 200


async def test_an_officer_confirms_a_match_review_and_undoes_the_merge_over_the_internal_api(
    migrated: Infrastructure,
) -> None:
    admin = {"X-API-Key": ADMIN_KEY}
    async with intake(migrated, intake_admin_keys={ADMIN_KEY: "casework"}) as client:
        existing, provisional = await uncertain_review(client)
        listed = (await client.get("/api/v1/match-reviews", params={"limit": 500}, headers=admin)).json()["reviews"]
        review = next(item for item in listed if item["child_id"] == provisional["child_id"])

        decided = await client.post(
            f"/api/v1/match-reviews/{review['review_id']}/decision",
            json={"decision": "confirm", "decided_by": "officer-7"},
            headers=admin,
        )
        decided_again = await client.post(
            f"/api/v1/match-reviews/{review['review_id']}/decision",
            json={"decision": "reject", "decided_by": "officer-7"},
            headers=admin,
        )
        undone = await client.post(
            f"/api/v1/merges/{decided.json()['merge_id']}/undo",
            json={"reason": "Twins after all", "decided_by": "officer-9"},
            headers=admin,
        )
        undone_again = await client.post(
            f"/api/v1/merges/{decided.json()['merge_id']}/undo",
            json={"reason": "Twins after all", "decided_by": "officer-9"},
            headers=admin,
        )

    assert review["kind"] == "uncertain_match"
    assert review["proposed_child_id"] == existing["child_id"]
    assert review["alternatives"][0]["child_id"] == existing["child_id"]
    assert review["alternatives"][0]["reasons"]
    assert decided.status_code == 200
    assert (decided.json()["status"], decided.json()["decided_by"]) == ("confirmed", "officer-7")
    assert decided_again.status_code == 409
    assert undone.status_code == 200
    assert undone.json()["reverses_merge_id"] == decided.json()["merge_id"]
    assert (undone.json()["surviving_child_id"], undone.json()["merged_child_id"]) == (
        existing["child_id"],
        provisional["child_id"],
    )
    assert undone_again.status_code == 409


async def test_an_officer_merges_two_children_over_the_internal_api(migrated: Infrastructure) -> None:
    admin = {"X-API-Key": ADMIN_KEY}
    async with intake(migrated, intake_admin_keys={ADMIN_KEY: "casework"}) as client:
        first, second = [
            (await client.post("/api/v1/submissions/absence", json=_absence(given_name=name))).json()
            for name in ("Ava", "Mia")
        ]
        body = {"reason": "Same child", "decided_by": "officer-7"}
        merged = await client.post(
            "/api/v1/merges",
            json={"surviving_child_id": first["child_id"], "merged_child_id": second["child_id"], **body},
            headers=admin,
        )
        unknown = await client.post(
            "/api/v1/merges",
            json={"surviving_child_id": first["child_id"], "merged_child_id": str(uuid4()), **body},
            headers=admin,
        )
        reversed_order = await client.post(
            "/api/v1/merges",
            json={"surviving_child_id": second["child_id"], "merged_child_id": first["child_id"], **body},
            headers=admin,
        )
        incomplete = await client.post("/api/v1/merges", json={"surviving_child_id": first["child_id"]}, headers=admin)

    assert merged.status_code == 201
    assert merged.json()["merged_child_id"] == second["child_id"]
    assert unknown.status_code == 404
    assert reversed_order.status_code == 409
    assert incomplete.status_code == 422
