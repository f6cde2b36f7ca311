"""Reads the topics reporting counts from their start up to their end offsets as they were when the replay began
(a rebuild ends when it has caught up to that point), in batches of decoded events, then commits those end
offsets for the live consumer group so the service resumes right after what the rebuild applied.

It joins no consumer group (partitions are assigned, not subscribed), so it needs the reporting service stopped:
Kafka refuses to commit a group's offsets while members of it are running.
"""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from cme_runtime.inbox import content_digest
from cme_runtime.kafka_security import aiokafka_options
from cme_runtime.settings import ServiceSettings
from contracts.base import Event
from contracts.envelope import EnvelopeError, decode
from services.reporting.adapters.read_model import Delivered


@dataclass
class ReplayProgress:
    total: int = 0  # messages to read, from the offsets at the start
    read: int = 0
    applied: int = 0
    skipped: int = 0  # unreadable messages (the live consumers dead-lettered them) and types reporting ignores


class TopicReplay:
    def __init__(
        self, settings: ServiceSettings, topics: Sequence[str], accepts: Sequence[type[Event]], group_id: str
    ) -> None:
        self.settings = settings
        self.group_id = group_id
        self.topics = [settings.topic(name) for name in topics]
        self.accepts = tuple(accepts)
        self.progress = ReplayProgress()
        self._end: dict[TopicPartition, int] = {}

    async def _partitions(self) -> list[TopicPartition]:
        """Every partition of the topics, from the brokers' metadata (a topic not yet created has none)."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.settings.kafka_bootstrap_servers, **aiokafka_options(self.settings)
        )
        await admin.start()
        try:
            described = await admin.describe_topics(self.topics)
        finally:
            await admin.close()
        return sorted(
            TopicPartition(each["topic"], partition["partition"])
            for each in described
            for partition in each.get("partitions", [])
        )

    async def batches(self, size: int) -> AsyncIterator[list[Delivered]]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            # The live group's id, but partitions assigned (not subscribed): no group membership, only its offsets.
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=size,
            **aiokafka_options(self.settings),
        )
        await consumer.start()
        try:
            partitions = await self._partitions()
            if not partitions:
                return
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            beginning = await consumer.beginning_offsets(partitions)
            self._end = dict(await consumer.end_offsets(partitions))
            self.progress.total = sum(self._end[each] - beginning[each] for each in partitions)
            remaining = {each for each in partitions if self._end[each] > beginning[each]}
            while remaining:
                fetched = await consumer.getmany(*remaining, timeout_ms=1_000, max_records=size)
                batch: list[Delivered] = []
                for partition, records in fetched.items():
                    for record in records:
                        if record.offset >= self._end[partition]:
                            continue
                        self.progress.read += 1
                        try:
                            attributes, event = decode(list(record.headers or ()), record.value or b"")
                        except EnvelopeError:
                            self.progress.skipped += 1
                            continue
                        if type(event) not in self.accepts:
                            self.progress.skipped += 1
                            continue
                        batch.append(
                            Delivered(
                                attributes.id, attributes.type,
                                content_digest(attributes.type, attributes.source, record.value or b""), event,
                            )
                        )
                    if await consumer.position(partition) >= self._end[partition]:
                        remaining.discard(partition)
                if batch:
                    yield batch
                    self.progress.applied += len(batch)
            # Caught up: the live consumers carry on from here.
            await consumer.commit({each: OffsetAndMetadata(offset, "") for each, offset in self._end.items()})
        finally:
            await consumer.stop()
