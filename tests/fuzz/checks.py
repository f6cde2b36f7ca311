"""What every fuzz case must show, whatever was sent."""

from typing import Any

import asyncpg
import httpx


def assert_not_a_server_error(response: httpx.Response, sent: Any) -> None:
    assert response.status_code < 500, f"{response.status_code} for {sent!r:.500}: {response.text[:500]}"


def assert_problems_named(response: httpx.Response) -> None:
    """A 4xx names at least one problem, each with the field (a dotted path) it concerns."""
    if not 400 <= response.status_code < 500:
        return
    body = response.json()
    problems = body.get("problems") if isinstance(body, dict) else None
    assert problems, f"{response.status_code} without problems: {response.text[:500]}"
    for problem in problems:
        assert isinstance(problem.get("field"), str) and problem["field"], problem
        assert isinstance(problem.get("message"), str) and problem["message"], problem


async def assert_nothing_half_stored(rows: asyncpg.Connection, response: httpx.Response) -> None:
    """An accepted submission has its referral; a rejected one has none, and no accepted record."""
    body = response.json()
    submission_id = body.get("submission_id") if isinstance(body, dict) else None
    if not isinstance(submission_id, str):
        return
    accepted = response.status_code in (200, 202) and body.get("status") == "accepted"
    await assert_stored_as(rows, submission_id, accepted=accepted)


async def assert_stored_as(rows: asyncpg.Connection, submission_id: str, *, accepted: bool) -> None:
    status = await rows.fetchval("SELECT status FROM submissions WHERE submission_id = $1", submission_id)
    referrals = await rows.fetchval("SELECT count(*) FROM referrals WHERE submission_id = $1", submission_id)
    if accepted:
        assert status == "accepted"
        assert referrals == 1
    else:
        assert status in (None, "rejected"), status
        assert referrals == 0
