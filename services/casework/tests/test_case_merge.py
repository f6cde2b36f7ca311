"""Intake's merges applied to cases: the pure rules, and the use case against in-memory fakes of its ports."""

import copy
import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from cme_runtime.db import Transaction
from cme_runtime.testing import TRANSACTION, FixedClock, RecordingOutbox
from contracts.envelope import CloudEventAttributes, new_attributes
from contracts.events.case_v1 import CaseUpdated
from contracts.events.common_v1 import Child
from contracts.events.identity_v1 import ChildrenMerged, ChildrenMergeUndone, MergeReason
from contracts.events.referral_v1 import ReferralKind
from contracts.events.triage_v1 import Priority, Track, TriageDecided
from services.casework.adapters.merges import CaseMerge, MergeStore
from services.casework.adapters.repository import CaseRepository, ConcurrentChange, reference_for
from services.casework.domain.case import Case
from services.casework.domain.case_merge import current_case, mark_merged, plan_merge, restore_merged
from services.casework.domain.vocabulary import Status
from services.casework.service_layer.merges import CaseMerges
from services.casework.tests.factories import START, allocated_case, open_case

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
SURVIVOR = str(uuid4())  # intake's surviving child
MERGED = str(uuid4())  # the child intake merged into it


def closed(case: Case) -> Case:
    case.status = Status.CLOSED
    case.closed_at = START + timedelta(days=5)
    return case


class TestPlan:
    def test_the_earliest_opened_case_survives_whichever_child_survives_in_intake(self) -> None:
        older = open_case(str(uuid4()), child_id=MERGED, opened_at=START)
        newer = open_case(str(uuid4()), child_id=SURVIVOR, opened_at=START + timedelta(days=3))

        plan = plan_merge(SURVIVOR, MERGED, [newer], [older])

        assert (plan.surviving_case, plan.merged_case) == (older, newer)
        # Intake will send referrals under its survivor: they must reach the older case's child.
        assert (plan.alias_child_id, plan.case_child_id) == (SURVIVOR, MERGED)

    def test_when_intakes_survivor_has_the_older_case_the_merged_child_is_the_alias(self) -> None:
        older = open_case(str(uuid4()), child_id=SURVIVOR, opened_at=START)
        newer = open_case(str(uuid4()), child_id=MERGED, opened_at=START + timedelta(days=1))

        plan = plan_merge(SURVIVOR, MERGED, [older], [newer])

        assert (plan.surviving_case, plan.merged_case) == (older, newer)
        assert (plan.alias_child_id, plan.case_child_id) == (MERGED, SURVIVOR)

    def test_an_open_case_survives_an_older_closed_one(self) -> None:
        older_closed = closed(open_case(str(uuid4()), child_id=SURVIVOR, opened_at=START))
        newer_open = open_case(str(uuid4()), child_id=MERGED, opened_at=START + timedelta(days=9))

        plan = plan_merge(SURVIVOR, MERGED, [older_closed], [newer_open])

        assert plan.surviving_case is newer_open
        assert plan.merged_case is older_closed

    def test_one_case_simply_gains_the_alias(self) -> None:
        only = open_case(str(uuid4()), child_id=MERGED)

        plan = plan_merge(SURVIVOR, MERGED, [], [only])

        assert (plan.surviving_case, plan.merged_case) == (only, None)
        assert (plan.alias_child_id, plan.case_child_id) == (SURVIVOR, MERGED)

    def test_no_cases_alias_the_merged_child_to_intakes_survivor(self) -> None:
        plan = plan_merge(SURVIVOR, MERGED, [], [])

        assert (plan.surviving_case, plan.merged_case) == (None, None)
        assert (plan.alias_child_id, plan.case_child_id) == (MERGED, SURVIVOR)

    def test_a_child_stands_for_its_open_case_before_later_closed_ones(self) -> None:
        open_one = open_case(str(uuid4()), opened_at=START)
        closed_later = closed(open_case(str(uuid4()), opened_at=START + timedelta(days=30)))

        assert current_case([closed_later, open_one]) is open_one
        assert current_case([closed_later]) is closed_later
        assert current_case([]) is None

    def test_a_child_cannot_be_merged_into_itself(self) -> None:
        with pytest.raises(ValueError, match="itself"):
            plan_merge(SURVIVOR, SURVIVOR, [], [])


