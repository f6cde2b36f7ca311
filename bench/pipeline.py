"""Pipeline benchmark: the suite end to end beside a bare 3-hop aiokafka -> asyncpg pipe, same broker, same database,
same run.

    export DATABASE_URL="$(scripts/postgres.sh create-db cme_bench | cut -d= -f2-)"
    export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092
    uv run python bench/pipeline.py                               # everything, default sizes (about 10 minutes)
    uv run python bench/pipeline.py --only bare --backlog 20000   # the baseline alone
    uv run python bench/pipeline.py --only suite --rates 50 --seconds 20
    uv run python bench/pipeline.py --only suite --http-batch-window-ms 100   # HTTP batches, not single posts

What it measures, each as a drained backlog (the sustained maximum: N messages queued first, then the consumers
started, N / time to the last one done) and at fixed offered rates (latency from send to done, p50 and p99):

- bare, per message: each hop consumes one message, inserts it in one transaction (a primary key stops
  duplicates, as an inbox does), commits, publishes to the next topic with acks=all and waits for the broker, then
  commits the offset: the suite's delivery guarantees with nothing else;
- bare, batched: the same, a batch at a time (one transaction, one executemany, one flush, one offset commit);
- the suite: valid leaver returns published on intake's leaver topic (or posted to its HTTP API for the offered
  rates), each a CME child, done when casework attaches the referral to an opened case (case_referrals.attached_at);
  three consuming hops (intake, triage, casework) and the outbox relay between them, plus review and notify;
- with `--http-batch-window-ms W`, the offered rates are posted as batches (`/api/v1/submissions/batch`): every W ms
  a client posts what fell due in that window, as a MIS gateway collecting schools' returns would; and a backlog
  is also posted over HTTP in batches of 500, a few at once (the sustained maximum of the HTTP path).

The figures depend on the machine and what else runs on it: the script prints the CPU count and the load average
with them. Throughput moves with the load; CPU time per case much less, so for the suite's backlog it also prints the
user+system CPU each process used (from /proc), per case opened: each suite process, PostgreSQL's backends and
the Kafka broker. Everything it generates is invented.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cme_cli.bootstrap import create_topics, migrate_all  # noqa: E402
from cme_cli.suite import DEFAULT_PORTS, base_environment, suite_specs  # noqa: E402
from cme_cli.supervisor import Supervisor  # noqa: E402
from contracts import topics  # noqa: E402
from contracts.envelope import new_attributes  # noqa: E402
from contracts.events.intake_v1 import LeaverSubmitted  # noqa: E402
from tests.support.submissions import leaver  # noqa: E402

sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "ctf"))  # the CTF generator is a script, not a package
from make_ctf import build_ctf  # noqa: E402

PARTITIONS = 6
HOPS = 3
IN_FLIGHT = 100  # posts the bench has open at once, as a busy MIS gateway or a few dozen schools might
BATCH_PATH = "/api/v1/submissions/batch"
BATCHES_IN_FLIGHT = 4  # batches posted at once: a client waits for answers before sending more
MAX_BATCH = 500


TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (0 when it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND  # utime, stime: fields 14 and 15 of stat(5)


def infrastructure_pids() -> dict[str, list[int]]:
    """PostgreSQL's processes and the Kafka broker, found by name (the bench shares them with whatever else runs)."""
    found: dict[str, list[int]] = {"postgresql": [], "kafka": []}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if name == "postgres":
            found["postgresql"].append(int(entry.name))
        elif b"kafka.Kafka" in command:
            found["kafka"].append(int(entry.name))
    return found


