"""The outside attack run's findings, as fixed examples over HTTP (in-process intake, real PostgreSQL)."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from tests.fuzz.checks import assert_nothing_half_stored
from tests.fuzz.conftest import MAX_BODY_BYTES
from tests.support.submissions import leaver

pytestmark = [pytest.mark.integration, pytest.mark.fuzz]
LEAVER = "/api/v1/submissions/leaver"


def _fields(response: httpx.Response) -> list[str]:
    return [problem["field"] for problem in response.json()["problems"]]


async def test_nul_and_control_characters_are_rejected_naming_the_field(
    intake_client: httpx.AsyncClient, intake_rows: asyncpg.Connection
) -> None:
    in_name = leaver()
    in_name["child"]["given_name"] = "Is\x00la"
    in_id = leaver() | {"submission_id": "leaver-\x00-1"}

    name_response = await intake_client.post(LEAVER, json=in_name)
    id_response = await intake_client.post(LEAVER, json=in_id)

    assert (name_response.status_code, _fields(name_response)) == (422, ["child.given_name"])
    assert (id_response.status_code, _fields(id_response)) == (422, ["submission_id"])
    assert id_response.json()["submission_id"] is None  # an id PostgreSQL cannot hold is not stored
    await assert_nothing_half_stored(intake_rows, name_response)


@pytest.mark.parametrize(
    "submitted_at", ["9999-12-31T23:59:59Z", "9999-12-31T23:59:59+14:00", "9999-12-31T23:59:59-12:00"]
)
async def test_a_submission_time_that_overflows_is_rejected_naming_the_field(
    submitted_at: str, intake_client: httpx.AsyncClient
) -> None:
    response = await intake_client.post(LEAVER, json=leaver(submitted_at=submitted_at))

    assert (response.status_code, _fields(response)) == (422, ["submitted_at"])


async def test_a_body_that_is_not_utf8_json_is_rejected_with_a_reason(intake_client: httpx.AsyncClient) -> None:
    for body in (b'{"submission_id": "\xff\xfe"}', b"[" * 20_000 + b"]" * 20_000):
        response = await intake_client.post(LEAVER, content=body, headers={"Content-Type": "application/json"})

        assert (response.status_code, _fields(response)) == (422, ["submission"])


async def test_a_body_that_is_not_json_is_refused_as_unsupported(intake_client: httpx.AsyncClient) -> None:
    response = await intake_client.post(LEAVER, content=b"submission_id=1", headers={"Content-Type": "text/plain"})

    assert (response.status_code, _fields(response)) == (415, ["submission"])


async def test_an_oversized_body_is_refused_before_it_is_read(intake_client: httpx.AsyncClient) -> None:
    sent: list[int] = []

    async def streamed() -> AsyncIterator[bytes]:
        for _ in range(100):
            sent.append(1)
            yield b" " * 4096

    declared = await intake_client.post(
        LEAVER, content=b" " * (MAX_BODY_BYTES + 1), headers={"Content-Type": "application/json"}
    )
    chunked = await intake_client.post(LEAVER, content=streamed(), headers={"Content-Type": "application/json"})

    assert (declared.status_code, _fields(declared)) == (413, ["submission"])
    assert (chunked.status_code, _fields(chunked)) == (413, ["submission"])
    assert "64 KB" in chunked.json()["problems"][0]["message"]
    # The stream stopped being read at the limit, well before its 400 KB end.
    assert len(sent) < 100


async def test_a_ctf_id_with_control_characters_is_rejected_naming_the_field(
    intake_client: httpx.AsyncClient,
) -> None:
    response = await intake_client.post(
        "/api/v1/submissions/ctf",
        params={"submission_id": "ctf\x00id"},
        content=b"<CTfile/>",
        headers={"Content-Type": "application/xml"},
    )

    assert (response.status_code, _fields(response)) == (422, ["submission_id"])
