"""Relays every service's outbox rows to Kafka, in order per key, at least once.

Rows are claimed with FOR UPDATE SKIP LOCKED, so several relays can run side by side. A relay claims only the
oldest pending row of each key (plus the later rows of those keys), so two relays never publish one child's
events out of order. Rows are deleted in the claiming transaction after Kafka acknowledged them; a crash in
between republishes them, and consumers' inboxes drop the duplicates.
"""

import asyncio
import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cme_runtime.logging import get_logger
from cme_runtime.metrics import OUTBOX_PUBLISHED
from cme_runtime.outbox import NOTIFY_CHANNEL

log = get_logger(__name__)

_CLAIM_HEADS = """
    SELECT o.aggregateid FROM {table} o
    WHERE o.aggregatetype LIKE :topics
      AND NOT EXISTS (
        SELECT 1 FROM {table} earlier
        WHERE earlier.aggregateid = o.aggregateid AND earlier.seq < o.seq AND earlier.aggregatetype LIKE :topics
      )
    ORDER BY o.seq
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
"""
_CLAIM_ROWS = """
    SELECT seq, id, aggregatetype, aggregateid, type, source, subject, dataschema, payload, occurred_at, trace_headers
    FROM {table} WHERE aggregateid = ANY(:keys) AND aggregatetype LIKE :topics ORDER BY seq LIMIT :limit FOR UPDATE
"""
_DELETE_ROWS = "DELETE FROM {table} WHERE seq = ANY(:seqs)"
_TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class RelayTarget:
    service: str
    engine: AsyncEngine
    listen_dsn: str
    topic_prefix: str = ""
    table: str = "outbox"

    @property
    def topics(self) -> str:
        """A LIKE pattern for the rows this relay owns: those written under its topic prefix."""
        escaped = self.topic_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return escaped + "%"

    def __post_init__(self) -> None:
        if not _TABLE_NAME.fullmatch(self.table):
            raise ValueError("outbox table name must be a plain lower-case identifier")


def kafka_headers(row: Mapping[Any, Any]) -> list[tuple[str, bytes]]:
    headers = [
        ("ce_specversion", "1.0"),
        ("ce_id", str(row["id"])),
        ("ce_source", row["source"]),
        ("ce_type", row["type"]),
        ("ce_time", row["occurred_at"].isoformat().replace("+00:00", "Z")),
        ("content-type", "application/json"),
    ]
    if row["subject"]:
        headers.append(("ce_subject", row["subject"]))
    if row["dataschema"]:
        headers.append(("ce_dataschema", row["dataschema"]))
    headers.extend((name, str(value)) for name, value in (row["trace_headers"] or {}).items())
    return [(name, value.encode()) for name, value in headers]


class OutboxRelay:
    def __init__(
        self, target: RelayTarget, producer: AIOKafkaProducer, batch_size: int = 200, idle_poll_seconds: float = 1.0
    ) -> None:
        self.target = target
        self.producer = producer
        self.batch_size = batch_size
        self.idle_poll_seconds = idle_poll_seconds
        self._wake = asyncio.Event()
        self._claim_heads = text(_CLAIM_HEADS.format(table=target.table))
        self._claim_rows = text(_CLAIM_ROWS.format(table=target.table))
        self._delete_rows = text(_DELETE_ROWS.format(table=target.table))

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows went to Kafka."""
        async with self.target.engine.begin() as connection:
            heads = (
                (await connection.execute(self._claim_heads, {"limit": self.batch_size, "topics": self.target.topics}))
                .scalars()
                .all()
            )
            if not heads:
                return 0
            rows = (
                (
                    await connection.execute(
                        self._claim_rows,
                        {"keys": list(heads), "limit": self.batch_size, "topics": self.target.topics},
                    )
                )
                .mappings()
                .all()
            )
            await self._publish(rows)
            await connection.execute(self._delete_rows, {"seqs": [row["seq"] for row in rows]})
        OUTBOX_PUBLISHED.labels(service=self.target.service).inc(len(rows))
        return len(rows)

    async def _publish(self, rows: Sequence[Mapping[Any, Any]]) -> None:
        # Sent in seq order by one idempotent producer: Kafka keeps that order within each key's partition.
        pending = [
            await self.producer.send(
                row["aggregatetype"],
                value=orjson.dumps(row["payload"]),
                key=row["aggregateid"].encode(),
                headers=kafka_headers(row),
            )
            for row in rows
        ]
        await asyncio.gather(*pending)

    async def run(self, stopping: asyncio.Event) -> None:
        listener = await self._listen()
        try:
            while not stopping.is_set():
                try:
                    published = await self.relay_once()
                except Exception as error:  # a broker or database outage: keep the rows, try again shortly
                    log.warning(
                        "outbox relay failed; will retry", service=self.target.service, error=type(error).__name__
                    )
                    published = 0
                    await asyncio.sleep(self.idle_poll_seconds)
                if published == 0:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=self.idle_poll_seconds)
        finally:
            if listener is not None:
                await listener.close()

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            connection = await asyncpg.connect(self.target.listen_dsn)
        except Exception as error:  # polling still works without LISTEN
            log.warning(
                "outbox relay could not LISTEN; polling only", service=self.target.service, error=type(error).__name__
            )
            return None
        await connection.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        return connection


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def new_producer(bootstrap_servers: str, **security: Any) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=30000,
        **security,
    )
