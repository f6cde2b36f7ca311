"""Recording a whole batch of deliveries in the inbox with two statements instead of one or two per message.

The semantics are exactly those of `Inbox.record`, message by message in batch order: the first delivery of an id
is FIRST; a later delivery of the same id (in an earlier batch or earlier in this one) is a DUPLICATE if its content
digest is the same, a CONFLICT if not; rows stored before digests existed are taken on trust as duplicates.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cme_runtime.inbox import Delivery, Inbox


@dataclass(frozen=True)
class Arrival:
    """One message of a batch as the inbox sees it."""

    event_id: str
    event_type: str
    digest: str


async def record_deliveries(inbox: Inbox, session: AsyncSession, arrivals: Sequence[Arrival]) -> list[Delivery]:
    """Record every arrival in the caller's transaction; say for each whether it is new, a duplicate or a conflict."""
    if not arrivals:
        return []
    table = inbox.table
    with_digest = "content_digest" in table.c
    # The first arrival of each id in the batch is the one that may be new; later ones compare with it.
    first_of: dict[str, Arrival] = {}
    for arrival in arrivals:
        first_of.setdefault(arrival.event_id, arrival)
    rows = [
        {"consumer": inbox.consumer, "event_id": each.event_id, "event_type": each.event_type}
        | ({"content_digest": each.digest} if with_digest else {})
        for each in first_of.values()
    ]
    inserted = {
        str(event_id)
        for event_id in (
            await session.execute(insert(table).values(rows).on_conflict_do_nothing().returning(table.c.event_id))
        ).scalars()
    }
    # Digests stored before this batch, for the ids that were already there.
    stored: dict[str, str | None] = {}
    already = [event_id for event_id in first_of if event_id not in inserted]
    if already and with_digest:
        found = await session.execute(
            select(table.c.event_id, table.c.content_digest).where(
                table.c.consumer == inbox.consumer, table.c.event_id.in_(already)
            )
        )
        stored = {str(event_id): digest for event_id, digest in found.tuples()}
    outcomes: list[Delivery] = []
    seen: set[str] = set()
    for arrival in arrivals:
        if arrival.event_id in inserted and arrival.event_id not in seen:
            seen.add(arrival.event_id)
            outcomes.append(Delivery.FIRST)
            continue
        # Compared with what the inbox holds: stored before this batch, or the batch's own first arrival.
        reference = first_of[arrival.event_id].digest if arrival.event_id in inserted else stored.get(arrival.event_id)
        if not with_digest or reference is None or reference == arrival.digest:
            outcomes.append(Delivery.DUPLICATE)
        else:
            outcomes.append(Delivery.CONFLICT)
    return outcomes
