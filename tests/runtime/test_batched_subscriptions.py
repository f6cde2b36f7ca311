"""Every consumer on a referral's way to a case, and on the case's way to the people told about it, takes its
messages in batches: one transaction and one offset commit per batch (cme_runtime.messaging). A consumer left at one
message per transaction is where a backlog would queue (docs/performance.md).

The subscriptions are registered on a recorder: this checks the wiring; tests/runtime/test_batch_consumption.py
proves what a batch does against real Kafka and PostgreSQL.
"""

from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from contracts import topics
from services.casework.entrypoints import kafka as casework
from services.intake.entrypoints import kafka as intake
from services.notify.entrypoints import kafka as notify
from services.review.entrypoints import kafka as review
from services.triage.entrypoints import kafka as triage


@dataclass
class RecordedSubscriptions:
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def subscribe(
        self, topic: Any, accepts: Any, handler: Any, description: str | None = None, name: str = "", **options: Any
    ) -> None:
        for each in [topic] if isinstance(topic, str) else topic:
            self.options[each] = options


class _AnyService:
    """Stands in for a service object: registering a subscription only takes its bound methods."""

    def __getattr__(self, name: str) -> Any:
        async def handler(*_: Any) -> None:
            raise AssertionError(f"{name} is not called by registering it")

        return handler


def _subscriptions(module: Any, *services: Any) -> dict[str, dict[str, Any]]:
    recorder = RecordedSubscriptions()
    module.subscribe(cast(Any, recorder), *services)
    return recorder.options


@pytest.mark.parametrize(
    ("service", "registered", "topic"),
    [
        ("intake", lambda: _subscriptions(intake, _AnyService()), topics.INTAKE_LEAVER),
        ("triage", lambda: _subscriptions(triage, _AnyService()), topics.REFERRAL_RECEIVED),
        ("casework", lambda: _subscriptions(casework, _AnyService(), _AnyService()), topics.TRIAGE_DECIDED),
        ("notify", lambda: _subscriptions(notify, _AnyService(), _AnyService()), topics.CASE_LIFECYCLE),
        ("notify", lambda: _subscriptions(notify, _AnyService(), _AnyService()), topics.TRIAGE_DECIDED),
        ("review", lambda: _subscriptions(review, _AnyService()), topics.CASE_LIFECYCLE),
    ],
)
def test_the_case_flow_is_consumed_in_batches(service: str, registered: Any, topic: str) -> None:
    options = registered()[topic]
    assert options.get("batch") is True, f"{service} takes {topic} one message per transaction"
    assert options.get("max_records", 0) > 1
