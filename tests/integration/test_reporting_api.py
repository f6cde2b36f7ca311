"""Reporting's internal API (what casework's Reports pages call): only the service token is answered, there is
no API at all without one, and the counts-only pack names no child (no agenda, no case ids for the audit)."""

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from services.reporting.app import create_app
from services.reporting.entrypoints.http import CASE_IDS_HEADER
from services.reporting.settings import ReportingSettings
from tests.support.infrastructure import Infrastructure

pytestmark = pytest.mark.integration

TOKEN = "reporting-api-test-token"
WEEK = "2026-11-02"


def settings(infra: Infrastructure, token: str | None) -> ReportingSettings:
    return ReportingSettings(
        DATABASE_URL=infra.database_url, KAFKA_BOOTSTRAP_SERVERS=infra.kafka_bootstrap_servers,
        internal_api_token=SecretStr(token) if token else None, start_consumers=False,
    )


async def client(infra: Infrastructure, token: str | None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(infra, token))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting") as each:
        yield each
    await app.state.runtime.engine.dispose()


@pytest.fixture
async def api(migrated: Infrastructure) -> AsyncIterator[httpx.AsyncClient]:
    async for each in client(migrated, TOKEN):
        yield each


async def test_only_the_service_token_is_answered(api: httpx.AsyncClient) -> None:
    assert (await api.get(f"/internal/v1/packs/{WEEK}/fragment")).status_code == 401
    wrong = await api.get(f"/internal/v1/packs/{WEEK}/fragment", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


async def test_the_pack_comes_as_html_pdf_and_zipped_csv(api: httpx.AsyncClient) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    fragment = await api.get(f"/internal/v1/packs/{WEEK}/fragment", headers=headers)
    assert fragment.status_code == 200 and fragment.headers["content-type"].startswith("text/html")
    assert "Missing Mondays pack" in fragment.text and "<html" not in fragment.text
    assert CASE_IDS_HEADER in fragment.headers
    counts_only = await api.get(f"/internal/v1/packs/{WEEK}/fragment?counts_only=true", headers=headers)
    assert "Missing Mondays agenda" not in counts_only.text and CASE_IDS_HEADER not in counts_only.headers
    pdf = await api.get(f"/internal/v1/packs/{WEEK}/pdf", headers=headers)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    archive = await api.get(f"/internal/v1/packs/{WEEK}/csv", headers=headers)
    assert archive.headers["content-type"] == "application/zip" and archive.content.startswith(b"PK")


async def test_without_a_token_configured_there_is_no_api(migrated: Infrastructure) -> None:
    async for api in client(migrated, None):
        response = await api.get(f"/internal/v1/packs/{WEEK}/fragment", headers={"Authorization": "Bearer x"})
        assert response.status_code == 404