def cpu_sample(suite_pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each suite process, and of PostgreSQL's and Kafka's processes together."""
    totals = {name: cpu_seconds(pid) for name, pid in suite_pids.items()}
    for name, pids in infrastructure_pids().items():
        totals[name] = sum(cpu_seconds(pid) for pid in pids)
    return totals


def cpu_per_case_ms(before: dict[str, float], after: dict[str, float], cases: int) -> dict[str, float]:
    """Each process's CPU between two samples, per case. PostgreSQL backends started in between count from zero."""
    if not cases:
        return {}
    return {name: (after[name] - before.get(name, 0.0)) * 1000 / cases for name in after}


@dataclass(frozen=True)
class Result:
    name: str
    messages: int
    seconds: float
    latencies_ms: list[float]
    offered: int = 0  # more than `messages` when the run ran out of time before all were done
    cpu_ms_per_message: dict[str, float] | None = None

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def line(self) -> str:
        name = self.name
        if self.offered > self.messages:
            name += f" (incomplete: {self.messages:,} of {self.offered:,} done in time)"
        if not self.latencies_ms:  # a drained backlog measures throughput; its waits are queueing, not latency
            return f"| {name} | {self.messages:,} | {self.rate:,.0f}/s | n/a | n/a |"
        return (f"| {name} | {self.messages:,} | {self.rate:,.0f}/s | {self.percentile(0.5):,.0f} ms "
                f"| {self.percentile(0.99):,.0f} ms |")


def admin_dsn(database_url: str) -> str:
    """The bench's own tables belong to no service: it connects as the cluster's owner (local trust auth)."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://").replace("{service}:{service}", "postgres")


# ---------------------------------------------------------------------- the bare pipe


class BarePipe:
    def __init__(self, kafka: str, dsn: str, batched: bool) -> None:
        self.kafka = kafka
        self.dsn = dsn
        self.batched = batched
        self.run = f"bench{uuid4().hex[:6]}"
        self.topics = [f"{self.run}.hop{n}" for n in range(HOPS + 1)]

    async def prepare(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.kafka)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, PARTITIONS, 1) for name in self.topics])
        finally:
            await admin.close()
        connection = await asyncpg.connect(self.dsn)
        try:
            await connection.execute("CREATE SCHEMA IF NOT EXISTS bench")
            for hop in range(1, HOPS + 1):
                await connection.execute(
                    f"CREATE TABLE bench.{self.run}_hop{hop} (id uuid PRIMARY KEY, sent_at timestamptz NOT NULL, "
                    "body jsonb NOT NULL, done_at timestamptz NOT NULL DEFAULT clock_timestamp())"
                )
        finally:
            await connection.close()

    async def drop(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            for hop in range(1, HOPS + 1):
                await connection.execute(f"DROP TABLE IF EXISTS bench.{self.run}_hop{hop}")
        finally:
            await connection.close()

    async def hop(self, number: int, stop: asyncio.Event) -> None:
        table = f"bench.{self.run}_hop{number}"
        insert = f"INSERT INTO {table} (id, sent_at, body) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING"
        consumer = AIOKafkaConsumer(self.topics[number - 1], bootstrap_servers=self.kafka,
                                    group_id=f"{self.run}-hop{number}", enable_auto_commit=False,
                                    auto_offset_reset="earliest")
        producer = AIOKafkaProducer(bootstrap_servers=self.kafka, acks="all", enable_idempotence=True)
        forward = number < HOPS
        pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=2)
        await consumer.start()
        await producer.start()
        try:
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=100, max_records=500 if self.batched else 1)
                records = [record for part in batches.values() for record in part]
                if not records:
                    continue
                if self.batched:
                    rows = [self._row(record.value) for record in records]
                    async with pool.acquire() as connection, connection.transaction():
                        await connection.executemany(insert, rows)
                    if forward:
                        sent = [await producer.send(self.topics[number], record.value, key=record.key)
                                for record in records]
                        await asyncio.gather(*sent)
                    await consumer.commit()
                else:
                    for record in records:
                        async with pool.acquire() as connection, connection.transaction():
                            await connection.execute(insert, *self._row(record.value))
                        if forward:
                            await producer.send_and_wait(self.topics[number], record.value, key=record.key)
                        await consumer.commit()
        finally:
            await consumer.stop()
            await producer.stop()
            await pool.close()

    @staticmethod
    def _row(value: bytes) -> tuple[Any, ...]:
        body = json.loads(value)
        return (body["id"], datetime.fromisoformat(body["sent_at"]), value.decode())

    async def send(self, producer: AIOKafkaProducer, count: int, rate: float | None) -> None:
        started = time.monotonic()
        for index in range(count):
            if rate:
                delay = started + index / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            message_id = str(uuid4())
            body = {"id": message_id, "sent_at": datetime.now(UTC).isoformat(), "child": leaver()["child"]}
            await producer.send(self.topics[0], json.dumps(body).encode(), key=message_id.encode())
        await producer.flush()

    async def done(self, count: int, timeout: float) -> list[Any]:
        connection = await asyncpg.connect(self.dsn)
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                rows = await connection.fetch(f"SELECT sent_at, done_at FROM bench.{self.run}_hop{HOPS}")
                if len(rows) >= count:
                    return rows
                await asyncio.sleep(0.5)
            # Out of time: what was done counts, and the report says the run is incomplete.
            print(f"  bare pipe: {len(rows)} of {count} done after {timeout} s", flush=True)
            if not rows:
                raise TimeoutError(f"bare pipe: nothing done after {timeout} s")
            return rows
        finally:
            await connection.close()

    async def measure(self, count: int, rate: float | None, label: str) -> Result:
        await self.prepare()
        stop = asyncio.Event()
        producer = AIOKafkaProducer(bootstrap_servers=self.kafka, acks="all", linger_ms=5)
        await producer.start()
        try:
            if rate is None:  # a backlog: queue everything, then start the hops
                await self.send(producer, count, None)
                started = datetime.now(UTC)
                hops = [asyncio.create_task(self.hop(n, stop)) for n in range(1, HOPS + 1)]
            else:
                hops = [asyncio.create_task(self.hop(n, stop)) for n in range(1, HOPS + 1)]
                await asyncio.sleep(3)  # let the consumer groups settle before offering load
                started = datetime.now(UTC)
                await self.send(producer, count, rate)
            rows = await self.done(count, timeout=max(120.0, count / 20))
        finally:
            stop.set()
            await asyncio.gather(*hops, return_exceptions=True)
            await producer.stop()
            await self.drop()
        last = max(row["done_at"] for row in rows)
        latencies = [] if rate is None else [
            (row["done_at"] - row["sent_at"]).total_seconds() * 1000 for row in rows]
        return Result(label, len(rows), (last - started).total_seconds(), latencies, offered=count)


# ---------------------------------------------------------------------- the suite


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Suite:
    def __init__(self, kafka: str, database_url: str, log_dir: Path, batch_window_ms: float = 0) -> None:
        self.batch_window = batch_window_ms / 1000
        self.kafka = kafka
        self.database_url = database_url
        self.prefix = f"b{uuid4().hex[:6]}."
        self.log_dir = log_dir
        self.supervisor: Supervisor | None = None
        self.intake_url = ""

    async def start(self) -> None:
        # Alembic runs its own event loop: in a thread, not inside this one.
        await asyncio.to_thread(migrate_all, self.database_url)
        await create_topics(self.kafka, self.prefix)
        env = base_environment({
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka, "DATABASE_URL": self.database_url,
            "CME_TOPIC_PREFIX": self.prefix, "CME_CONSUMER_GROUP_PREFIX": self.prefix + "cme",
            "CME_LOG_LEVEL": "WARNING", "OTEL_TRACES_EXPORTER": "none", "CME_SESSION_COOKIE_SECURE": "false",
            # make_ctf's 10,000 pupils (contacts and school histories included) come to about 26 MB.
            "CME_CTF_MAX_BYTES": str(64 * 1024 * 1024),
        })
        specs = suite_specs(env, {name: free_port() for name in DEFAULT_PORTS})
        self.intake_url = specs["intake"].base_url
        self.supervisor = Supervisor(specs.values(), self.log_dir)
        self.supervisor.start_all()
        self.supervisor.wait_ready()

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop_all()

    def pids(self) -> dict[str, int]:
        assert self.supervisor is not None
        return {name: process.pid for name, process in self.supervisor.processes.items()}

    async def measure(self, count: int, rate: float | None, label: str, *, over_http: bool = False) -> Result:
        submissions = [leaver() for _ in range(count)]
        sent_at: dict[str, datetime] = {}
        cpu_before = cpu_sample(self.pids())
        if rate is None and over_http:
            await self._post_backlog(submissions, sent_at)
        elif rate is None:
            producer = AIOKafkaProducer(bootstrap_servers=self.kafka, acks="all", linger_ms=5)
            await producer.start()
            try:
                topic = self.prefix + topics.INTAKE_LEAVER
                for submission in submissions:
                    event = LeaverSubmitted.model_validate(submission)
                    attributes = new_attributes(event, source="/bench", subject=submission["submission_id"])
                    await producer.send(topic, event.model_dump_json().encode(),
                                        key=submission["submission_id"].encode(), headers=attributes.to_headers())
                    sent_at[submission["submission_id"]] = datetime.now(UTC)
                await producer.flush()
            finally:
                await producer.stop()
        elif self.batch_window:
            await self._post_batches_at(submissions, rate, sent_at)
        else:
            await self._post_at(submissions, rate, sent_at)
        started = min(sent_at.values())
        done = await self._done(list(sent_at), timeout=max(180.0, count / 2))
        last = max(done.values())
        cpu_after = cpu_sample(self.pids())
        latencies = [] if rate is None and not over_http else [
            (done[key] - sent_at[key]).total_seconds() * 1000 for key in done]
        # Latencies of an incomplete run leave out the slowest messages: the line says it is incomplete.
        # CPU counts from the first send to the last case seen (polled each second), so it includes a little idling.
        return Result(label, len(done), (last - started).total_seconds(), latencies, offered=count,
                      cpu_ms_per_message=cpu_per_case_ms(cpu_before, cpu_after, len(done)))

    async def ctf(self, pupils: int) -> Result:
        """A CTF file of `pupils` posted to intake's HTTP API: the time until the response (every pupil ingested)
        and until triage decided every referral the file gave (pupils already known to CME work become one)."""
        content = await asyncio.to_thread(build_ctf, pupils, seed=int(time.time()))
        file_id = f"bench-ctf-{uuid4().hex[:8]}"
        async with httpx.AsyncClient(base_url=self.intake_url, timeout=600) as client:
            started = time.monotonic()
            response = await client.post("/api/v1/submissions/ctf", content=content, headers={
                "Content-Type": "application/xml", "Idempotency-Key": file_id})
            ingested = time.monotonic() - started
        response.raise_for_status()
        intake = await asyncpg.connect(admin_dsn(self.database_url))
        try:
            referrals = [row["referral_id"] for row in await intake.fetch(
                "SELECT referral_id FROM intake.submissions WHERE part_of = $1 AND referral_id IS NOT NULL", file_id)]
            pupils_stored = await intake.fetchval("SELECT count(*) FROM intake.submissions WHERE part_of = $1", file_id)
            while await intake.fetchval("SELECT count(*) FROM triage.decisions WHERE referral_id = ANY($1)",
                                        referrals) < len(referrals):
                if time.monotonic() - started > 600:
                    raise TimeoutError("CTF: triage did not decide every referral within 600 s")
                await asyncio.sleep(0.5)
        finally:
            await intake.close()
        total = time.monotonic() - started
        print(f"  CTF {pupils:,} pupils: {pupils_stored:,} stored, {len(referrals):,} referrals; "
              f"response after {ingested:.1f} s, all triaged after {total:.1f} s", flush=True)
        return Result(f"suite: CTF file of {pupils:,} pupils ingested and triaged (HTTP)", pupils, total, [])

    async def _post_at(self, submissions: list[dict[str, Any]], rate: float, sent_at: dict[str, datetime]) -> None:
        """Post at `rate` a second, at most IN_FLIGHT at once. A submission's time starts when it was due to be sent,
        so a wait for a free connection counts in its latency.

        The cap is ours, not httpx's: with thousands of requests waiting in httpcore's pool, every finished request
        rescans the waiting list (quadratic), and the bench's own client used most of a core and posted only about
        15 a second, which earlier HTTP figures took for the suite's limit."""
        # No timeout on the wait for a connection: a slow answer on a loaded machine is a latency to report.
        timeout = httpx.Timeout(300, pool=None)
        limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
        free = asyncio.Semaphore(IN_FLIGHT)
        async with httpx.AsyncClient(base_url=self.intake_url, timeout=timeout, limits=limits) as client:
            started = time.monotonic()
            pending: set[asyncio.Task[None]] = set()

            async def post(submission: dict[str, Any]) -> None:
                sent_at[submission["submission_id"]] = datetime.now(UTC)
                async with free:
                    response = await client.post("/api/v1/submissions/leaver", json=submission)
                response.raise_for_status()

            for index, submission in enumerate(submissions):
                delay = started + index / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(post(submission))
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.gather(*pending)

    async def _post_batches_at(
        self, submissions: list[dict[str, Any]], rate: float, sent_at: dict[str, datetime]
    ) -> None:
        """Post at `rate` a second as a batch every window: each batch holds the submissions that fell due in its
        window, with at most BATCHES_IN_FLIGHT posts open. A submission's time starts when it fell due, so its
        wait for the window's end, and for a free post, counts."""
        async with httpx.AsyncClient(base_url=self.intake_url, timeout=httpx.Timeout(300, pool=None)) as client:
            started = time.monotonic()
            windows: dict[int, list[int]] = {}
            for index in range(len(submissions)):
                windows.setdefault(int(index / rate / self.batch_window), []).append(index)
            pending: set[asyncio.Task[None]] = set()

            free = asyncio.Semaphore(BATCHES_IN_FLIGHT)

            async def post(batch: list[dict[str, Any]], due: list[float]) -> None:
                for submission, at in zip(batch, due, strict=True):
                    sent_at[submission["submission_id"]] = datetime.fromtimestamp(at, UTC)
                async with free:
                    response = await client.post(BATCH_PATH, json={"submissions": batch})
                response.raise_for_status()

            # Wall-clock time of `started`: done times come from PostgreSQL's clock.
            started_wall = time.time() - (time.monotonic() - started)
            for window, indexes in sorted(windows.items()):
                delay = started + (window + 1) * self.batch_window - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                due = [started_wall + index / rate for index in indexes]
                task = asyncio.create_task(post([submissions[index] for index in indexes], due))
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.gather(*pending)

    async def _post_backlog(self, submissions: list[dict[str, Any]], sent_at: dict[str, datetime]) -> None:
        """Every submission at once, in batches of MAX_BATCH, BATCHES_IN_FLIGHT posted at a time."""
        free = asyncio.Semaphore(BATCHES_IN_FLIGHT)
        async with httpx.AsyncClient(base_url=self.intake_url, timeout=httpx.Timeout(600, pool=None)) as client:

            async def post(batch: list[dict[str, Any]]) -> None:
                async with free:
                    now = datetime.now(UTC)
                    for submission in batch:
                        sent_at[submission["submission_id"]] = now
                    response = await client.post(BATCH_PATH, json={"submissions": batch})
                response.raise_for_status()

            await asyncio.gather(*(post(submissions[start:start + MAX_BATCH])
                                   for start in range(0, len(submissions), MAX_BATCH)))

    async def _done(self, submission_ids: list[str], timeout: float) -> dict[str, datetime]:
        intake = await asyncpg.connect(admin_dsn(self.database_url), server_settings={"search_path": "intake"})
        casework = await asyncpg.connect(admin_dsn(self.database_url), server_settings={"search_path": "casework"})
        try:
            deadline = time.monotonic() + timeout
            found: dict[str, datetime] = {}
            while time.monotonic() < deadline:
                rows = await intake.fetch(
                    "SELECT submission_id, referral_id FROM intake.referrals WHERE submission_id = ANY($1)",
                    submission_ids)
                by_referral = {row["referral_id"]: row["submission_id"] for row in rows}
                attached = await casework.fetch(
                    "SELECT referral_id, attached_at FROM casework.case_referrals WHERE referral_id = ANY($1)",
                    list(by_referral))
                found = {by_referral[row["referral_id"]]: row["attached_at"] for row in attached}
                if len(found) >= len(submission_ids):
                    return found
                await asyncio.sleep(1)
            # Out of time (a loaded machine): what was done counts, and the report says it is incomplete.
            print(f"  suite: {len(found)} of {len(submission_ids)} cases opened after {timeout} s", flush=True)
            if not found:
                raise TimeoutError(f"suite: no case opened after {timeout} s")
            return found
        finally:
            await intake.close()
            await casework.close()


# ---------------------------------------------------------------------- the run


async def timed(results: list[Result], label: str, measure: Callable[[], Awaitable[Result]]) -> None:
    print(f"  {label} ...", flush=True)
    result = await measure()
    results.append(result)
    print("  " + result.line(), flush=True)


async def main(arguments: argparse.Namespace) -> list[Result]:
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    database_url = os.environ["DATABASE_URL"]
    results: list[Result] = []
    rates = [float(rate) for rate in arguments.rates.split(",") if rate]
    if arguments.only in {None, "bare"}:
        for batched in (False, True):
            form = "batched" if batched else "per message"
            pipe = BarePipe(kafka, admin_dsn(database_url), batched)
            await timed(results, f"bare, {form}, backlog", lambda p=pipe, f=form: p.measure(
                arguments.backlog, None, f"bare pipe, {f}: backlog drained"))
            for rate in rates:
                pipe = BarePipe(kafka, admin_dsn(database_url), batched)
                await timed(results, f"bare, {form}, {rate:.0f}/s", lambda p=pipe, f=form, r=rate: p.measure(
                    int(r * arguments.seconds), r, f"bare pipe, {f}: {r:.0f}/s offered"))
    if arguments.only in {None, "suite"}:
        window = arguments.http_batch_window_ms
        suite = Suite(kafka, database_url, ROOT / "test-artifacts" / "bench-pipeline", window)
        http = f"HTTP batches every {window:.0f} ms" if window else "HTTP"
        await suite.start()
        try:
            await timed(results, "suite, backlog", lambda: suite.measure(
                arguments.suite_backlog, None, "suite: backlog drained (Kafka leaver topic)"))
            if window:
                await timed(results, "suite, HTTP backlog", lambda: suite.measure(
                    arguments.suite_backlog, None, f"suite: backlog posted in batches of {MAX_BATCH} (HTTP)",
                    over_http=True))
            for rate in rates:
                await timed(results, f"suite, {rate:.0f}/s", lambda r=rate: suite.measure(
                    int(r * arguments.seconds), r, f"suite: {r:.0f}/s offered ({http})"))
            if arguments.ctf_pupils:
                await timed(results, "suite, CTF", lambda: suite.ctf(arguments.ctf_pupils))
        finally:
            suite.stop()
    return results


def report(results: list[Result]) -> str:
    load = os.getloadavg()
    lines = [
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}; "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}",
        "",
        "| run | messages | throughput | p50 | p99 |",
        "| --- | --- | --- | --- | --- |",
        *(result.line() for result in results),
    ]
    for result in results:
        if result.cpu_ms_per_message:
            shares = sorted(result.cpu_ms_per_message.items(), key=lambda item: -item[1])
            total = sum(result.cpu_ms_per_message.values())
            lines.append("")
            lines.append(f"CPU per case, {result.name}: {total:,.1f} ms in all; "
                         + ", ".join(f"{name} {ms:,.1f}" for name, ms in shares))
    bare = [r for r in results if r.name.startswith("bare pipe, batched: backlog")]
    suite = [r for r in results if r.name.startswith("suite: backlog")]
    if bare and suite:
        lines.append("")
        lines.append(f"Suite / bare batched (backlog throughput): {suite[0].rate / bare[0].rate:.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["bare", "suite"], default=None)
    parser.add_argument("--backlog", type=int, default=5000, help="bare pipe backlog (messages)")
    parser.add_argument("--suite-backlog", type=int, default=2000, help="suite backlog (leaver returns)")
    parser.add_argument("--rates", default="50,250", help="offered rates, comma-separated (per second)")
    parser.add_argument("--seconds", type=float, default=20, help="how long each offered rate runs")
    parser.add_argument("--ctf-pupils", type=int, default=10_000, help="pupils in the CTF file (0: no CTF run)")
    parser.add_argument("--http-batch-window-ms", type=float, default=0,
                        help="post the offered rates as batches, one every this many ms (0: one post each)")
    print(report(asyncio.run(main(parser.parse_args()))))
