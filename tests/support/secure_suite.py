"""The suite as processes on a Kafka broker secured the way production's is: SASL_SSL with SCRAM-SHA-512, a CA of
its own, and the generated KafkaUser ACLs enforced (scripts/kafka.sh with CME_KAFKA_BROKER_SECURITY=SASL_SSL).

Each process logs in as its own KafkaUser, exactly as in the production overlay, so a missing ACL shows up as a
process that cannot start or consume. Topic names and consumer groups are production's (no per-run prefix: the
broker is this suite's alone and deny-by-default ACLs name literal topics), and the run gets a database of its own,
so that its relay, which then claims every outbox row, never sees another test run's rows.
"""

import asyncio
import dataclasses
import os
import subprocess
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pydantic import SecretStr

from cme_cli.bootstrap import migrate_all
from cme_cli.suite import DEFAULT_PORTS, base_environment, suite_specs
from cme_cli.supervisor import Supervisor
from cme_runtime.kafka_security import aiokafka_options
from cme_runtime.settings import ServiceSettings
from cme_runtime.suite import SERVICE_NAMES
from contracts import topics
from contracts.exchange.messages_v1 import exchange_topic
from tests.support.suite import ensure_test_runner_user, free_port

ROOT = Path(__file__).resolve().parents[2]
KAFKA_SCRIPT = ROOT / "scripts" / "kafka.sh"
POSTGRES_SCRIPT = ROOT / "scripts" / "postgres.sh"
PARTITIONS = 3
# Notify's default, as in deploy/k8s/base/config.yaml: the ACLs name this authority's exchange topic literally.
HOME_LA_CODE = "885"


@dataclass(frozen=True)
class SecureBroker:
    bootstrap_servers: str
    ca_file: str
    state_dir: Path

    def password(self, user: str) -> str:
        return (self.state_dir / "kafka" / "users" / user).read_text().strip()

    def client_environment(self, user: str) -> dict[str, str]:
        """The variables a process reads its Kafka connection from (cme_runtime.settings), logged in as `user`."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "CME_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "CME_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "CME_KAFKA_USERNAME": user,
            "CME_KAFKA_PASSWORD": self.password(user),
            "CME_KAFKA_CA_FILE": self.ca_file,
        }

    def client_settings(self, user: str) -> ServiceSettings:
        return ServiceSettings(
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_username=user,
            kafka_password=SecretStr(self.password(user)),
            kafka_ca_file=self.ca_file,
        )


def _broker_environment() -> dict[str, str]:
    """Its own port and state directory, so it runs beside the plaintext broker the other tests use."""
    state = os.environ.get("CME_SASL_STATE_DIR", f"/tmp/cme-{os.getuid()}-sasl")  # noqa: S108 - like kafka.sh
    return {
        **os.environ,
        "CME_KAFKA_BROKER_SECURITY": "SASL_SSL",
        "CME_KAFKA_PORT": os.environ.get("CME_SASL_KAFKA_PORT", "9192"),
        "CME_KAFKA_CONTROLLER_PORT": os.environ.get("CME_SASL_KAFKA_CONTROLLER_PORT", "9193"),
        "CME_STATE_DIR": state,
    }


@contextmanager
def secure_broker() -> Iterator[SecureBroker]:
    """Start the SASL_SSL broker unless it already runs; stop it afterwards only if this started it."""
    environment = _broker_environment()
    already_running = (
        subprocess.run([str(KAFKA_SCRIPT), "status"], env=environment, capture_output=True, check=False).returncode == 0
    )
    subprocess.run([str(KAFKA_SCRIPT), "start"], env=environment, check=True)
    printed = subprocess.run(
        [str(KAFKA_SCRIPT), "env"], env=environment, check=True, capture_output=True, text=True
    ).stdout
    settings = dict(line.split("=", 1) for line in printed.splitlines() if "=" in line)
    assert settings["CME_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    try:
        yield SecureBroker(
            settings["KAFKA_BOOTSTRAP_SERVERS"], settings["CME_KAFKA_CA_FILE"], Path(environment["CME_STATE_DIR"])
        )
    finally:
        if not already_running:
            subprocess.run([str(KAFKA_SCRIPT), "stop"], env=environment, check=False)


@contextmanager
def own_database() -> Iterator[str]:
    subprocess.run([str(POSTGRES_SCRIPT), "start"], check=True)
    name = f"cme_sasl_{uuid4().hex[:12]}"
    printed = subprocess.run(
        [str(POSTGRES_SCRIPT), "create-db", name], check=True, capture_output=True, text=True
    ).stdout.strip()
    try:
        yield printed.split("=", 1)[1]
    finally:
        subprocess.run([str(POSTGRES_SCRIPT), "drop-db", name], check=False, capture_output=True)


async def create_topics(broker: SecureBroker) -> None:
    """As the admin user: the service users may not create topics (in a cluster, KafkaTopic resources do)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=broker.bootstrap_servers, **aiokafka_options(broker.client_settings("admin"))
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        # The exchange topic this authority receives on (the suite's default LA code) is created like the rest.
        wanted = (*topics.ALL_TOPICS, exchange_topic(HOME_LA_CODE))
        missing = [NewTopic(name, PARTITIONS, 1) for name in wanted if name not in existing]
        if missing:
            await admin.create_topics(missing)
    finally:
        await admin.close()


@dataclass
class SecureSuite:
    supervisor: Supervisor
    broker: SecureBroker
    base_urls: Mapping[str, str]
    database_url: str

    def url(self, service: str, path: str = "") -> str:
        return self.base_urls[service] + path


@asynccontextmanager
async def running_secure_suite(log_root: Path) -> AsyncIterator[SecureSuite]:
    with secure_broker() as broker, own_database() as database_url:
        await create_topics(broker)
        await asyncio.to_thread(migrate_all, database_url)
        shared = base_environment(
            {
                "DATABASE_URL": database_url,
                # Production's names: the ACLs are literal.
                "CME_TOPIC_PREFIX": "",
                "CME_CONSUMER_GROUP_PREFIX": "cme",
                "OTEL_TRACES_EXPORTER": "none",
                "CME_LOG_LEVEL": "INFO",
                "CME_API_TOKENS": '{"test-suite-token": "test-runner"}',
                "CME_SESSION_COOKIE_SECURE": "false",
            }
        )
        # Each process that talks to Kafka logs in as its own KafkaUser; the GOV.UK Notify stand-in does not.
        kafka_clients = {*SERVICE_NAMES, "relay"}
        specs = {
            name: dataclasses.replace(spec, env={**spec.env, **broker.client_environment(f"cme-{name}")})
            if name in kafka_clients
            else spec
            for name, spec in suite_specs(shared, {name: free_port() for name in DEFAULT_PORTS}).items()
        }
        await ensure_test_runner_user(shared)
        supervisor = Supervisor(specs.values(), log_root / f"sasl-{uuid4().hex[:8]}")
        supervisor.start_all()
        try:
            await asyncio.to_thread(supervisor.wait_ready)
            yield SecureSuite(supervisor, broker, {name: spec.base_url for name, spec in specs.items()}, database_url)
        finally:
            supervisor.stop_all()
