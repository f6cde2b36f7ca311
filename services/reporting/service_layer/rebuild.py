"""Rebuild the read model from scratch: drop it, replay the topics from their start up to where they ended when
the rebuild began, and hand the live consumers that point. Each batch is one transaction, recorded in the inbox
like a live delivery, so the live consumers would drop any event the rebuild already applied."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from cme_runtime.db import Transaction
from services.reporting.adapters.replay import ReplayProgress, TopicReplay
from services.reporting.service_layer.projection import Projection

UnitOfWork = Callable[[], AbstractAsyncContextManager[Transaction]]


@dataclass(frozen=True)
class RebuildResult:
    read: int
    applied: int
    skipped: int


async def rebuild(
    unit_of_work: UnitOfWork,
    projection: Projection,
    replay: TopicReplay,
    *,
    batch_size: int,
    on_progress: Callable[[ReplayProgress], None] = lambda _: None,
) -> RebuildResult:
    async with unit_of_work() as tx:
        await projection.clear(tx)
    async for batch in replay.batches(batch_size):
        async with unit_of_work() as tx:
            await projection.deliver(tx, batch)
        on_progress(replay.progress)
    on_progress(replay.progress)
    progress = replay.progress
    return RebuildResult(progress.read, progress.applied, progress.skipped)
