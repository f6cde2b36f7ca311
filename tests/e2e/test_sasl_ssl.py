"""Issue 11 acceptance: the thin path runs over SASL_SSL, each process logged in as its own KafkaUser with the
generated ACLs enforced by the broker, as the production overlay deploys it."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError
from pydantic import SecretStr

from cme_runtime.kafka_security import aiokafka_options
from contracts import topics
from tests.support.secure_suite import SecureSuite, running_secure_suite
from tests.support.submissions import leaver
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

API_TOKEN = "test-suite-token"


@pytest.fixture(scope="module")
async def secure_suite(artifacts: Path) -> AsyncIterator[SecureSuite]:
    async with running_secure_suite(artifacts / "logs") as running:
        yield running


async def cases_for_child(suite: SecureSuite, child_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(
            suite.url("casework", "/api/v1/cases"),
            params={"child_id": child_id},
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
    response.raise_for_status()
    return list(response.json()["cases"])


async def test_a_moved_away_leaver_becomes_a_case_over_sasl_ssl(secure_suite: SecureSuite) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(secure_suite.url("intake", "/api/v1/submissions/leaver"), json=leaver())
    assert response.status_code == 202, response.text
    child_id = response.json()["child_id"]

    async def probe() -> list[dict[str, Any]] | None:
        return await cases_for_child(secure_suite, child_id) or None

    # intake's outbox -> relay (cme-relay) -> triage (cme-triage) -> relay -> casework (cme-casework)
    cases = await eventually(probe, timeout=90, what="a case opened over SASL_SSL")
    assert [(case["status"], case["track"]) for case in cases] == [("triaged", "cme_enquiry")]


async def test_the_broker_refuses_what_a_users_acls_do_not_grant(secure_suite: SecureSuite) -> None:
    """The ACLs are enforced, so the previous test passing means the generated ones are enough."""
    broker = secure_suite.broker
    # triage may dead-letter, not forge a case event (only the relay publishes them).
    producer = AIOKafkaProducer(
        bootstrap_servers=broker.bootstrap_servers, **aiokafka_options(broker.client_settings("cme-triage"))
    )
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(topics.CASE_LIFECYCLE, b"{}")
    finally:
        await producer.stop()
    # notify may not forge a school's submission either.
    producer = AIOKafkaProducer(
        bootstrap_servers=broker.bootstrap_servers, **aiokafka_options(broker.client_settings("cme-notify"))
    )
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(topics.INTAKE_LEAVER, b"{}")
    finally:
        await producer.stop()


async def test_a_client_with_a_wrong_password_cannot_connect(secure_suite: SecureSuite) -> None:
    settings = secure_suite.broker.client_settings("cme-intake").model_copy(
        update={"kafka_password": SecretStr("not-the-password")}
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=secure_suite.broker.bootstrap_servers, request_timeout_ms=5000, **aiokafka_options(settings)
    )
    with pytest.raises(KafkaError):
        await producer.start()
    await producer.stop()
