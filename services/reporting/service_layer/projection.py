"""Builds reporting's read model from the suite's events, a batch at a time: the live consumers and the rebuild's
replay both call `apply_batch`, so a rebuild gives exactly what the live consumers gave.

A batch becomes a few statements, not a few per event: insert-only facts (referrals, decisions, case changes,
escalations, rejections) are inserted together; cases and reviews are read once, each batch's events folded
into them in the order they arrived (one child's case events are in order on their topic), and written back
together. Events of one case on different topics (a triage decision read after its case opened) are reconciled
whichever comes first.
"""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from cme_runtime.db import Transaction
from cme_runtime.inbox import Delivery
from contracts.base import Event
from contracts.events.case_v1 import CaseClosed, CaseEscalated, CaseOpened, CaseUpdated
from contracts.events.intake_v1 import SubmissionRejected
from contracts.events.referral_v1 import ReferralReceived
from contracts.events.review_v1 import ReviewDecided, ReviewProgressed, ReviewSignedOff
from contracts.events.triage_v1 import TriageDecided
from services.reporting.adapters.read_model import Delivered, ReadModel
from services.reporting.adapters.school_facts import SchoolFacts
from services.reporting.service_layer.school_facts import school_fact_row

# The flag casework raises when a located child goes missing again (CaseUpdated.flags_raised).
WHEREABOUTS_UNKNOWN_FLAG = "whereabouts_unknown"
LOCATED = "child_located"
REOPENED = "reopened"

CONSUMED: tuple[type[Event], ...] = (
    ReferralReceived, TriageDecided, CaseOpened, CaseUpdated, CaseEscalated, CaseClosed,
    ReviewProgressed, ReviewDecided, ReviewSignedOff, SubmissionRejected,
)
CASE_EVENTS = (CaseOpened, CaseUpdated, CaseClosed)
REVIEW_EVENTS = (ReviewProgressed, ReviewDecided, ReviewSignedOff)


class Projection:
    def __init__(self, read_model: ReadModel, consumer: str, school_facts: SchoolFacts | None = None) -> None:
        self.read_model = read_model
        self.consumer = consumer
        self.school_facts = school_facts

    async def deliver(self, tx: Transaction, batch: Sequence[Delivered]) -> list[Delivery]:
        """Record the batch in the inbox and apply the events delivered for the first time."""
        outcomes = await self.read_model.record_deliveries(
            tx, self.consumer, [(each.event_id, each.event_type, each.digest) for each in batch]
        )
        await self.apply_batch(
            tx, [(each.event_id, each.event) for each, outcome in zip(batch, outcomes, strict=True)
                 if outcome is Delivery.FIRST]
        )
        return outcomes

    async def apply_batch(self, tx: Transaction, events: Sequence[tuple[str, Event]]) -> None:
        model = self.read_model
        inserts: dict[str, list[dict[str, Any]]] = {
            "referrals": [], "triage_decisions": [], "case_changes": [], "escalations": [], "rejections": [],
        }
        for event_id, event in events:
            row = _insert_only_row(event_id, event)
            if row is not None:
                inserts[row[0]].append(row[1])
        for table, rows in inserts.items():
            await model.add(tx, table, rows)
        await self._add_school_facts(tx, [event for _, event in events])
        await self._fold_cases(tx, [event for _, event in events if isinstance(event, CASE_EVENTS)])
        unknown = [row["referral_id"] for row in inserts["triage_decisions"] if row["whereabouts_unknown"]]
        await model.mark_unknown_from_opening(tx, unknown)
        await self._fold_reviews(tx, [event for _, event in events if isinstance(event, REVIEW_EVENTS)])

    async def _fold_cases(self, tx: Transaction, events: Sequence[Event]) -> None:
        if not events:
            return
        case_ids = [event.case_id for event in events]  # type: ignore[attr-defined]
        rows = await self.read_model.cases(tx, case_ids)
        opened_unknown = await self.read_model.unknown_referrals(
            tx, [event.referral_id for event in events if isinstance(event, CaseOpened)]
        )
        for event in events:
            case_id: UUID = event.case_id  # type: ignore[attr-defined]
            row = rows.setdefault(case_id, {"case_id": case_id, "child_id": event.child_id})  # type: ignore[attr-defined]
            _fold_case(row, event, opened_unknown)
        await self.read_model.save_cases(tx, list(rows.values()))

    async def _fold_reviews(self, tx: Transaction, events: Sequence[Event]) -> None:
        if not events:
            return
        rows = await self.read_model.reviews(tx, [event.review_id for event in events])  # type: ignore[attr-defined]
        for event in events:
            review_id: UUID = event.review_id  # type: ignore[attr-defined]
            row = rows.setdefault(
                review_id, {"review_id": review_id, "case_id": event.case_id, "withdrawn": False}  # type: ignore[attr-defined]
            )
            if isinstance(event, ReviewProgressed):
                row.update(meeting_date=event.meeting_date, step=event.step, step_at=event.at,
                           withdrawn=event.step == "withdrawn")
            elif isinstance(event, ReviewDecided):
                row["risk_band"] = event.risk_band.value
            elif isinstance(event, ReviewSignedOff):
                row.update(step="signed_off", step_at=event.signed_off_at, risk_band=event.risk_band.value)
        await self.read_model.save_reviews(tx, list(rows.values()))

    async def _add_school_facts(self, tx: Transaction, events: Sequence[Event]) -> None:
        if self.school_facts is None:
            return
        rows: dict[str, list[dict[str, Any]]] = {"school_returns": [], "case_returns": [], "triage_outcomes": []}
        for event in events:
            row = school_fact_row(event)
            if row is not None:
                rows[row[0]].append(row[1])
        for table, table_rows in rows.items():
            await self.school_facts.add(tx, table, table_rows)

    async def clear(self, tx: Transaction) -> None:
        await self.read_model.clear(tx)
        if self.school_facts is not None:
            await self.school_facts.clear(tx)


