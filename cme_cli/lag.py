"""Consumer lag: how far each service's consumer group is behind the end of its topics."""

from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from cme_runtime.kafka_security import aiokafka_options
from cme_runtime.settings import ServiceSettings


async def consumer_lag(bootstrap: str, groups: Sequence[str]) -> dict[str, int]:
    security = aiokafka_options(ServiceSettings())
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **security)
    await admin.start()
    await consumer.start()
    try:
        lags: dict[str, int] = {}
        for group in groups:
            committed = await admin.list_consumer_group_offsets(group)
            if not committed:
                lags[group] = 0
                continue
            ends = await consumer.end_offsets(list(committed))
            lags[group] = sum(max(ends[tp] - meta.offset, 0) for tp, meta in committed.items() if meta.offset >= 0)
        return lags
    finally:
        await consumer.stop()
        await admin.close()
