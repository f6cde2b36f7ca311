"""Notify's use case against in-memory ports: a case opened for a child open to social care owes the named
social worker a message, kept in the delivery log and announced.

Every person here is invented.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from cme_runtime.testing import TRANSACTION, FixedClock, RecordingOutbox
from contracts.envelope import CloudEventAttributes, new_attributes
from contracts.events.case_v1 import CaseOpened
from contracts.events.common_v1 import Child, Safeguarding, SocialWorker
from contracts.events.notify_v1 import MessageRecorded
from contracts.events.triage_v1 import Priority, Track
from services.notify.domain.messages import Channel, Purpose
from services.notify.service_layer.notifications import NotifyService, case_reference
from services.notify.tests.fakes import FakeDeliveryLog

NOW = datetime(2025, 11, 4, 9, 30, tzinfo=UTC)
AUTHORITY = "Test County Council"
SOCIAL_WORKER = SocialWorker(name="Sam Worker", email="sam.worker@example.org")


@dataclass
class Notify:
    service: NotifyService
    outbox: RecordingOutbox
    delivery_log: FakeDeliveryLog


@pytest.fixture
def notify() -> Notify:
    outbox = RecordingOutbox(declared=frozenset({MessageRecorded.event_type}))
    delivery_log = FakeDeliveryLog()
    return Notify(NotifyService(outbox, delivery_log, AUTHORITY, FixedClock(NOW)), outbox, delivery_log)


def case_opened(safeguarding: Safeguarding) -> CaseOpened:
    return CaseOpened(
        case_id=uuid4(),
        child_id=uuid4(),
        referral_id=uuid4(),
        opened_at=NOW,
        priority=Priority.P1,
        track=Track.CME_ENQUIRY,
        due_date=date(2025, 12, 2),
        child=Child(given_name="Ada", family_name="Testperson", date_of_birth=date(2014, 5, 10)),
        safeguarding=safeguarding,
    )


def attributes(event: CaseOpened) -> CloudEventAttributes:
    return new_attributes(event, source="/casework", subject=str(event.case_id), time=NOW)


async def test_a_case_opened_for_a_child_open_to_social_care_owes_the_social_worker_one_message(
    notify: Notify,
) -> None:
    opened = case_opened(
        Safeguarding(child_protection_plan=True, open_to_social_care=True, social_worker=SOCIAL_WORKER)
    )
    envelope = attributes(opened)

    await notify.service.on_case_opened(TRANSACTION, envelope, opened)

    [entry] = notify.delivery_log.entries
    assert entry.case_id == opened.case_id
    assert entry.child_id == opened.child_id
    assert entry.source_event_id == envelope.id
    assert entry.recorded_at == NOW
    assert entry.message.purpose is Purpose.SOCIAL_WORKER_CASE_OPENED
    assert entry.message.channel is Channel.EMAIL
    assert entry.message.recipient_role == "social_worker"
    assert entry.message.recipient_name == "Sam Worker"
    assert entry.message.recipient_address == "sam.worker@example.org"
    assert entry.message.subject == f"Children Missing Education case {case_reference(opened.case_id)} opened"
    assert AUTHORITY in entry.message.body
    assert "Ada" not in entry.message.body and "Testperson" not in entry.message.body

    [published] = notify.outbox.published
    assert published.key == str(opened.child_id)
    assert published.subject == str(opened.case_id)
    assert published.event == MessageRecorded(
        message_id=entry.message_id,
        case_id=opened.case_id,
        child_id=opened.child_id,
        recorded_at=NOW,
        recipient_role="social_worker",
        channel="email",
        purpose="social_worker_case_opened",
        status="pending",
    )


@pytest.mark.parametrize(
    "safeguarding",
    [
        pytest.param(Safeguarding(), id="not known to social care"),
        pytest.param(Safeguarding(child_in_need=True, social_worker=SOCIAL_WORKER), id="not open to social care"),
        pytest.param(Safeguarding(open_to_social_care=True), id="no named social worker"),
        pytest.param(
            Safeguarding(open_to_social_care=True, social_worker=SocialWorker(name="Sam Worker")),
            id="no social worker email",
        ),
    ],
)
async def test_no_message_is_owed_without_an_open_social_care_case_and_a_named_social_worker(
    notify: Notify, safeguarding: Safeguarding
) -> None:
    opened = case_opened(safeguarding)

    await notify.service.on_case_opened(TRANSACTION, attributes(opened), opened)

    assert notify.delivery_log.entries == []
    assert notify.outbox.published == []
