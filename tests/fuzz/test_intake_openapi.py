"""Schemathesis against intake's own OpenAPI document, served by uvicorn on a free port (against the real
PostgreSQL): every operation, with its `not_a_server_error` check."""

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import schemathesis
import uvicorn
from hypothesis import given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.schemas import OpenApiSchema

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.fuzz.conftest import EXAMPLES, FUZZ, MAX_BODY_BYTES
from tests.support.infrastructure import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.fuzz]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def intake_openapi(migrated: Infrastructure) -> Iterator[OpenApiSchema]:
    port = _free_port()
    app = create_app(
        IntakeSettings(
            DATABASE_URL=migrated.database_url,
            KAFKA_BOOTSTRAP_SERVERS=migrated.kafka_bootstrap_servers,
            start_consumers=False,
            submission_max_bytes=MAX_BODY_BYTES,
            intake_admin_keys={"fuzz-admin-key": "fuzz"},
        )
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "intake did not start"
        assert thread.is_alive(), "intake stopped while starting"
        time.sleep(0.05)
    try:
        yield schemathesis.openapi.from_url(f"http://127.0.0.1:{port}/openapi.json")
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_no_operation_answers_with_a_server_error(intake_openapi: OpenApiSchema) -> None:
    # schemathesis.pytest.from_fixture does not run on pytest 9 (it reads a private `_nodeid`), so each
    # operation's strategy is driven here directly; the check is the same.
    operations = [result.ok() for result in intake_openapi.get_all_operations()]
    assert any(operation.path.startswith("/api/v1/submissions/") for operation in operations)
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(FUZZ, max_examples=max(EXAMPLES // 3, 10))
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=[not_a_server_error], headers={"X-API-Key": "fuzz-admin-key"})

        call()
