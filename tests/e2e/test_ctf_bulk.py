"""Issue 3 acceptance: Common Transfer Files through the intake API, on real Kafka and PostgreSQL.

Every pupil is fictional (tests/fixtures/ctf/make_ctf.py)."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from contracts import topics
from tests.support.kafka import Record, read_until
from tests.support.submissions import leaver
from tests.support.suite import RunningSuite
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ctf"
MALFORMED_INDEX = 317
DOCTYPE_MESSAGE = "The file contains a document type declaration (DOCTYPE), which a CTF never has"

XXE = (
    b'<?xml version="1.0"?><!DOCTYPE CTfile [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    b"<CTfile><Header><DocumentName>&secret;</DocumentName></Header></CTfile>"
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{level} "{("&lol" + (str(level - 1) if level > 1 else "") + ";") * 10}">'.encode()
        for level in range(1, 10)
    )
    + b"]><CTfile><Header><DocumentName>&lol9;</DocumentName></Header></CTfile>"
)


async def post_ctf(suite: RunningSuite, content: bytes, file_id: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=180) as client:
        return await client.post(
            suite.url("intake", "/api/v1/submissions/ctf"),
            content=content,
            headers={"Content-Type": "application/xml", "Idempotency-Key": file_id},
        )


def ctf_file(*pupils: dict[str, Any]) -> bytes:
    """A small CTF from Silverbirch High School (fictional) to Owlpen Ridge High School (fictional)."""
    pupil_elements = "".join(
        f"<Pupil><UPN>{pupil['upn']}</UPN><Surname>{pupil['family_name']}</Surname>"
        f"<Forename>{pupil['given_name']}</Forename><DOB>{pupil['date_of_birth']}</DOB><Sex>{pupil['sex']}</Sex>"
        f"<Address><AddressLines><AddressLine1>{pupil['address']['line1']}</AddressLine1></AddressLines>"
        f"<PostCode>{pupil['address']['postcode']}</PostCode></Address></Pupil>"
        for pupil in pupils
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><CTfile><Header><DocumentName>Common Transfer File</DocumentName>'
        f"<CTFversion>25.0</CTFversion><DateTime>{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}</DateTime>"
        "<SourceSchool><LEA>885</LEA><Estab>4028</Estab><SchoolName>Silverbirch High School (fictional)</SchoolName>"
        "</SourceSchool><DestSchool><LEA>885</LEA><Estab>4027</Estab></DestSchool></Header>"
        f"<CTFpupilData>{pupil_elements}</CTFpupilData></CTfile>"
    ).encode()


async def test_a_500_pupil_file_keeps_the_good_pupils_and_rejects_the_malformed_one_by_position(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    content = (FIXTURES / "ctf_500_one_malformed.xml").read_bytes()
    file_id = f"test-ctf-{uuid4().hex}"

    response = await post_ctf(suite, content, file_id)

    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["pupils"], body["accepted"], body["rejected"]) == (500, 499, 1)
    assert {problem["index"] for problem in body["problems"]} == {MALFORMED_INDEX}
    assert {(problem["field"], problem["message"]) for problem in body["problems"]} == {
        ("Surname", "Surname is missing. Add it in the school's MIS and export the file again"),
        ("DOB", "Date of birth is not a real date. Correct it in the school's MIS and export the file again"),
    }
    assert all(problem["line"] > 0 for problem in body["problems"])

    pupils = await db["intake"].fetch(
        "SELECT submission_id, status, child_id FROM submissions WHERE part_of = $1", file_id
    )
    assert len(pupils) == 500
    rejected = [row for row in pupils if row["status"] == "rejected"]
    assert [row["submission_id"] for row in rejected] == [f"{file_id}#{MALFORMED_INDEX}"]
    assert rejected[0]["child_id"] is None
    assert all(row["child_id"] is not None for row in pupils if row["status"] == "accepted")
    assert len({row["child_id"] for row in pupils if row["status"] == "accepted"}) == 499

    def rejected_ids(records: list[Record]) -> list[str]:
        ids = (json.loads(record.value).get("submission_id") or "" for record in records)
        return [submission_id for submission_id in ids if submission_id.startswith(f"{file_id}#")]

    malformed_id = f"{file_id}#{MALFORMED_INDEX}"
    records = await read_until(
        suite.kafka, suite.topic(topics.INTAKE_REJECTED), lambda records: malformed_id in rejected_ids(records)
    )
    assert rejected_ids(records) == [malformed_id]
    event = next(json.loads(r.value) for r in records if json.loads(r.value).get("submission_id") == malformed_id)
    assert event["submission_type"] == "ctf"
    assert {problem["field"] for problem in event["problems"]} == {"Surname", "DOB"}

    again = await post_ctf(suite, content, file_id)

    assert again.status_code == 200
    assert again.json() == {**body, "duplicate": True}
    assert await db["intake"].fetchval("SELECT count(*) FROM submissions WHERE part_of = $1", file_id) == 500
    assert await db["intake"].fetchval("SELECT count(*) FROM ctf_files WHERE submission_id = $1", file_id) == 1


async def test_only_a_pupil_already_known_to_cme_work_becomes_a_bulk_feed_referral(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    known = leaver()
    async with httpx.AsyncClient(timeout=30) as client:
        accepted = await client.post(suite.url("intake", "/api/v1/submissions/leaver"), json=known)
    assert accepted.status_code == 202, accepted.text
    known_child_id = accepted.json()["child_id"]
    unknown = leaver()["child"]
    file_id = f"test-ctf-{uuid4().hex}"

    response = await post_ctf(suite, ctf_file(known["child"], unknown), file_id)

    assert response.status_code == 202, response.text
    assert (response.json()["accepted"], response.json()["rejected"]) == (2, 0)
    pupils = {
        row["submission_id"]: row
        for row in await db["intake"].fetch(
            "SELECT submission_id, child_id, referral_id FROM submissions WHERE part_of = $1", file_id
        )
    }
    assert str(pupils[f"{file_id}#0"]["child_id"]) == known_child_id
    assert pupils[f"{file_id}#0"]["referral_id"] is not None
    assert pupils[f"{file_id}#1"]["child_id"] is not None
    assert pupils[f"{file_id}#1"]["referral_id"] is None
    assert await db["intake"].fetchval("SELECT kind FROM referrals WHERE submission_id = $1", f"{file_id}#0") == (
        "ctf_bulk"
    )

    async def decision() -> asyncpg.Record | None:
        return await db["triage"].fetchrow(
            "SELECT referral_kind, is_cme, track FROM decisions WHERE referral_id = $1",
            pupils[f"{file_id}#0"]["referral_id"],
        )

    decided = await eventually(decision, what="the bulk-feed referral's triage decision")
    assert (decided["referral_kind"], decided["is_cme"], decided["track"]) == ("ctf_bulk", False, "no_action")


@pytest.mark.parametrize("attack", [XXE, BILLION_LAUGHS], ids=["xxe", "billion-laughs"])
async def test_a_file_with_entity_tricks_is_refused_and_nothing_is_stored(
    suite: RunningSuite, db: dict[str, asyncpg.Connection], attack: bytes
) -> None:
    file_id = f"test-ctf-{uuid4().hex}"

    response = await post_ctf(suite, attack, file_id)

    assert response.status_code == 422
    assert response.json() == {
        "status": "rejected",
        "submission_id": file_id,
        "problems": [{"field": "file", "message": DOCTYPE_MESSAGE}],
    }
    assert await db["intake"].fetchval("SELECT count(*) FROM ctf_files WHERE submission_id = $1", file_id) == 0
    assert await db["intake"].fetchval("SELECT count(*) FROM submissions WHERE part_of = $1", file_id) == 0
    assert await db["intake"].fetchval("SELECT count(*) FROM referrals WHERE submission_id LIKE $1", f"{file_id}%") == 0
    # Only the rejection itself is kept, so the same id sent again gets the same answer.
    assert await db["intake"].fetchval("SELECT status FROM submissions WHERE submission_id = $1", file_id) == (
        "rejected"
    )


async def test_a_file_that_is_not_a_ctf_is_rejected_whole(suite: RunningSuite) -> None:
    response = await post_ctf(suite, b"<html><body>Not a transfer file</body></html>", f"test-ctf-{uuid4().hex}")

    assert response.status_code == 422
    assert response.json()["problems"] == [
        {"field": "file", "message": "The file is XML but not a Common Transfer File (its root element is not CTfile)"}
    ]