def _fold_case(row: dict[str, Any], event: Event, opened_unknown: set[UUID]) -> None:
    """One case event applied to the case's row, in order."""
    if isinstance(event, CaseOpened):
        row.update(
            referral_id=event.referral_id, opened_at=event.opened_at, priority=event.priority.value,
            track=event.track.value, due_date=event.due_date, given_name=event.child.given_name,
            family_name=event.child.family_name, date_of_birth=event.child.date_of_birth,
        )
        if event.referral_id in opened_unknown and row.get("whereabouts_unknown_since") is None:
            row["whereabouts_unknown_since"] = event.opened_at
    elif isinstance(event, CaseUpdated):
        if event.change == LOCATED:
            row["located_at"] = event.updated_at
        elif event.change == REOPENED:
            row.update(closed_at=None, close_reason=None)
        if WHEREABOUTS_UNKNOWN_FLAG in event.flags_raised:
            # Missing again after being located: a new spell of whereabouts unknown starts now.
            row.update(whereabouts_unknown_since=event.updated_at, located_at=None)
    elif isinstance(event, CaseClosed):
        row.update(closed_at=event.closed_at, close_reason=event.reason)


def _insert_only_row(event_id: str, event: Event) -> tuple[str, dict[str, Any]] | None:
    if isinstance(event, ReferralReceived):
        return "referrals", {
            "referral_id": event.referral_id, "child_id": event.child_id, "kind": event.kind.value,
            "ground": event.leaving_ground.code if event.leaving_ground else None,
            "school_id": event.school.establishment_id if event.school else None,
            "received_at": event.received_at,
        }
    if isinstance(event, TriageDecided):
        return "triage_decisions", {
            "referral_id": event.referral_id, "whereabouts_unknown": event.whereabouts_unknown,
            "decided_at": event.decided_at,
        }
    if isinstance(event, CaseUpdated):
        return "case_changes", {
            "event_id": event_id, "case_id": event.case_id, "at": event.updated_at, "change": event.change,
            "status": event.status, "priority": event.priority.value if event.priority else None,
        }
    if isinstance(event, CaseEscalated):
        return "escalations", {
            "event_id": event_id, "case_id": event.case_id, "kind": event.kind.value,
            "escalated_at": event.escalated_at,
        }
    if isinstance(event, SubmissionRejected):
        return "rejections", {
            "event_id": event_id, "submission_type": event.submission_type, "rejected_at": event.rejected_at,
            "problems": len(event.problems), "first_field": event.problems[0].field,
        }
    return None
