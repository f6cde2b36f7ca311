"""Two local authorities in one test run, exchanging signed messages (issue 9): A and B on the one test broker.

Each authority is a copy of the suite (tests/support/suite.py running_suite) with its own topic and consumer-group
prefix, its own PostgreSQL database, its own ports, its own DfE LA code and its own Ed25519 signing key; both trust
registries hold both public keys. The exchange topics (`cme.exchange.<LA>.v1`) are the authorities' shared ground,
so they sit under one exchange prefix of this run's own, apart from either suite's prefix. A sends to B over Kafka
(B's exchange topic) and B to A over HTTPS (A's notify endpoint), so one run proves both transports.

B starts only the processes the flow needs (intake, triage, casework, notify, the relay, and the GOV.UK Notify
stand-in notify delivers other messages through), to spare a loaded machine.
"""

import asyncio
import base64
import json
import random
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import asyncpg
import httpx
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cme_cli.bootstrap import PARTITIONS, migrate_all
from cme_cli.suite import DEFAULT_PORTS
from cme_runtime.exchange_signing import ENVELOPE_CONTENT_TYPE, SigningKey
from contracts.events.common_v1 import Child
from contracts.exchange.messages_v1 import ReferralSentToAuthority, TeamContact, exchange_topic
from tests.support.infrastructure import ROOT, SERVICES, Infrastructure
from tests.support.suite import RunningSuite, running_suite

A_LA, B_LA = "885", "886"
EXCHANGE_PATH = "/exchange/v1/messages"
B_PROCESSES = ("intake", "triage", "casework", "notify", "relay", "gov_notify")
# Two suites start one after the other on a shared 2-core machine: each process has been seen to take over 90 s to
# become ready under other engineers' load.
READY_TIMEOUT = 300


@dataclass(frozen=True)
class AuthorityKey:
    """An authority's Ed25519 key as the settings carry it (hex of the raw 32 bytes) and as the test signs with it."""

    la_code: str
    private_hex: str = field(repr=False)  # a test's key, but never printed in a failure report all the same
    public_hex: str

    @classmethod
    def generate(cls, la_code: str) -> "AuthorityKey":
        private = Ed25519PrivateKey.generate()
        return cls(la_code, private.private_bytes_raw().hex(), private.public_key().public_bytes_raw().hex())

    def signing_key(self) -> SigningKey:
        return SigningKey.from_private_bytes(self.la_code, bytes.fromhex(self.private_hex))


@dataclass
class Authority:
    la_code: str
    key: AuthorityKey
    suite: RunningSuite
    exchange_topic: str  # the full name (exchange prefix included) this authority receives on
    database: dict[str, asyncpg.Connection] = field(default_factory=dict)  # one connection per service's schema

    @property
    def internal_token(self) -> str:
        return self.suite.specs["notify"].env["CME_INTERNAL_API_TOKEN"]

    @property
    def exchange_url(self) -> str:
        return self.suite.url("notify", EXCHANGE_PATH)

    async def traffic(self, **params: str | int) -> list[dict[str, Any]]:
        """Notify's exchange traffic log, through its internal API."""
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.get(
                self.suite.url("notify", "/internal/v1/exchange/traffic"),
                params=params,
                headers={"Authorization": f"Bearer {self.internal_token}"},
            )
        response.raise_for_status()
        return list(response.json()["messages"])

    async def post_envelope(self, envelope: dict[str, Any] | bytes) -> httpx.Response:
        """An envelope delivered to this authority over HTTPS, as a partner's notify delivers one."""
        body = envelope if isinstance(envelope, bytes) else json.dumps(envelope).encode()
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(self.exchange_url, content=body, headers={"Content-Type": ENVELOPE_CONTENT_TYPE})


@dataclass
class TwoAuthorities:
    a: Authority
    b: Authority
    exchange_prefix: str

    @property
    def log_dirs(self) -> list[Path]:
        return [self.a.suite.log_dir, self.b.suite.log_dir]


def trust_registry(*keys: AuthorityKey) -> str:
    valid_from = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    return json.dumps(
        {
            "authorities": {
                key.la_code: [{"public_key": key.public_hex, "valid_from": valid_from, "retired_at": None}]
                for key in keys
            }
        }
    )


