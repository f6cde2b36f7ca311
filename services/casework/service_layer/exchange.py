"""The messages notify reports on, as casework keeps them (issue 9): a second step of
`CaseworkService.on_message_status_changed`, which has already resolved the case (the message's own, or the child's
open case) and put the status on its timeline.

Here, in the same transaction (so the consumer's inbox makes it once-only): the message's row for the case page,
and the tasks the exchange owes a person that the failed-message task on a case does not cover: a failure with no
case open for the child goes to the lead officer; an acknowledged CME referral goes to the case's officer, who
closes the case if the child is in education there.
"""

from collections.abc import Awaitable, Callable
from uuid import uuid4
from zoneinfo import ZoneInfo

from cme_runtime.clock import Clock, utc_now
from cme_runtime.db import Transaction
from contracts.events.notify_v1 import MessageStatusChanged
from services.casework.adapters.exchange_messages import MessageLog
from services.casework.adapters.tasks import TaskRepository, TaskSources
from services.casework.domain.exchange_messages import (
    MessageUpdate,
    acknowledged_referral_task,
    sole_lead_officer,
    task_without_case,
)
from services.casework.domain.tasks import Task, TaskDraft

LONDON = ZoneInfo("Europe/London")
NOTIFY_ACTOR = "notify"

LeadOfficers = Callable[[Transaction], Awaitable[list[str]]]
"""The ids of the active users holding the lead officer's role."""


def message_update(change: MessageStatusChanged, case_id: str | None) -> MessageUpdate:
    """The contract's fields casework keeps, on the case the message was resolved to."""
    return MessageUpdate(
        message_id=str(change.message_id),
        child_id=str(change.child_id),
        case_id=case_id,
        changed_at=change.changed_at,
        recipient_role=change.recipient_role,
        channel=change.channel,
        purpose=change.purpose,
        status=change.status,
        failed=change.failed,
        reason=change.reason,
        counterpart_la=change.counterpart_la,
        direction=change.direction,
        detail=change.detail,
    )


class ExchangeMessages:
    def __init__(
        self, messages: MessageLog, tasks: TaskRepository, sources: TaskSources, lead_officers: LeadOfficers,
        clock: Clock = utc_now,
    ) -> None:
        self.messages = messages
        self.tasks = tasks
        self.sources = sources
        self.lead_officers = lead_officers
        self.clock = clock

    async def on_status_changed(
        self, session: Transaction, change: MessageStatusChanged, case_id: str | None
    ) -> Task | None:
        """Keep the message's newest status; raise the exchange's task when one is owed (returned, once)."""
        case = await self.sources.get_case(session, case_id) if case_id is not None else None
        # A case id casework does not hold is kept as no case: the message still reaches a person.
        update = message_update(change, case.case_id if case is not None else None)
        await self.messages.record_update(session, update)
        day = update.changed_at.astimezone(LONDON).date()
        draft: TaskDraft | None
        if case is None:
            draft = task_without_case(update, sole_lead_officer(await self.lead_officers(session)), day)
        else:
            draft = acknowledged_referral_task(case, update, day)
        if draft is None:
            return None
        task = draft.as_task(str(uuid4()), self.clock(), NOTIFY_ACTOR)
        return task if await self.tasks.add_if_new(session, task) else None
