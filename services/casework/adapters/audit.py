"""The audit log in PostgreSQL: every view and change of a child's record, hash-chained (domain/audit.py)."""

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.adapters.tables import audit_checkpoints, audit_log
from services.casework.domain.audit import (
    GENESIS_HASH,
    AuditEntry,
    ChainAnchor,
    ChainReport,
    HashedEntry,
    JsonScalar,
    digest_details,
    entry_hash,
    verify_chain,
)

# One writer at a time extends the chain, whichever process it is in.
_CHAIN_LOCK = 7_346_201
# Every this many entries the chain's head is copied to `audit_checkpoints`, so entries cut off the end show up
# even when nobody has run a verification in between.
CHECKPOINT_EVERY = 1000
_VERIFY_BATCH = 5000


@dataclass(frozen=True)
class AuditedAction:
    """One entry to append: who did what to which record (ids only), with details bound by their digest."""

    actor_id: str
    action: str
    record_type: str
    record_id: str
    details: Mapping[str, JsonScalar] | None = None


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    created_at: datetime


@dataclass(frozen=True)
class ChainStatus:
    """What a verification found: `report` for the entries checked (from `checked_from` to `head`)."""

    report: ChainReport
    entries_checked: int
    checked_from: int
    head: ChainAnchor | None
    checkpoint: Checkpoint | None

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.report.ok,
            "first_broken_seq": self.report.first_broken_seq,
            "reason": self.report.reason,
            "entries_checked": self.entries_checked,
            "checked_from_seq": self.checked_from,
            "head": {"seq": self.head.seq, "hash": self.head.hash} if self.head else None,
            "checkpoint": (
                {"seq": self.checkpoint.seq, "hash": self.checkpoint.hash,
                 "created_at": self.checkpoint.created_at.astimezone(UTC).isoformat()}
                if self.checkpoint else None
            ),
        }


def _hashed(row: Mapping[str, Any]) -> HashedEntry:
    return HashedEntry(
        AuditEntry(
            seq=row["seq"],
            at=row["at"].astimezone(UTC).isoformat(),
            actor_id=row["actor_id"],
            action=row["action"],
            record_type=row["record_type"],
            record_id=row["record_id"],
            detail_digest=row["detail_digest"],
        ),
        row["entry_hash"],
    )


def _against_checkpoints(
    batch: Sequence[HashedEntry], checkpoints: Mapping[int, set[str]]
) -> ChainReport | None:
    for item in batch:
        recorded = checkpoints.get(item.entry.seq)
        if recorded and recorded != {item.hash}:
            return ChainReport(False, item.entry.seq, "hash differs from the checkpoint")
    return None


