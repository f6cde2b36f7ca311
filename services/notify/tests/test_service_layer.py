"""Notify's use cases against in-memory ports: who is owed a message from which event, and how a claimed message
is delivered, retried and settled. Every person here is invented.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from cme_runtime.testing import TRANSACTION, FixedClock, RecordingOutbox
from contracts.envelope import CloudEventAttributes, new_attributes
from contracts.events.case_v1 import CaseOpened, CaseUpdated
from contracts.events.common_v1 import Child, Safeguarding, SocialWorker
from contracts.events.notify_v1 import MessageRecorded, MessageStatusChanged
from contracts.events.referral_v1 import ReferralKind
from contracts.events.triage_v1 import Priority, Track, TriageDecided
from services.notify.adapters.gov_notify import PermanentDeliveryError, TemporaryDeliveryError
from services.notify.domain.delivery import Status
from services.notify.domain.messages import Channel, Purpose
from services.notify.service_layer.delivery import DeliveryService, RetryPolicy
from services.notify.service_layer.notifications import MissingTemplate, NotifyService, case_reference
from services.notify.settings import DEVELOPMENT_TEMPLATES
from services.notify.tests.fakes import FakeDeliveryLog, ScriptedChannel

NOW = datetime(2025, 11, 4, 9, 30, tzinfo=UTC)
AUTHORITY = "Test County Council"
SOCIAL_WORKER = SocialWorker(name="Sam Worker", email="sam.worker@example.org")
FFD = "family.front.door@example.org"


@dataclass
class Notify:
    service: NotifyService
    outbox: RecordingOutbox
    delivery_log: FakeDeliveryLog


@pytest.fixture
def notify() -> Notify:
    outbox = RecordingOutbox(declared=frozenset({MessageRecorded.event_type, MessageStatusChanged.event_type}))
    delivery_log = FakeDeliveryLog()
    service = NotifyService(
        outbox,
        delivery_log,
        AUTHORITY,
        FixedClock(NOW),
        templates=DEVELOPMENT_TEMPLATES,
        family_front_door_email=FFD,
    )
    return Notify(service, outbox, delivery_log)


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


def attributes(event: CaseOpened | CaseUpdated | TriageDecided) -> CloudEventAttributes:
    return new_attributes(event, source="/test", subject=None, time=NOW)


async def test_a_case_opened_for_a_child_in_need_owes_the_social_worker_one_message(notify: Notify) -> None:
    opened = case_opened(Safeguarding(child_in_need=True, social_worker=SOCIAL_WORKER))
    envelope = attributes(opened)

    await notify.service.on_case_event(TRANSACTION, envelope, opened)

    [entry] = notify.delivery_log.entries
    assert (entry.case_id, entry.child_id, entry.source_event_id) == (opened.case_id, opened.child_id, envelope.id)
    assert entry.template_id == DEVELOPMENT_TEMPLATES["social_worker_case_opened:email"]
    assert entry.message.purpose is Purpose.SOCIAL_WORKER_CASE_OPENED
    assert entry.message.channel is Channel.EMAIL
    assert entry.message.recipient_address == "sam.worker@example.org"
    assert entry.message.personalisation["case_reference"] == case_reference(opened.case_id)
    assert "Ada" not in str(dict(entry.message.personalisation))

    recorded, status = (published.event for published in notify.outbox.published)
    assert isinstance(recorded, MessageRecorded) and recorded.message_id == entry.message_id
    assert isinstance(status, MessageStatusChanged)
    assert (status.status, status.case_id, status.failed) == ("pending", opened.case_id, False)
    assert {published.key for published in notify.outbox.published} == {str(opened.child_id)}


@pytest.mark.parametrize(
    "safeguarding",
    [
        pytest.param(Safeguarding(), id="not known to social care"),
        pytest.param(Safeguarding(ehcp=True, social_worker=SOCIAL_WORKER), id="only an EHCP"),
        pytest.param(Safeguarding(open_to_social_care=True), id="no named social worker"),
        pytest.param(
            Safeguarding(open_to_social_care=True, social_worker=SocialWorker(name="Sam Worker")),
            id="no social worker email",
        ),
    ],
)
async def test_no_message_is_owed_without_social_care_and_a_reachable_social_worker(
    notify: Notify, safeguarding: Safeguarding
) -> None:
    opened = case_opened(safeguarding)
    await notify.service.on_case_event(TRANSACTION, attributes(opened), opened)
    assert notify.delivery_log.entries == []
    assert notify.outbox.published == []


def case_updated(change: str, flags: tuple[str, ...], safeguarding: Safeguarding | None) -> CaseUpdated:
    return CaseUpdated(
        case_id=uuid4(),
        child_id=uuid4(),
        updated_at=NOW,
        change=change,
        summary="Flags raised: cp",
        status="allocated",
        flags_raised=flags,
        safeguarding=safeguarding,
    )


async def test_a_cp_flag_added_to_an_open_case_owes_the_social_worker_an_update(notify: Notify) -> None:
    update = case_updated(
        "flags_raised",
        ("cp",),
        Safeguarding(child_protection_plan=True, child_in_need=True, social_worker=SOCIAL_WORKER),
    )
    await notify.service.on_case_event(TRANSACTION, attributes(update), update)

    [entry] = notify.delivery_log.entries
    assert entry.message.purpose is Purpose.SOCIAL_WORKER_CASE_UPDATED
    assert entry.template_id == DEVELOPMENT_TEMPLATES["social_worker_case_updated:email"]
    assert entry.case_id == update.case_id


async def test_a_case_update_from_before_the_contract_carried_social_care_owes_nothing(notify: Notify) -> None:
    update = case_updated("flags_raised", ("cp",), None)
    await notify.service.on_case_event(TRANSACTION, attributes(update), update)
    assert notify.delivery_log.entries == []


def decision(refer: bool) -> TriageDecided:
    return TriageDecided(
        decision_id=uuid4(),
        referral_id=uuid4(),
        child_id=uuid4(),
        decided_at=NOW,
        is_cme=True,
        track=Track.CME_ENQUIRY,
        priority=Priority.P1,
        refer_to_family_front_door=refer,
        reasons=("safeguarding concern raised by the referrer",),
        rules_version="test",
        kind=ReferralKind.LEAVER,
        child=Child(given_name="Ada", family_name="Testperson", date_of_birth=date(2014, 5, 10)),
        safeguarding=Safeguarding(safeguarding_concern=refer),
    )


async def test_a_triage_referral_to_the_family_front_door_owes_it_one_message(notify: Notify) -> None:
    decided = decision(refer=True)
    await notify.service.on_triage_decided(TRANSACTION, attributes(decided), decided)

    [entry] = notify.delivery_log.entries
    assert (entry.case_id, entry.referral_id) == (None, decided.referral_id)
    assert entry.message.recipient_address == FFD
    assert entry.message.personalisation["child_name"] == "Ada Testperson"
    [published] = notify.outbox.published  # no MessageRecorded: that contract needs a case
    assert isinstance(published.event, MessageStatusChanged)
    assert published.event.referral_id == decided.referral_id


async def test_no_family_front_door_message_without_a_referral(notify: Notify) -> None:
    decided = decision(refer=False)
    await notify.service.on_triage_decided(TRANSACTION, attributes(decided), decided)
    assert notify.delivery_log.entries == []


async def test_a_message_kind_without_a_configured_template_is_a_deployment_error(notify: Notify) -> None:
    notify.service.templates = {}
    opened = case_opened(Safeguarding(child_in_need=True, social_worker=SOCIAL_WORKER))
    with pytest.raises(MissingTemplate):
        await notify.service.on_case_event(TRANSACTION, attributes(opened), opened)


# ---------------------------------------------------------------------------------------------- delivery


async def no_sleep(_: float) -> None:
    return None


async def owed_and_claimed(notify: Notify, channel: ScriptedChannel, attempts: int = 3) -> DeliveryService:
    opened = case_opened(Safeguarding(child_in_need=True, social_worker=SOCIAL_WORKER))
    await notify.service.on_case_event(TRANSACTION, attributes(opened), opened)
    notify.outbox.published.clear()
    return DeliveryService(
        notify.outbox,
        notify.delivery_log,
        channel,
        FixedClock(NOW),
        retry=RetryPolicy(max_attempts=attempts, initial_wait_seconds=0, jitter_seconds=0),
        sleep=no_sleep,
    )


async def deliver_all(delivery: DeliveryService) -> None:
    for claimed in await delivery.claim_due(TRANSACTION):
        await delivery.record_outcome(TRANSACTION, claimed, await delivery.deliver(claimed))


async def test_a_temporary_failure_is_retried_and_the_retry_first_asks_notify_by_reference(notify: Notify) -> None:
    channel = ScriptedChannel(TemporaryDeliveryError(500, "Exception"))
    delivery = await owed_and_claimed(notify, channel)

    await deliver_all(delivery)

    assert len(channel.sends) == 2 and channel.lookups == 1
    [record] = notify.delivery_log.records.values()
    assert (record.status, record.notify_id) == (Status.CREATED, "notify-1")
    [published] = notify.outbox.published
    assert isinstance(published.event, MessageStatusChanged) and published.event.status == "created"


async def test_a_permanent_failure_is_not_retried_and_is_published_as_failed(notify: Notify) -> None:
    channel = ScriptedChannel(PermanentDeliveryError(400, "BadRequestError"))
    delivery = await owed_and_claimed(notify, channel)

    await deliver_all(delivery)

    assert len(channel.sends) == 1
    [published] = notify.outbox.published
    assert isinstance(published.event, MessageStatusChanged)
    assert (published.event.status, published.event.failed, published.event.reason) == (
        "permanent-failure",
        True,
        "rejected",
    )


async def test_temporary_failures_up_to_the_maximum_fail_the_message(notify: Notify) -> None:
    channel = ScriptedChannel(*(TemporaryDeliveryError(429, "RateLimitError") for _ in range(3)))
    delivery = await owed_and_claimed(notify, channel, attempts=3)

    await deliver_all(delivery)

    assert len(channel.sends) == 3
    [record] = notify.delivery_log.records.values()
    assert record.status is Status.TECHNICAL_FAILURE


async def test_a_claimed_message_is_not_claimed_again_while_its_lease_runs(notify: Notify) -> None:
    delivery = await owed_and_claimed(notify, ScriptedChannel())
    assert len(await delivery.claim_due(TRANSACTION)) == 1
    assert await delivery.claim_due(TRANSACTION) == []
