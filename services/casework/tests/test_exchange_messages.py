"""The exchange's tasks (issue 9), as rules and through the message step on in-memory ports: a failure about a child
with no case open here reaches the lead officer (once), an acknowledged CME referral reaches the case's officer to
close the case (a person closes it, not the machine), and nothing else raises a task."""

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from cme_runtime.db import Transaction
from cme_runtime.testing import TRANSACTION, FixedClock
from contracts.events.notify_v1 import MessageStatusChanged
from services.casework.adapters.exchange_messages import MessageLog
from services.casework.domain.case import Case
from services.casework.domain.exchange_messages import (
    CaseMessage,
    MessageUpdate,
    acknowledged_referral_task,
    counterpart_words,
    receipt_times,
    sole_lead_officer,
    task_without_case,
)
from services.casework.domain.records import ClosureDetails
from services.casework.domain.tasks import TaskKind
from services.casework.domain.vocabulary import ClosureReason, Priority
from services.casework.service_layer.cases import message_summary
from services.casework.service_layer.exchange import ExchangeMessages
from services.casework.tests.factories import OFFICER, allocated_case, at
from services.casework.tests.task_fakes import FakeTaskRepository, FakeTaskSources

NOW = datetime(2026, 12, 3, 10, tzinfo=UTC)
CHILD = "5a1f0c1e-0000-4000-8000-000000000001"


def update(**changes: Any) -> MessageUpdate:
    base = MessageUpdate(
        message_id="m-1",
        child_id=CHILD,
        case_id=None,
        changed_at=NOW,
        recipient_role="other_local_authority",
        channel="exchange",
        purpose="authority_referral",
        status="unacknowledged",
        failed=True,
        counterpart_la="886",
        direction="sent",
    )
    return replace(base, **changes)


# ---------------------------------------------------------------------- the rules


def test_a_failed_message_with_no_case_is_a_task_for_the_lead_officer_titled_with_the_la_and_the_purpose() -> None:
    draft = task_without_case(update(), "lead-1", date(2026, 12, 3))

    assert draft is not None
    assert draft.case_id is None and draft.assignee_id == "lead-1" and draft.child_id == CHILD
    assert draft.kind is TaskKind.EXCHANGE_WITHOUT_CASE
    assert draft.title.startswith("LA 886, CME referral: not acknowledged, and the child has no open case here")
    assert draft.due_on == date(2026, 12, 3) and draft.priority is Priority.P2
    assert draft.natural_key == "message_failed:m-1"


@pytest.mark.parametrize("status", ["refused", "failed"])
def test_every_failed_status_reaches_a_person(status: str) -> None:
    assert task_without_case(update(status=status), None, date(2026, 12, 3)) is not None


def test_no_task_without_a_case_for_a_message_that_did_not_fail_or_that_has_a_case() -> None:
    assert task_without_case(update(status="sent", failed=False), "lead-1", date(2026, 12, 3)) is None
    assert task_without_case(update(case_id="case-1"), "lead-1", date(2026, 12, 3)) is None


def test_the_task_goes_to_the_one_lead_officer_else_the_team() -> None:
    assert sole_lead_officer(["lead-1"]) == "lead-1"
    assert sole_lead_officer([]) is None
    assert sole_lead_officer(["lead-1", "lead-2"]) is None


def test_an_acknowledged_referral_is_a_task_for_the_case_s_officer_to_close_the_case() -> None:
    case = allocated_case()
    acknowledged = update(case_id=case.case_id, status="acknowledged", failed=False, detail="HER-2026-0042")

    draft = acknowledged_referral_task(case, acknowledged, date(2026, 12, 3))

    assert draft is not None
    assert draft.assignee_id == OFFICER and draft.case_id == case.case_id
    assert draft.kind is TaskKind.AUTHORITY_ACKNOWLEDGED
    assert draft.title == (
        "LA 886 acknowledged the referral (their reference HER-2026-0042): close the case if the "
        "child is in education there"
    )


def test_an_acknowledgement_without_a_reference_says_so() -> None:
    case = allocated_case()
    draft = acknowledged_referral_task(
        case, update(case_id=case.case_id, status="acknowledged", failed=False), date(2026, 12, 3)
    )
    assert draft is not None and "(no reference given)" in draft.title


@pytest.mark.parametrize(
    "changes",
    [
        {"purpose": "authority_enquiry"},  # an enquiry's acknowledgement is not a transfer
        {"direction": "received"},  # they acknowledged nothing of ours
        {"status": "receipted"},  # their system has it; no person has taken the child on yet
        {"channel": "email"},
    ],
)
def test_no_closing_task_for_anything_but_an_acknowledged_outbound_referral(changes: dict[str, Any]) -> None:
    case = allocated_case()
    acknowledged = update(case_id=case.case_id, status="acknowledged", failed=False)
    assert acknowledged_referral_task(case, replace(acknowledged, **changes), date(2026, 12, 3)) is None