class AuditLog:
    async def record(
        self,
        session: AsyncSession,
        *,
        actor_id: str,
        action: str,
        record_type: str,
        record_id: str,
        details: Mapping[str, JsonScalar] | None = None,
    ) -> AuditEntry:
        """Append an entry in the caller's transaction: the audit entry commits or rolls back with the change."""
        [entry] = await self.record_many(
            session, [AuditedAction(actor_id, action, record_type, record_id, details)]
        )
        return entry

    async def record_many(self, session: AsyncSession, actions: Sequence["AuditedAction"]) -> list[AuditEntry]:
        """Append several entries at once (a list view shows many children's records), in the caller's
        transaction, taking the chain's lock and reading its head once."""
        if not actions:
            return []
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
        head = select(audit_log.c.seq, audit_log.c.entry_hash).order_by(audit_log.c.seq.desc()).limit(1)
        last = (await session.execute(head)).first()
        seq, previous = (last[0], last[1]) if last else (0, GENESIS_HASH)
        at = datetime.now(UTC)
        entries, rows, checkpoints = [], [], []
        for action in actions:
            seq += 1
            entry = AuditEntry(
                seq=seq,
                at=at.isoformat(),
                actor_id=action.actor_id,
                action=action.action,
                record_type=action.record_type,
                record_id=action.record_id,
                detail_digest=digest_details(action.details) if action.details else "",
            )
            hash_ = entry_hash(previous, entry)
            rows.append({**asdict(entry), "at": at, "previous_hash": previous, "entry_hash": hash_})
            if seq % CHECKPOINT_EVERY == 0:
                checkpoints.append({"seq": seq, "entry_hash": hash_})
            entries.append(entry)
            previous = hash_
        await session.execute(audit_log.insert(), rows)
        if checkpoints:
            await session.execute(audit_checkpoints.insert(), checkpoints)
        return entries

    async def entries(self, session: AsyncSession, *, record_id: str | None = None, limit: int = 200,
                      offset: int = 0, before: int | None = None, after: int | None = None) -> list[dict[str, object]]:
        """Newest first. `before` and `after` (sequence numbers) page through a log that grows while it is read
        without the pages shifting, and without the cost of a large offset."""
        query = select(audit_log)
        if record_id is not None:
            query = query.where(audit_log.c.record_id == record_id)
        if before is not None:
            query = query.where(audit_log.c.seq < before)
        if after is not None:
            query = query.where(audit_log.c.seq > after).order_by(audit_log.c.seq).limit(limit).offset(offset)
            rows = [dict(row) for row in (await session.execute(query)).mappings()]
            return rows[::-1]
        query = query.order_by(audit_log.c.seq.desc()).limit(limit).offset(offset)
        return [dict(row) for row in (await session.execute(query)).mappings()]

    async def head_seq(self, session: AsyncSession) -> int:
        """The newest entry's sequence number, which is also how many entries there are (they run on from 1)."""
        return int((await session.execute(select(func.coalesce(func.max(audit_log.c.seq), 0)))).scalar_one())

    async def count(self, session: AsyncSession, *, record_id: str | None = None) -> int:
        query = select(func.count()).select_from(audit_log)
        if record_id is not None:
            query = query.where(audit_log.c.record_id == record_id)
        return int((await session.execute(query)).scalar_one())

    async def checkpoints(self, session: AsyncSession) -> list[Checkpoint]:
        rows = await session.execute(
            select(audit_checkpoints.c.seq, audit_checkpoints.c.entry_hash, audit_checkpoints.c.created_at)
            .order_by(audit_checkpoints.c.seq, audit_checkpoints.c.checkpoint_id)
        )
        return [Checkpoint(seq, hash_, created_at) for seq, hash_, created_at in rows]

    async def verify(self, session: AsyncSession) -> ChainReport:
        return (await self.verify_all(session)).report

    async def verify_all(self, session: AsyncSession, *, write_checkpoint: bool = False) -> ChainStatus:
        """Verify the whole chain from its first entry, in batches, and against every checkpoint (so entries cut
        off the end are found). With `write_checkpoint`, a chain found intact gets a checkpoint at its head."""
        checkpoints = await self.checkpoints(session)
        return await self._verify(session, checkpoints, start=None, write_checkpoint=write_checkpoint)

    async def verify_since_checkpoint(self, session: AsyncSession) -> ChainStatus:
        """Verify the entries after the latest checkpoint, which is cheap enough for every view of the audit log
        page; `verify_all` (the `verify-audit` command) checks the rest."""
        checkpoints = await self.checkpoints(session)
        start = max(checkpoints, key=lambda checkpoint: checkpoint.seq) if checkpoints else None
        return await self._verify(session, checkpoints, start=start, write_checkpoint=False)

    async def _verify(self, session: AsyncSession, checkpoints: Sequence[Checkpoint], *, start: Checkpoint | None,
                      write_checkpoint: bool) -> ChainStatus:
        recorded: dict[int, set[str]] = {}
        for checkpoint in checkpoints:
            recorded.setdefault(checkpoint.seq, set()).add(checkpoint.hash)
        latest = max(checkpoints, key=lambda checkpoint: checkpoint.seq) if checkpoints else None
        previous: ChainAnchor | None = None
        if start is not None:
            start_row = (
                await session.execute(select(audit_log).where(audit_log.c.seq == start.seq))
            ).mappings().first()
            if start_row is None:
                return ChainStatus(ChainReport(False, start.seq, "the checkpointed entry is missing"), 0, start.seq,
                                   None, latest)
            start_entry = _hashed(dict(start_row))
            if entry_hash(start_row["previous_hash"], start_entry.entry) != start_entry.hash or (
                    recorded[start.seq] != {start_entry.hash}):
                return ChainStatus(ChainReport(False, start.seq, "hash differs from the checkpoint"), 1, start.seq,
                                   None, latest)
            previous = ChainAnchor(start.seq, start_entry.hash)
        checked_from = previous.seq if previous else 1
        checked = 0
        while True:
            after = previous.seq if previous else 0
            rows = (
                await session.execute(
                    select(audit_log).where(audit_log.c.seq > after).order_by(audit_log.c.seq).limit(_VERIFY_BATCH)
                )
            ).mappings().all()
            if not rows:
                break
            batch = [_hashed(dict(row)) for row in rows]
            report = verify_chain(batch, previous=previous)
            if report.ok:
                report = _against_checkpoints(batch, recorded) or report
            if not report.ok:
                return ChainStatus(report, checked, checked_from, previous, latest)
            checked += len(batch)
            previous = ChainAnchor(batch[-1].entry.seq, batch[-1].hash)
        head_seq = previous.seq if previous else 0
        if latest is not None and latest.seq > head_seq:
            report = ChainReport(False, head_seq + 1, f"chain ends before checkpoint seq {latest.seq}")
            return ChainStatus(report, checked, checked_from, previous, latest)
        if write_checkpoint and previous is not None and (latest is None or latest.seq < previous.seq):
            await session.execute(audit_checkpoints.insert().values(seq=previous.seq, entry_hash=previous.hash))
        return ChainStatus(ChainReport(True, None), checked, checked_from, previous, latest)
