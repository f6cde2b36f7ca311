"""Intake's identity decisions applied to cases: merged children's cases become one, and split back on an undo.

The rules (which case survives, what a merged case is) live in `domain/case_merge.py`; this use case loads the
children's cases under their locks, applies the plan, records it with the alias it leaves, writes a timeline entry
on each case and publishes `CaseUpdated` for each (change `merged` / `merge_undone`). Triage decisions pass through
`on_triage_decided` first, so that a decision about a merged-away child id reaches the surviving case.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from cme_runtime.clock import Clock, utc_now
from cme_runtime.db import Transaction
from cme_runtime.logging import get_logger
from cme_runtime.outbox import EventOutbox
from contracts.envelope import CloudEventAttributes
from contracts.events.case_v1 import CaseUpdated
from contracts.events.identity_v1 import ChildrenMerged, ChildrenMergeUndone
from contracts.events.triage_v1 import TriageDecided
from services.casework.adapters.merges import CaseMerge, MergeStore
from services.casework.adapters.repository import CaseRepository, reference_for
from services.casework.domain.case import SYSTEM_ACTOR, Case
from services.casework.domain.case_merge import (
    MergedCaseMemo,
    mark_merged,
    merged_summary,
    plan_merge,
    restore_merged,
    survivor_summary,
    undone_summary,
)
from services.casework.domain.vocabulary import Status

log = get_logger(__name__)

TriageHandler = Callable[[Transaction, CloudEventAttributes, TriageDecided], Awaitable[None]]


class CaseMerges:
    def __init__(
        self,
        outbox: EventOutbox,
        repository: CaseRepository,
        merges: MergeStore,
        on_triage_decided: TriageHandler,
        clock: Clock = utc_now,
    ) -> None:
        self.outbox = outbox
        self.repository = repository
        self.merges = merges
        self._on_triage_decided = on_triage_decided
        self.clock = clock

    async def on_triage_decided(
        self, session: Transaction, attributes: CloudEventAttributes, decision: TriageDecided
    ) -> None:
        """Send a decision about a merged-away child id to the child whose case holds the work now."""
        child_id = str(decision.child_id)
        # Taken before the alias is read, so a merge of this child cannot commit in between.
        await self.repository.lock_child(session, child_id)
        target = await self.merges.case_child_id(session, child_id)
        if target != child_id:
            decision = decision.model_copy(update={"child_id": UUID(target)})
        await self._on_triage_decided(session, attributes, decision)

    async def on_identity_event(
        self, session: Transaction, attributes: CloudEventAttributes, event: ChildrenMerged | ChildrenMergeUndone
    ) -> None:
        if isinstance(event, ChildrenMerged):
            await self.on_children_merged(session, event)
        else:
            await self.on_merge_undone(session, event)

    async def on_children_merged(self, session: Transaction, event: ChildrenMerged) -> None:
        merge_id = str(event.merge_id)
        if await self.merges.get(session, merge_id) is not None:
            return
        # Follow earlier merges: either id may already be read as another child here.
        surviving = await self.merges.case_child_id(session, str(event.surviving_child_id))
        merged = await self.merges.case_child_id(session, str(event.merged_child_id))
        for child_id in sorted({surviving, merged}):
            await self.repository.lock_child(session, child_id)
        at = self.clock()
        if surviving == merged:
            # Already one child here (a merge of merges): recorded, so an undo finds it, with nothing to change.
            await self.merges.add(session, self._record(event, None, None, None, at), surviving, merged)
            log.info("children merged: already one child here", merge_id=merge_id)
            return
        plan = plan_merge(
            surviving,
            merged,
            await self.repository.for_child(session, surviving),
            await self.repository.for_child(session, merged),
        )
        memo: MergedCaseMemo | None = None
        if plan.merged_case is not None:
            expected = plan.merged_case.version
            memo = mark_merged(plan.merged_case, at)
            await self.repository.save(session, plan.merged_case, expected)
        record = self._record(event, plan.surviving_case, plan.merged_case, memo, at)
        await self.merges.add(session, record, plan.alias_child_id, plan.case_child_id)
        surviving_ref = reference_for(plan.surviving_case.case_id) if plan.surviving_case else None
        merged_ref = reference_for(plan.merged_case.case_id) if plan.merged_case else None
        if plan.surviving_case is not None:
            await self._note(session, plan.surviving_case, "merged", survivor_summary(merged_ref), event=event, at=at)
        if plan.merged_case is not None and surviving_ref is not None:
            await self._note(session, plan.merged_case, "merged", merged_summary(surviving_ref), event=event, at=at)
        log.info(
            "children merged",
            merge_id=merge_id,
            surviving_case_id=plan.surviving_case.case_id if plan.surviving_case else None,
            merged_case_id=plan.merged_case.case_id if plan.merged_case else None,
        )

    async def on_merge_undone(self, session: Transaction, event: ChildrenMergeUndone) -> None:
        merge_id = str(event.merge_id)
        record = await self.merges.get(session, merge_id)
        if record is None or record.undone_at is not None:
            log.info("merge undo with nothing to undo", merge_id=merge_id, known=record is not None)
            return
        for child_id in sorted({record.surviving_child_id, record.merged_child_id}):
            await self.repository.lock_child(session, child_id)
        at = self.clock()
        await self.merges.undo(session, merge_id, event.undone_by, at)
        surviving = await self._case(session, record.surviving_case_id)
        merged = await self._case(session, record.merged_case_id)
        if merged is not None and record.merged_case_status is not None:
            expected = merged.version
            restore_merged(merged, MergedCaseMemo(Status(record.merged_case_status), record.merged_case_closed_at))
            await self.repository.save(session, merged, expected)
        surviving_ref = reference_for(surviving.case_id) if surviving else None
        merged_ref = reference_for(merged.case_id) if merged else None
        if surviving is not None:
            await self._note(session, surviving, "merge_undone", undone_summary(merged_ref), event=event, at=at)
        if merged is not None:
            await self._note(session, merged, "merge_undone", undone_summary(surviving_ref), event=event, at=at)
        log.info("merge undone", merge_id=merge_id)

    def _record(
        self,
        event: ChildrenMerged,
        surviving: Case | None,
        merged: Case | None,
        memo: MergedCaseMemo | None,
        at: datetime,
    ) -> CaseMerge:
        return CaseMerge(
            merge_id=str(event.merge_id),
            surviving_child_id=str(event.surviving_child_id),
            merged_child_id=str(event.merged_child_id),
            surviving_case_id=surviving.case_id if surviving else None,
            merged_case_id=merged.case_id if merged else None,
            merged_case_status=memo.status.value if memo else None,
            merged_case_closed_at=memo.closed_at if memo else None,
            decided_by=event.decided_by,
            merged_at=at,
        )

    async def _case(self, session: Transaction, case_id: str | None) -> Case | None:
        return await self.repository.get(session, case_id) if case_id else None

    async def _note(
        self,
        session: Transaction,
        case: Case,
        change: str,
        summary: str,
        *,
        event: ChildrenMerged | ChildrenMergeUndone,
        at: datetime,
    ) -> None:
        """A timeline entry on the case and a `CaseUpdated` saying what happened, under one event id."""
        event_id = uuid4()
        actor = event.decided_by if isinstance(event, ChildrenMerged) else event.undone_by
        entry: dict[str, Any] = {
            "case_id": UUID(case.case_id),
            "at": at,
            "kind": f"case.{change}",
            "actor": actor or SYSTEM_ACTOR,
            "summary": summary,
            "source": "intake",
            "event_id": str(event_id),
        }
        await self.repository.add_timeline(session, [entry])
        update = CaseUpdated(
            case_id=UUID(case.case_id),
            child_id=UUID(case.child_id),
            updated_at=at,
            change=change,
            summary=summary,
            status=case.status.value,
            priority=None,
            officer_id=case.officer_id,
        )
        await self.outbox.add(session, update, key=case.child_id, subject=case.case_id, event_id=event_id)