def exchange_settings(own: AuthorityKey, registry: str, partners: dict[str, Any], prefix: str) -> dict[str, str]:
    return {
        "CME_HOME_LA_CODE": own.la_code,
        "CME_EXCHANGE_SIGNING_KEY": own.private_hex,
        "CME_EXCHANGE_TRUST_REGISTRY": registry,
        "CME_EXCHANGE_PARTNERS": json.dumps(partners),
        "CME_EXCHANGE_TOPIC_PREFIX": prefix,
    }


async def create_exchange_topics(bootstrap: str, prefix: str, *la_codes: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(prefix + exchange_topic(code), PARTITIONS, 1) for code in la_codes])
    finally:
        await admin.close()


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def quiet_ports(count: int) -> list[int]:
    """Free ports below the kernel's ephemeral range. A port picked by binding port 0 (running_suite's default) is an
    ephemeral one, free to be taken by any outgoing connection before the service binds it: with two suites' 14
    processes and other runs on the machine, a service once found its port taken and another suite's process
    answering its health check. Outgoing connections never take a port below the range."""
    low, _ = _ephemeral_range()
    chosen: list[int] = []
    candidates = random.sample(range(max(1024, low - 12000), low), k=min(12000, low - 1024))
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        chosen.append(port)
        if len(chosen) == count:
            return chosen
    raise RuntimeError("no free ports below the ephemeral range")


def suite_ports() -> dict[str, int]:
    return dict(zip(DEFAULT_PORTS, quiet_ports(len(DEFAULT_PORTS)), strict=True))


def assert_all_running(suite: RunningSuite) -> None:
    """Every process still up once both suites are ready: one that lost its port exits after its health check was
    answered by whoever holds the port."""
    stopped = [name for name in suite.specs if not suite.supervisor.is_running(name)]
    if stopped:
        raise RuntimeError(f"exited after start: {stopped}; see {suite.log_dir}")