class TestMarkMerged:
    def test_a_merged_case_is_not_open_and_refuses_officer_changes(self) -> None:
        case = allocated_case(str(uuid4()))
        version = case.version

        mark_merged(case, NOW)

        assert not case.is_open
        assert case.status is Status.CLOSED
        assert case.closed_at == NOW
        assert case.version == version + 1
        with pytest.raises(Exception, match="closed"):
            case.allocate("officer-2", "manager-1", NOW)

    def test_undoing_restores_the_case_exactly_as_it_was(self) -> None:
        case = allocated_case(str(uuid4()))

        memo = mark_merged(case, NOW)
        restore_merged(case, memo)

        assert case.status is Status.ALLOCATED
        assert case.closed_at is None
        assert case.is_open

    def test_a_closed_case_keeps_its_own_closing_date_through_merge_and_undo(self) -> None:
        case = closed(open_case(str(uuid4())))
        closed_at = case.closed_at

        memo = mark_merged(case, NOW)
        assert case.closed_at == closed_at
        restore_merged(case, memo)

        assert (case.status, case.closed_at) == (Status.CLOSED, closed_at)


# ---------------------------------------------------------------------- the use case, with in-memory ports


class FakeCases(CaseRepository):
    """Cases kept as copies, as the database would: a change counts only once saved."""

    def __init__(self, *cases: Case) -> None:
        self.cases = {case.case_id: copy.deepcopy(case) for case in cases}
        self.timeline: list[dict[str, Any]] = []
        self.locked: list[str] = []

    async def lock_child(self, session: Any, child_id: str) -> None:
        self.locked.append(child_id)

    async def for_child(self, session: Any, child_id: str) -> list[Case]:
        return [copy.deepcopy(case) for case in self.cases.values() if case.child_id == child_id]

    async def get(self, session: Any, case_id: str) -> Case | None:
        case = self.cases.get(case_id)
        return copy.deepcopy(case) if case else None

    async def save(self, session: Any, case: Case, expected_version: int) -> None:
        if self.cases[case.case_id].version != expected_version:
            raise ConcurrentChange(case.case_id)
        self.cases[case.case_id] = copy.deepcopy(case)

    async def add_timeline(self, session: Any, entries: Any) -> None:
        self.timeline.extend(entries)

    def entries(self, case_id: str) -> list[str]:
        return [entry["summary"] for entry in self.timeline if entry["case_id"] == UUID(case_id)]


class FakeMergeStore(MergeStore):
    def __init__(self) -> None:
        self.merges: dict[str, CaseMerge] = {}
        self.aliases: dict[str, tuple[str, str]] = {}  # alias -> (child id, merge id)

    async def get(self, session: Transaction, merge_id: str) -> CaseMerge | None:
        return self.merges.get(merge_id)

    async def add(self, session: Transaction, merge: CaseMerge, alias_child_id: str, case_child_id: str) -> None:
        self.merges[merge.merge_id] = merge
        self.aliases[alias_child_id] = (case_child_id, merge.merge_id)

    async def undo(self, session: Transaction, merge_id: str, by: str, at: datetime) -> None:
        self.merges[merge_id] = dataclasses.replace(self.merges[merge_id], undone_at=at)
        self.aliases = {alias: target for alias, target in self.aliases.items() if target[1] != merge_id}

    async def case_child_id(self, session: Transaction, child_id: str) -> str:
        while child_id in self.aliases:
            child_id = self.aliases[child_id][0]
        return child_id


class Harness:
    def __init__(self, *cases: Case) -> None:
        self.cases = FakeCases(*cases)
        self.store = FakeMergeStore()
        self.outbox = RecordingOutbox(declared=frozenset({CaseUpdated.event_type}))
        self.triaged: list[TriageDecided] = []
        self.merges = CaseMerges(self.outbox, self.cases, self.store, self._triaged, FixedClock(NOW))

    async def _triaged(self, session: Transaction, attributes: CloudEventAttributes, decision: TriageDecided) -> None:
        self.triaged.append(decision)

    async def merge(self, merge_id: UUID) -> None:
        event = ChildrenMerged(
            merge_id=merge_id,
            surviving_child_id=UUID(SURVIVOR),
            merged_child_id=UUID(MERGED),
            decided_by="officer-1",
            reason=MergeReason.MATCH_REVIEW_CONFIRMED,
            merged_at=NOW,
        )
        await self.merges.on_identity_event(TRANSACTION, new_attributes(event, source="/test", subject=None), event)

    async def undo(self, merge_id: UUID) -> None:
        event = ChildrenMergeUndone(
            merge_id=merge_id,
            unmerge_id=uuid4(),
            surviving_child_id=UUID(SURVIVOR),
            merged_child_id=UUID(MERGED),
            undone_by="officer-2",
            undone_at=NOW,
        )
        await self.merges.on_identity_event(TRANSACTION, new_attributes(event, source="/test", subject=None), event)

    async def triage(self, child_id: str) -> TriageDecided:
        decision = TriageDecided(
            decision_id=uuid4(),
            referral_id=uuid4(),
            child_id=UUID(child_id),
            decided_at=NOW,
            is_cme=True,
            track=Track.CME_ENQUIRY,
            priority=Priority.P3,
            reasons=("test",),
            rules_version="test",
            kind=ReferralKind.LEAVER,
            child=Child(given_name="Ada", family_name="Testperson", date_of_birth=date(2014, 5, 10)),
        )
        attributes = new_attributes(decision, source="/test", subject=None)
        await self.merges.on_triage_decided(TRANSACTION, attributes, decision)
        return self.triaged[-1]


