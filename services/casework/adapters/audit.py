"""The audit log in PostgreSQL: every view and change of a child's record, hash-chained (domain/audit.py)."""

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.adapters.tables import audit_log
from services.casework.domain.audit import (
    GENESIS_HASH,
    AuditEntry,
    ChainReport,
    HashedEntry,
    JsonScalar,
    digest_details,
    entry_hash,
    verify_chain,
)

# One writer at a time extends the chain, whichever process it is in.
_CHAIN_LOCK = 7_346_201


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
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
        last = (
            await session.execute(select(audit_log.c.seq, audit_log.c.entry_hash).order_by(audit_log.c.seq.desc()).limit(1))
        ).first()
        seq, previous = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        entry = AuditEntry(
            seq=seq,
            at=datetime.now(UTC).isoformat(),
            actor_id=actor_id,
            action=action,
            record_type=record_type,
            record_id=record_id,
            detail_digest=digest_details(details) if details else "",
        )
        await session.execute(
            audit_log.insert().values(
                seq=entry.seq,
                at=datetime.fromisoformat(entry.at),
                actor_id=entry.actor_id,
                action=entry.action,
                record_type=entry.record_type,
                record_id=entry.record_id,
                detail_digest=entry.detail_digest,
                previous_hash=previous,
                entry_hash=entry_hash(previous, entry),
            )
        )
        return entry

    async def entries(self, session: AsyncSession, *, record_id: str | None = None, limit: int = 200,
                      offset: int = 0) -> list[dict[str, object]]:
        query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit).offset(offset)
        if record_id is not None:
            query = query.where(audit_log.c.record_id == record_id)
        return [dict(row) for row in (await session.execute(query)).mappings()]

    async def verify(self, session: AsyncSession) -> ChainReport:
        rows = (await session.execute(select(audit_log).order_by(audit_log.c.seq))).mappings().all()
        chain = [
            HashedEntry(
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
            for row in rows
        ]
        return verify_chain(chain)