def test_no_closing_task_on_a_case_already_closed() -> None:
    case = allocated_case()
    case.close(ClosureReason.OTHER, OFFICER, at(days=1), ClosureDetails(text="No longer needed"))
    acknowledged = update(case_id=case.case_id, status="acknowledged", failed=False)
    assert acknowledged_referral_task(case, acknowledged, date(2026, 12, 3)) is None


def test_an_acknowledgement_is_also_a_receipt() -> None:
    assert receipt_times(update(status="acknowledged")) == (NOW, NOW)
    assert receipt_times(update(status="receipted")) == (NOW, None)
    assert receipt_times(update(status="sent")) == (None, None)


def test_the_other_end_in_words() -> None:
    assert counterpart_words("other_local_authority", "886") == "Local authority 886"
    assert counterpart_words("social_worker", None) == "Social worker"


# ---------------------------------------------------------------------- the message step, on fakes


class FakeMessageLog(MessageLog):
    def __init__(self) -> None:
        self.updates: list[MessageUpdate] = []

    async def record_request(self, session: Any, message: CaseMessage) -> None:
        raise AssertionError("the message step records updates only")

    async def record_update(self, session: Any, change: MessageUpdate) -> None:
        self.updates.append(change)

    async def for_case(self, session: Any, case_id: str) -> list[CaseMessage]:
        return []


def status_changed(
    case: Case | None, status: str, failed: bool, detail: str | None = None, message_id: UUID | None = None
) -> MessageStatusChanged:
    return MessageStatusChanged(
        message_id=message_id or uuid4(),
        child_id=UUID(CHILD),
        case_id=None,
        changed_at=NOW,
        recipient_role="other_local_authority",
        channel="exchange",
        purpose="authority_referral",
        status=status,
        failed=failed,
        counterpart_la="886",
        direction="sent",
        detail=detail,
    )


def step_with(
    *cases: Case, lead_officers: tuple[str, ...] = ("lead-1",)
) -> tuple[ExchangeMessages, FakeMessageLog, FakeTaskRepository]:
    log, tasks = FakeMessageLog(), FakeTaskRepository()

    async def leads(_: Transaction) -> list[str]:
        return list(lead_officers)

    return ExchangeMessages(log, tasks, FakeTaskSources(list(cases)), leads, FixedClock(NOW)), log, tasks


async def test_the_step_keeps_every_status_and_raises_the_lead_officer_s_task_once() -> None:
    step, log, tasks = step_with()
    message_id = uuid4()
    failed = status_changed(None, "unacknowledged", True, message_id=message_id)

    first = await step.on_status_changed(TRANSACTION, failed, None)
    again = await step.on_status_changed(TRANSACTION, replace_status(failed, "refused"), None)

    assert first is not None and first.assignee_id == "lead-1" and first.case_id is None
    assert again is None  # one task per message
    assert [each.status for each in log.updates] == ["unacknowledged", "refused"]
    assert len(tasks.tasks) == 1


async def test_the_step_raises_the_closing_task_for_the_case_s_officer() -> None:
    case = allocated_case()
    step, log, _ = step_with(case)

    task = await step.on_status_changed(TRANSACTION, status_changed(case, "acknowledged", False, "HER-1"), case.case_id)

    assert task is not None and task.assignee_id == OFFICER and task.case_id == case.case_id
    assert log.updates[0].case_id == case.case_id and log.updates[0].detail == "HER-1"


async def test_a_sent_status_on_a_case_raises_no_task() -> None:
    case = allocated_case()
    step, _, tasks = step_with(case)

    assert await step.on_status_changed(TRANSACTION, status_changed(case, "sent", False), case.case_id) is None
    assert tasks.tasks == {}


def replace_status(change: MessageStatusChanged, status: str) -> MessageStatusChanged:
    return change.model_copy(update={"status": status})


async def test_a_case_id_casework_does_not_hold_is_kept_as_no_case_and_still_reaches_a_person() -> None:
    step, log, _ = step_with()

    task = await step.on_status_changed(TRANSACTION, status_changed(None, "refused", True), "unknown-case")

    assert log.updates[0].case_id is None
    assert task is not None and task.case_id is None and task.assignee_id == "lead-1"


def test_the_timeline_names_the_other_authority_and_its_reference_but_no_child() -> None:
    common = {
        "message_id": uuid4(),
        "child_id": uuid4(),
        "changed_at": datetime.now(UTC),
        "channel": "exchange",
        "recipient_role": "other_local_authority",
    }
    acknowledged = MessageStatusChanged(
        **common, purpose="authority_referral", status="acknowledged", counterpart_la="886", detail="CME-1A2B3C4D"
    )
    received = MessageStatusChanged(
        **common, purpose="enquiry_answer", status="answered", counterpart_la="886", direction="received"
    )
    email = MessageStatusChanged(
        **{**common, "channel": "email", "recipient_role": "social_worker"},
        purpose="social_worker_case_opened",
        status="delivered",
    )

    assert message_summary(acknowledged) == (
        "Message to local authority 886 (authority referral): acknowledged (CME-1A2B3C4D)"
    )
    assert message_summary(received) == "Message from local authority 886 (enquiry answer): answered"
    assert message_summary(email) == "Message to the social worker (social worker case opened, email): delivered"
