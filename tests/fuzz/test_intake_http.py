"""Every JSON submission contract over HTTP, fuzzed: payloads valid by the committed schema, the same with hostile
values put in, and bodies that are not JSON at all. Never a 5xx, every 4xx names a field, nothing half-stored."""

import json
from functools import cache
from typing import Any

import asyncpg
import httpx
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from contracts.base import Event
from contracts.events.intake_v1 import LeaverSubmitted
from tests.fuzz.checks import (
    assert_not_a_server_error,
    assert_nothing_half_stored,
    assert_problems_named,
    assert_stored_as,
)
from tests.fuzz.conftest import FUZZ, MAX_BODY_BYTES
from tests.fuzz.strategies import JSON_TYPES, RAW_BODIES, from_schema, latest_schema, mutated, with_fresh_id
from tests.support.submissions import leaver

pytestmark = [pytest.mark.integration, pytest.mark.fuzz]


def _path(model: type[Event]) -> str:
    return f"/api/v1/submissions/{model.model_fields['submission_type'].default}"


@cache
def _payloads(model: type[Event]) -> st.SearchStrategy[Any]:
    valid = from_schema(latest_schema(model.event_type))
    if model is LeaverSubmitted:
        # Schema-valid payloads rarely pass the rules (UPN check letters, real schools); a realistic leaver does,
        # so accepted submissions and their storage are fuzzed too.
        valid = st.one_of(valid, st.builds(leaver))
    return st.one_of(valid, mutated(valid))


@pytest.mark.parametrize("model", JSON_TYPES, ids=lambda model: model.event_type)
@given(data=st.data())
@FUZZ
async def test_no_submission_gets_a_server_error_or_is_half_stored(
    model: type[Event], data: st.DataObject, intake_client: httpx.AsyncClient, intake_rows: asyncpg.Connection
) -> None:
    payload = with_fresh_id(data.draw(_payloads(model), label="payload"))
    # Encoded here, not by httpx: ASCII-escaped, so a lone surrogate or NaN arrives as a hostile producer sends it.
    body = json.dumps(payload).encode()
    response = await intake_client.post(_path(model), content=body, headers={"Content-Type": "application/json"})
    event(f"HTTP {response.status_code}")  # --hypothesis-show-statistics shows how many got how far
    assert_not_a_server_error(response, payload)
    assert_problems_named(response)
    await assert_nothing_half_stored(intake_rows, response)


@given(data=st.data())
@FUZZ
async def test_no_batch_gets_a_server_error_and_each_entry_gets_its_own_outcome(
    data: st.DataObject, intake_client: httpx.AsyncClient, intake_rows: asyncpg.Connection
) -> None:
    forms = data.draw(st.lists(st.sampled_from(JSON_TYPES), min_size=1, max_size=4), label="forms")
    entries = [with_fresh_id(data.draw(_payloads(model), label="entry")) for model in forms]
    body = json.dumps({"submissions": entries}).encode()
    response = await intake_client.post(
        "/api/v1/submissions/batch", content=body, headers={"Content-Type": "application/json"}
    )
    event(f"HTTP {response.status_code}")
    assert_not_a_server_error(response, entries)
    assert_problems_named(response)
    if response.status_code != 200:
        return
    results = response.json()["results"]
    assert [result["index"] for result in results] == list(range(len(entries)))
    for result in results:
        if result["status"] == "rejected":
            assert result["problems"], result
            assert all(problem["field"] and problem["message"] for problem in result["problems"]), result
        if isinstance(result["submission_id"], str):
            await assert_stored_as(intake_rows, result["submission_id"], accepted=result["status"] == "accepted")


@given(body=RAW_BODIES, content_type=st.sampled_from(["application/json", "text/plain", "", "application/x+json"]))
@FUZZ
async def test_bodies_that_are_not_json_are_refused_with_a_reason(
    body: bytes, content_type: str, intake_client: httpx.AsyncClient
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await intake_client.post("/api/v1/submissions/leaver", content=body, headers=headers)
    assert_not_a_server_error(response, body)
    assert_problems_named(response)
    if len(body) > MAX_BODY_BYTES and content_type.endswith("json"):
        assert response.status_code == 413
