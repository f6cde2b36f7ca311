"""A PostgreSQL cluster and a Kafka broker of a test's own, which the test may stop and start at will.

Fault tests take their infrastructure down; the shared cluster and broker (scripts/postgres.sh, scripts/kafka.sh on
9092) serve every other engineer's runs and must never be stopped, so these are separate instances on free ports in
a temporary directory, made with the same machine binaries and scripts.
"""

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cme_runtime.suite import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[2]
PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))
_AS_ADMIN = ("-U", "postgres")
_ENCODING = ("-E", "UTF8", "--locale=C.UTF-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: run them as the unprivileged postgres user then, like postgres.sh.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@dataclass
class ThrowawayPostgres:
    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def database_url(self) -> str:
        """A DATABASE_URL template: each service connects as its own role to its own schema, as in production."""
        return f"postgresql+asyncpg://{{service}}:{{service}}@127.0.0.1:{self.port}/cme"

    @property
    def address(self) -> tuple[str, ...]:
        return ("-h", "127.0.0.1", "-p", str(self.port))

    def _pg_ctl(self, *argv: str) -> None:
        subprocess.run(_as_owner([str(PGBIN / "pg_ctl"), "-D", str(self.data), *argv]), check=True, capture_output=True)

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} -c max_connections=100"
        self._pg_ctl("-l", str(self.directory / "server.log"), "-w", "-t", "60", "-o", options, "start")

    def stop(self) -> None:
        """A fast shutdown: the server terminates every session (57P01) and refuses connections until started."""
        self._pg_ctl("-m", "fast", "-w", "stop")

    def psql(self, sql: str, database: str = "postgres") -> None:
        subprocess.run(
            [str(PGBIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", *self.address, *_AS_ADMIN, "-d", database, "-c", sql],
            check=True,
            capture_output=True,
        )

    def provision(self) -> None:
        """Database `cme` with a login role and schema per service, laid out as scripts/postgres.sh does."""
        self.psql("CREATE DATABASE cme")
        for service in SERVICE_NAMES:
            self.psql(
                f"CREATE ROLE {service} LOGIN PASSWORD '{service}'; "
                f"CREATE SCHEMA {service} AUTHORIZATION {service}; "
                f"ALTER ROLE {service} SET search_path = {service}; "
                f"REVOKE ALL ON SCHEMA public FROM {service};",
                database="cme",
            )


@contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    directory = Path(tempfile.mkdtemp(prefix="cme-fault-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
        directory.chmod(0o700)
    cluster = ThrowawayPostgres(directory, free_port())
    subprocess.run(
        _as_owner([str(PGBIN / "initdb"), "-D", str(cluster.data), *_AS_ADMIN, "--auth=trust", *_ENCODING]),
        check=True,
        capture_output=True,
    )
    cluster.start()
    try:
        cluster.provision()
        yield cluster
    finally:
        subprocess.run(
            _as_owner([str(PGBIN / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "-w", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class ThrowawayKafka:
    state: Path
    port: int
    controller_port: int

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _script(self, command: str) -> None:
        env = {
            **os.environ,
            "CME_STATE_DIR": str(self.state),
            "CME_KAFKA_PORT": str(self.port),
            "CME_KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "CME_KAFKA_BROKER_SECURITY": "PLAINTEXT",
        }
        subprocess.run([str(ROOT / "scripts/kafka.sh"), command], check=True, env=env, capture_output=True)

    def start(self) -> None:
        self._script("start")

    def stop(self) -> None:
        """Stops this broker only: kafka.sh acts on the pid file in this test's own state directory."""
        self._script("stop")


@contextmanager
def throwaway_kafka() -> Iterator[ThrowawayKafka]:
    state = Path(tempfile.mkdtemp(prefix="cme-fault-kafka-"))
    broker = ThrowawayKafka(state, free_port(), free_port())
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(state, ignore_errors=True)
