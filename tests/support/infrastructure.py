"""Real Kafka and PostgreSQL for the tests: configured, from Docker, or provisioned by the project's scripts.

1. KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL set: use them (CI, or a developer's own services).
2. Otherwise, when a Docker engine answers: testcontainers' Kafka and PostgreSQL.
3. Otherwise: scripts/kafka.sh and scripts/postgres.sh start a local broker and a throwaway cluster, and the
   run gets a database of its own.
"""

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

from cme_runtime.suite import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[2]
SERVICES = SERVICE_NAMES


@dataclass(frozen=True)
class Infrastructure:
    kafka_bootstrap_servers: str
    database_url: str  # may hold {service}: each service then connects as its own role

    def service_database_url(self, service: str) -> str:
        return self.database_url.replace("{service}", service)


def _docker_available() -> bool:
    try:
        import docker  # noqa: PLC0415 - installed with testcontainers

        docker.from_env().ping()
    except Exception:
        return False
    return True


@contextmanager
def _containers() -> Iterator[Infrastructure]:
    from testcontainers.kafka import KafkaContainer  # noqa: PLC0415
    from testcontainers.postgres import PostgresContainer  # noqa: PLC0415

    with (
        KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft().with_cluster_id("MkU3OEVBNTcwNTJENDM2Qk") as kafka,
        PostgresContainer("postgres:15", driver="asyncpg") as postgres,
    ):
        # One role for every service here; each still gets its own schema (created by its migrations).
        yield Infrastructure(kafka.get_bootstrap_server(), postgres.get_connection_url())


def _script_output(*argv: str) -> str:
    return subprocess.run(argv, cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


@contextmanager
def _local_services() -> Iterator[Infrastructure]:
    """The project's own broker and cluster, with a database of this run's own (dropped afterwards)."""
    subprocess.run([str(ROOT / "scripts/kafka.sh"), "start"], check=True)
    subprocess.run([str(ROOT / "scripts/postgres.sh"), "start"], check=True)
    kafka = _script_output(str(ROOT / "scripts/kafka.sh"), "env").split("=", 1)[1]
    name = f"cme_test_{uuid4().hex[:12]}"
    database = _script_output(str(ROOT / "scripts/postgres.sh"), "create-db", name).split("=", 1)[1]
    try:
        yield Infrastructure(kafka, database)
    finally:
        subprocess.run([str(ROOT / "scripts/postgres.sh"), "drop-db", name], check=False, capture_output=True)


@contextmanager
def infrastructure() -> Iterator[Infrastructure]:
    kafka, database = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("DATABASE_URL")
    if kafka and database:
        yield Infrastructure(kafka, database)
    elif _docker_available():
        with _containers() as provided:
            yield provided
    else:
        with _local_services() as provided:
            yield provided
