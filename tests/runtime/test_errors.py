"""Unexpected errors reach neither the client nor the logs with the data they quote."""

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import exc as sqlalchemy_errors

from cme_runtime.errors import HideUnexpectedErrors
from cme_runtime.logging import configure_logging

SECRET = "Amelia Ashdown 2015-03-14"


def failing_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(HideUnexpectedErrors)

    @app.get("/boom")
    async def boom() -> None:
        raise ValueError(f"duplicate key value violates unique constraint: Key (name)=({SECRET}) already exists")

    return app


async def test_an_unexpected_error_is_a_plain_500_logged_by_kind_only(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("test")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(failing_app()), base_url="http://test") as client:
        response = await client.get("/boom")

    assert response.status_code == 500
    assert SECRET not in response.text
    assert response.json()["error_id"]
    logged = capsys.readouterr()
    assert "ValueError" in logged.out
    assert response.json()["error_id"] in logged.out
    assert SECRET not in logged.out + logged.err


async def test_an_outage_is_a_503_saying_to_send_again_not_a_500(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("test")
    app = FastAPI()
    app.add_middleware(HideUnexpectedErrors)

    @app.post("/submit")
    async def submit() -> None:
        # What SQLAlchemy raises when every pooled connection is busy for longer than the pool's timeout.
        raise sqlalchemy_errors.TimeoutError(f"QueuePool limit reached while storing {SECRET}")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
        response = await client.post("/submit")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "send it again" in response.json()["detail"]
    assert SECRET not in response.text
    logged = capsys.readouterr()
    assert "transient: TimeoutError" in logged.out
    assert SECRET not in logged.out + logged.err
