"""Transaction-scoped advisory locks on plain-string keys: submission ids and identity blocking keys.

Every caller takes its locks through here, in sorted order, so a transaction holding several keys (a batch of
submissions, a CTF file's pupils) and one holding a few (a single submission) always wait for each other in the
same order: never in a cycle. Submission ids are always locked before identity keys (each kind has its own
namespace), as `IntakeService` does.

A key locks one of a fixed number of slots (its hash, modulo the slot count), not a lock of its own: PostgreSQL
keeps every lock in a shared table of about `max_locks_per_transaction` x `max_connections` entries (6,400 by
default), and a 10,000-pupil CTF file has some 60,000 identity keys. Two keys sharing a slot only means two
transactions that need not wait for each other sometimes do, for the length of a transaction.
"""

from collections.abc import Iterable
from enum import IntEnum

from sqlalchemy import text

from cme_runtime.db import Transaction

# At most this many locks of each kind in one transaction.
SLOTS = 1024


class LockKind(IntEnum):
    """The first half of the two-part advisory lock: which kind of key the slot is for."""

    SUBMISSION = 1
    IDENTITY = 2


_LOCK_SORTED_SLOTS = text(
    "SELECT pg_advisory_xact_lock(CAST(:kind AS integer), slot) "
    "FROM (SELECT DISTINCT CAST(hashtextextended(key, 0) & :mask AS integer) AS slot "
    "FROM unnest(CAST(:keys AS text[])) AS key ORDER BY 1) AS sorted_slots"
)


async def lock_keys(session: Transaction, kind: LockKind, keys: Iterable[str]) -> None:
    """Wait until no other transaction holds the slot of any of `keys`, then hold them all until this transaction
    ends. Re-entrant: a slot this transaction already holds is taken again at once."""
    wanted = sorted(set(keys))
    if wanted:
        await session.execute(_LOCK_SORTED_SLOTS, {"kind": int(kind), "mask": SLOTS - 1, "keys": wanted})
