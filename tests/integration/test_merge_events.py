"""Intake publishes every merge and unmerge through its outbox, in the transaction that records it: an officer's
review decision, the merge endpoint, and the automatic merge an exact permanent UPN proves. Real PostgreSQL, the
outbox rows read back; Kafka is not needed (the relay is not running, so the rows stay)."""

import json
import random
import string
from contextlib import AbstractAsyncContextManager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from tests.support.infrastructure import Infrastructure
from tests.support.intake import intake_client
from tests.support.submissions import valid_upn

pytestmark = pytest.mark.integration

_rng = random.Random()
ADMIN = {"X-API-Key": "admin-key-for-merge-tests"}


def intake(migrated: Infrastructure) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return intake_client(migrated, intake_admin_keys={ADMIN["X-API-Key"]: "cw"})



def surname() -> str:
    return "".join(_rng.choices(string.ascii_lowercase, k=12)).title()


def absence(**child: Any) -> dict[str, Any]:
    """An absence return about an invented child; `child` overrides its details."""
    return {
        "submission_type": "absence",
        "submission_id": f"merge-test-{uuid4().hex}",
        "submitted_at": datetime.now(UTC).isoformat(),
        "school": {"establishment_id": "8852001"},
        "child": {
            "given_name": "Isla",
            "family_name": surname(),
            "date_of_birth": (date(2012, 9, 1) + timedelta(days=_rng.randint(0, 7 * 365))).isoformat(),
            "sex": "F",
            "address": {
                "line1": f"{_rng.randint(1, 999)} {''.join(_rng.choices(string.ascii_lowercase, k=10)).title()} Close",
                "postcode": f"WR{_rng.randint(1, 15)} {_rng.randint(1, 9)}AB",
            },
        }
        | child,
        "reason": "continuous_10_days",
        "first_day_of_absence": datetime.now(UTC).date().isoformat(),
    }