class TestApplyingMerges:
    async def test_two_open_cases_become_one_and_the_undo_splits_them_back(self) -> None:
        older = allocated_case(str(uuid4()), child_id=MERGED, opened_at=START)
        newer = open_case(str(uuid4()), child_id=SURVIVOR, opened_at=START + timedelta(days=2))
        harness = Harness(older, newer)
        merge_id = uuid4()

        await harness.merge(merge_id)

        merged, surviving = harness.cases.cases[newer.case_id], harness.cases.cases[older.case_id]
        assert not merged.is_open
        assert surviving.is_open
        open_cases = [case for case in harness.cases.cases.values() if case.is_open]
        assert open_cases == [surviving]
        assert harness.cases.entries(newer.case_id) == [
            f"Merged into case {reference_for(older.case_id)}: intake found both records are one child"
        ]
        assert harness.cases.entries(older.case_id) == [
            f"Case {reference_for(newer.case_id)} merged into this case: intake found both records are one child"
        ]
        published = harness.outbox.of_type(CaseUpdated)
        assert {(str(event.case_id), event.change, event.status) for event in published} == {  # type: ignore[attr-defined]
            (older.case_id, "merged", "allocated"),
            (newer.case_id, "merged", "closed"),
        }

        await harness.undo(merge_id)

        reopened = harness.cases.cases[newer.case_id]
        assert reopened.status is Status.TRIAGED
        assert reopened.closed_at is None
        assert harness.cases.cases[older.case_id].status is Status.ALLOCATED
        assert harness.cases.entries(newer.case_id)[-1].startswith("Merge with case")
        assert harness.cases.entries(older.case_id)[-1].startswith("Merge with case")

    async def test_later_decisions_about_either_child_go_to_the_surviving_case_until_the_undo(self) -> None:
        older = open_case(str(uuid4()), child_id=MERGED, opened_at=START)
        newer = open_case(str(uuid4()), child_id=SURVIVOR, opened_at=START + timedelta(days=2))
        harness = Harness(older, newer)
        merge_id = uuid4()
        await harness.merge(merge_id)

        assert str((await harness.triage(SURVIVOR)).child_id) == MERGED
        assert str((await harness.triage(MERGED)).child_id) == MERGED

        await harness.undo(merge_id)

        assert str((await harness.triage(SURVIVOR)).child_id) == SURVIVOR

    async def test_one_case_gains_the_alias_and_changes_nothing_else(self) -> None:
        only = open_case(str(uuid4()), child_id=SURVIVOR)
        harness = Harness(only)

        await harness.merge(uuid4())

        assert harness.cases.cases[only.case_id].status is Status.TRIAGED
        assert harness.cases.cases[only.case_id].version == only.version
        assert str((await harness.triage(MERGED)).child_id) == SURVIVOR
        assert len(harness.outbox.of_type(CaseUpdated)) == 1

    async def test_the_same_merge_twice_changes_nothing_more(self) -> None:
        older = open_case(str(uuid4()), child_id=MERGED, opened_at=START)
        newer = open_case(str(uuid4()), child_id=SURVIVOR, opened_at=START + timedelta(days=2))
        harness = Harness(older, newer)
        merge_id = uuid4()

        await harness.merge(merge_id)
        await harness.merge(merge_id)

        assert len(harness.outbox.of_type(CaseUpdated)) == 2
        assert len(harness.cases.timeline) == 2

    async def test_undoing_an_unknown_merge_is_a_no_op(self) -> None:
        case = open_case(str(uuid4()), child_id=SURVIVOR)
        harness = Harness(case)

        await harness.undo(uuid4())

        assert harness.outbox.published == []
        assert harness.cases.timeline == []
        assert harness.cases.cases[case.case_id].status is Status.TRIAGED

    async def test_undoing_twice_restores_once(self) -> None:
        older = open_case(str(uuid4()), child_id=MERGED, opened_at=START)
        newer = open_case(str(uuid4()), child_id=SURVIVOR, opened_at=START + timedelta(days=2))
        harness = Harness(older, newer)
        merge_id = uuid4()
        await harness.merge(merge_id)

        await harness.undo(merge_id)
        await harness.undo(merge_id)

        assert len(harness.outbox.of_type(CaseUpdated)) == 4
