"""The whole suite running as processes against real Kafka and PostgreSQL, for end-to-end tests."""

import asyncio
import socket
import sys
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

from cme_cli.bootstrap import create_topics
from cme_cli.suite import DEFAULT_PORTS, ProcessSpec, base_environment, suite_specs
from cme_cli.supervisor import Supervisor
from tests.support.infrastructure import Infrastructure


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningSuite:
    supervisor: Supervisor
    specs: dict[str, ProcessSpec]
    topic_prefix: str
    kafka: str
    database_url: str
    log_dir: Path

    def url(self, service: str, path: str = "") -> str:
        return self.specs[service].base_url + path

    def topic(self, name: str) -> str:
        return self.topic_prefix + name

    def restart(self, service: str) -> None:
        self.supervisor.start(service)
        self.supervisor.wait_ready([service])


async def ensure_test_runner_user(env: dict[str, str]) -> None:
    """The JSON API acts only as a real, active user: the tests read as a group manager (read-only)."""
    command = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "services.casework", "ensure-service-user", "test-runner", "group_manager"),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert await command.wait() == 0


@asynccontextmanager
async def running_suite(
    infra: Infrastructure,
    otlp_endpoint: str,
    log_root: Path,
    *,
    extra_env: Mapping[str, str] | None = None,
    database_url: str | None = None,
    processes: Collection[str] | None = None,
    ports: Mapping[str, int] | None = None,
    ready_timeout: float = 90,
) -> AsyncIterator[RunningSuite]:
    """All five services and the relay as processes, on topics of their own (prefixed per run).

    A second copy of the suite (another authority, tests/support/two_authorities.py) passes its own database,
    its own settings on top of the test defaults, its own ports, and may start only the processes its flow needs."""
    prefix = f"t{uuid4().hex[:8]}."
    database_url = database_url or infra.database_url
    await create_topics(infra.kafka_bootstrap_servers, prefix)
    env = base_environment(
        {
            "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
            "DATABASE_URL": database_url,
            "CME_TOPIC_PREFIX": prefix,
            "CME_CONSUMER_GROUP_PREFIX": prefix + "cme",
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "CME_LOG_LEVEL": "INFO",
            "CME_API_TOKENS": '{"test-suite-token": "test-runner"}',
            # Intake's internal identity endpoints (match reviews, merges), for the merge tests.
            "CME_INTAKE_ADMIN_KEYS": '{"test-suite-admin-key": "test-runner"}',
            "CME_SESSION_COOKIE_SECURE": "false",
            # A notify sender killed mid-send leaves its claim leased; a short lease lets the restarted process
            # take the message over within the test (production keeps 5 minutes). Longer than a send's retries.
            "CME_SEND_LEASE_SECONDS": "20",
            # ... and waits for a slow Notify (the stand-in's scripted "hang", 60 s) rather than timing out first.
            "CME_GOV_NOTIFY_TIMEOUT_SECONDS": "90",
            **(extra_env or {}),
        }
    )
    specs = suite_specs(env, ports or {name: free_port() for name in DEFAULT_PORTS})
    if processes is not None:
        specs = {name: spec for name, spec in specs.items() if name in processes}
    log_dir = log_root / prefix.rstrip(".")
    supervisor = Supervisor(specs.values(), log_dir)
    await ensure_test_runner_user(env)
    supervisor.start_all()
    try:
        supervisor.wait_ready(timeout=ready_timeout)
        yield RunningSuite(supervisor, specs, prefix, infra.kafka_bootstrap_servers, database_url, log_dir)
    finally:
        supervisor.stop_all()
