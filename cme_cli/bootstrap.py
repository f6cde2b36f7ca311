"""Migrations and topics for a fresh environment."""

import importlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from cme_cli.suite import SERVICES
from cme_runtime.kafka_security import aiokafka_options
from cme_runtime.migrations import upgrade
from cme_runtime.settings import ServiceSettings
from contracts import topics

PARTITIONS = 3


def migrate_all(database_url: str) -> None:
    for service in SERVICES:
        app = importlib.import_module(f"services.{service}.app")
        upgrade(ServiceSettings(service_name=service, DATABASE_URL=database_url), app.MIGRATIONS)


async def create_topics(bootstrap: str, prefix: str = "") -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **aiokafka_options(ServiceSettings()))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(prefix + name, PARTITIONS, 1) for name in topics.ALL_TOPICS if prefix + name not in existing
        ]
        if missing:
            await admin.create_topics(missing)
    finally:
        await admin.close()