async def submit(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/api/v1/submissions/absence", json=body)
    assert response.status_code in {200, 201, 202}, response.text
    result: dict[str, Any] = response.json()
    return result


async def identity_rows(db: asyncpg.Connection, merge_id: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT type, aggregatetype, aggregateid, subject, payload FROM outbox "
        "WHERE type LIKE 'cme.identity.%' AND payload->>'merge_id' = $1 ORDER BY seq",
        merge_id,
    )
    return [dict(row) | {"payload": json.loads(row["payload"])} for row in rows]


async def test_a_confirmed_review_and_its_undo_are_each_published_once(
    migrated: Infrastructure, intake_db: asyncpg.Connection
) -> None:
    async with intake(migrated) as client:
        first = absence(given_name="Grace", middle_names="Isla Grace")
        existing = await submit(client, first)
        provisional = await submit(
            client, absence(**(first["child"] | {"given_name": "Isla", "middle_names": "Grace"}))
        )
        assert provisional["identity_decision"] == "needs_review"
        listed = (await client.get("/api/v1/match-reviews", params={"limit": 500}, headers=ADMIN)).json()["reviews"]
        review = next(item for item in listed if item["child_id"] == provisional["child_id"])

        decided = (
            await client.post(
                f"/api/v1/match-reviews/{review['review_id']}/decision",
                json={
                    "decision": "confirm",
                    "decided_by": "officer-7",
                    "reason": f"Same child {first['child']['family_name']}",
                },
                headers=ADMIN,
            )
        ).json()
        merge_id = decided["merge_id"]
        after_merge = await identity_rows(intake_db, merge_id)
        undone = await client.post(
            f"/api/v1/merges/{merge_id}/undo",
            json={"reason": "Twins after all", "decided_by": "officer-9"},
            headers=ADMIN,
        )
        assert undone.status_code == 200
        after_undo = await identity_rows(intake_db, merge_id)

    [merged] = after_merge
    assert merged["type"] == "cme.identity.children_merged.v1"
    assert merged["aggregatetype"].endswith("cme.identity.merge.v1")
    assert merged["aggregateid"] == existing["child_id"]  # keyed by the surviving child
    payload = merged["payload"]
    assert (payload["surviving_child_id"], payload["merged_child_id"]) == (
        existing["child_id"],
        provisional["child_id"],
    )
    assert (payload["decided_by"], payload["reason"], payload["review_id"]) == (
        "officer-7",
        "match_review_confirmed",
        review["review_id"],
    )
    # The officer's words may name the child: they stay in intake, and so does every personal detail.
    assert first["child"]["family_name"] not in json.dumps(payload)
    [_, undo] = after_undo
    assert undo["type"] == "cme.identity.children_merge_undone.v1"
    assert undo["aggregateid"] == existing["child_id"]
    assert (undo["payload"]["undone_by"], undo["payload"]["unmerge_id"]) == ("officer-9", undone.json()["merge_id"])


async def test_a_rejected_review_publishes_nothing(migrated: Infrastructure, intake_db: asyncpg.Connection) -> None:
    async with intake(migrated) as client:
        first = absence(given_name="Grace", middle_names="Isla Grace")
        await submit(client, first)
        provisional = await submit(
            client, absence(**(first["child"] | {"given_name": "Isla", "middle_names": "Grace"}))
        )
        listed = (await client.get("/api/v1/match-reviews", params={"limit": 500}, headers=ADMIN)).json()["reviews"]
        review = next(item for item in listed if item["child_id"] == provisional["child_id"])
        rejected = await client.post(
            f"/api/v1/match-reviews/{review['review_id']}/decision",
            json={"decision": "reject", "decided_by": "officer-7"},
            headers=ADMIN,
        )

    assert rejected.status_code == 200
    count = await intake_db.fetchval(
        "SELECT count(*) FROM outbox WHERE type LIKE 'cme.identity.%' AND payload->>'merged_child_id' = $1",
        provisional["child_id"],
    )
    assert count == 0


async def test_the_merge_endpoint_publishes_the_merge_and_a_refused_merge_publishes_nothing(
    migrated: Infrastructure, intake_db: asyncpg.Connection
) -> None:
    async with intake(migrated) as client:
        first, second = [await submit(client, absence(given_name=name)) for name in ("Ava", "Mia")]
        body = {"reason": "Same child", "decided_by": "officer-7"}
        merged = await client.post(
            "/api/v1/merges",
            json={"surviving_child_id": first["child_id"], "merged_child_id": second["child_id"], **body},
            headers=ADMIN,
        )
        refused = await client.post(
            "/api/v1/merges",
            json={"surviving_child_id": second["child_id"], "merged_child_id": first["child_id"], **body},
            headers=ADMIN,
        )

    assert (merged.status_code, refused.status_code) == (201, 409)
    [row] = await identity_rows(intake_db, merged.json()["merge_id"])
    assert row["payload"]["reason"] == "officer_merge"
    assert (row["aggregateid"], row["payload"]["merged_child_id"]) == (first["child_id"], second["child_id"])
    refused_rows = await intake_db.fetchval(
        "SELECT count(*) FROM outbox WHERE type LIKE 'cme.identity.%' AND payload->>'merged_child_id' = $1",
        first["child_id"],
    )
    assert refused_rows == 0


async def test_a_permanent_upn_proving_two_kept_apart_records_one_child_merges_them_automatically(
    migrated: Infrastructure, intake_db: asyncpg.Connection
) -> None:
    upn = valid_upn()
    child = absence(upn=upn, sex="F")["child"]
    mistyped = child | {
        "date_of_birth": (date.fromisoformat(child["date_of_birth"]) - timedelta(days=800)).isoformat(),
        "sex": "M",
    }
    async with intake(migrated) as client:
        kept = await submit(client, absence(**child))
        apart = await submit(client, absence(**mistyped))
        # The UPN is the same, but the date of birth and the sex both differ: intake kept them apart for an officer.
        assert apart["identity_decision"] == "needs_review"
        bridging = await submit(client, absence(**(child | {"sex": "M"})))
        again = await submit(client, absence(**mistyped))
        listed = await client.get("/api/v1/match-reviews", params={"status": "all", "limit": 500}, headers=ADMIN)
        reviews = [item for item in listed.json()["reviews"] if item["child_id"] == apart["child_id"]]

    assert bridging["identity_decision"] == "matched_existing"
    assert bridging["child_id"] == kept["child_id"]  # the record made first survives
    assert again["child_id"] == kept["child_id"]
    rows = await intake_db.fetch(
        "SELECT aggregateid, payload FROM outbox WHERE type = 'cme.identity.children_merged.v1' "
        "AND payload->>'merged_child_id' = $1",
        apart["child_id"],
    )
    [row] = rows
    payload = json.loads(row["payload"])
    assert (row["aggregateid"], payload["surviving_child_id"]) == (kept["child_id"], kept["child_id"])
    assert (payload["decided_by"], payload["reason"]) == ("automatic", "same_permanent_upn")
    assert upn not in json.dumps(payload)
    assert [(review["status"], review["decided_by"]) for review in reviews] == [("confirmed", "automatic")]