def _script_output(*argv: str) -> str:
    return subprocess.run(argv, cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def _drop_local_database(name: str) -> None:
    subprocess.run([str(ROOT / "scripts/postgres.sh"), "drop-db", name], check=False, capture_output=True)


async def _run_sql(database_url: str, statement: str) -> None:
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@asynccontextmanager
async def own_databases(infra: Infrastructure, count: int) -> AsyncIterator[list[str]]:
    """`count` more databases on the test PostgreSQL, migrated as the `migrated` fixture migrates the first, dropped
    afterwards. A URL with `{service}` roles is the project's own cluster (scripts/postgres.sh), whose
    create-db lays a database out as the first one; a single-role URL (testcontainers) gets a plain CREATE DATABASE.
    """
    own_cluster = "{service}" in infra.database_url
    names = [f"cme_xla_{uuid4().hex[:12]}" for _ in range(count)]
    urls: list[str] = []
    try:
        for name in names:
            if own_cluster:
                created = await asyncio.to_thread(_script_output, str(ROOT / "scripts/postgres.sh"), "create-db", name)
                url = created.split("=", 1)[1]
                if urlsplit(url).netloc != urlsplit(infra.database_url).netloc:
                    raise RuntimeError("DATABASE_URL names another cluster than scripts/postgres.sh runs")
            else:
                await _run_sql(infra.database_url, f"CREATE DATABASE {name}")
                url = urlunsplit(urlsplit(infra.database_url)._replace(path=f"/{name}"))
            urls.append(url)
        for url in urls:
            # Alembic's env runs its own event loop, so from async code it runs in a worker thread; one at a time,
            # as alembic's `context` and `op` are process-wide proxies.
            await asyncio.to_thread(migrate_all, url)
        yield urls
    finally:
        for name in names:
            if own_cluster:
                await asyncio.to_thread(_drop_local_database, name)
            else:
                await _run_sql(infra.database_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def connect_schemas(database_url: str) -> dict[str, asyncpg.Connection]:
    """A connection per service, as that service's own role, as tests/conftest.py's `db` fixture makes them."""
    connections = {}
    for service in SERVICES:
        dsn = database_url.replace("{service}", service).replace("postgresql+asyncpg://", "postgresql://")
        connections[service] = await asyncpg.connect(dsn, server_settings={"search_path": service})
    return connections


@asynccontextmanager
async def two_authorities(infra: Infrastructure, otlp_endpoint: str, log_root: Path) -> AsyncIterator[TwoAuthorities]:
    """A (LA 885, the whole suite) and B (LA 886, the flow's processes), each with its own database, exchanging
    over one exchange prefix of this run's own. A's partner B is reached over Kafka, B's partner A over HTTPS."""
    key_a, key_b = AuthorityKey.generate(A_LA), AuthorityKey.generate(B_LA)
    registry = trust_registry(key_a, key_b)
    exchange_prefix = f"x{uuid4().hex[:8]}."
    await create_exchange_topics(infra.kafka_bootstrap_servers, exchange_prefix, A_LA, B_LA)
    async with own_databases(infra, 2) as (database_a, database_b):
        env_a = exchange_settings(key_a, registry, {B_LA: {"transport": "kafka"}}, exchange_prefix)
        async with running_suite(
            infra,
            otlp_endpoint,
            log_root,
            extra_env=env_a,
            database_url=database_a,
            ports=suite_ports(),
            ready_timeout=READY_TIMEOUT,
        ) as suite_a:
            a_endpoint = suite_a.url("notify", EXCHANGE_PATH)
            partner_a = {A_LA: {"transport": "https", "url": a_endpoint}}
            env_b = exchange_settings(key_b, registry, partner_a, exchange_prefix)
            async with running_suite(
                infra,
                otlp_endpoint,
                log_root,
                extra_env=env_b,
                database_url=database_b,
                processes=B_PROCESSES,
                ports=suite_ports(),
                ready_timeout=READY_TIMEOUT,
            ) as suite_b:
                assert_all_running(suite_a)
                assert_all_running(suite_b)
                a = Authority(A_LA, key_a, suite_a, exchange_prefix + exchange_topic(A_LA))
                b = Authority(B_LA, key_b, suite_b, exchange_prefix + exchange_topic(B_LA))
                a.database = await connect_schemas(database_a)
                b.database = await connect_schemas(database_b)
                try:
                    yield TwoAuthorities(a, b, exchange_prefix)
                finally:
                    for connection in [*a.database.values(), *b.database.values()]:
                        await connection.close()


# Forged envelopes, for the refusals. Every person here is invented.


def invented_referral(from_la: str, to_la: str, marker: str | None = None) -> ReferralSentToAuthority:
    """A referral of an invented child: its `marker` (in the reason) is a stretch of payload a test may alter."""
    marker = marker or uuid4().hex[:12]
    return ReferralSentToAuthority(
        message_id=uuid4(),
        from_la=from_la,
        to_la=to_la,
        sent_at=datetime.now(UTC),
        sender_case_reference=f"CME-{uuid4().hex[:8].upper()}",
        child=Child(given_name=f"Forged{marker}", family_name=f"Invented{marker}", date_of_birth=date(2015, 3, 4)),
        reason=f"Invented for a refusal test {marker}",
        contact=TeamContact(team="CME team", email="cme@example.invalid"),
    )


def tampered(envelope: dict[str, Any], marker: str) -> dict[str, Any]:
    """The same envelope and signatures over a payload with one byte changed (inside `marker`, so the payload is
    still a readable CloudEvent from the same source: only the signature can tell)."""
    payload = bytearray(base64.b64decode(envelope["payload"]))
    at = payload.index(marker.encode())
    payload[at] = ord("x") if payload[at] != ord("x") else ord("y")
    return {**envelope, "payload": base64.b64encode(bytes(payload)).decode()}


def envelope_cloud_event(envelope: dict[str, Any] | bytes) -> dict[str, Any]:
    """The CloudEvent inside an envelope, read without verifying it."""
    document = json.loads(envelope) if isinstance(envelope, bytes) else envelope
    cloud_event: dict[str, Any] = json.loads(base64.b64decode(document["payload"]))
    return cloud_event
