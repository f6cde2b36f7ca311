"""What intake receives from Kafka: the same submissions as the HTTP API, one topic per form."""

from cme_runtime.messaging import Consumers
from contracts.events.intake_v1 import SUBMISSION_TYPES
from services.intake.service_layer.submissions import IntakeService


def subscribe(consumers: Consumers, service: IntakeService) -> None:
    consumers.subscribe(
        [model.topic for model in SUBMISSION_TYPES],
        SUBMISSION_TYPES,
        service.on_submission,
        description="Returns and referrals published by upstream systems, one topic per form; "
        "the same rules as the HTTP API.",
        name="submissions",
        # One transaction per batch: the commit, not the work, was most of a submission's cost. Small batches,
        # because a batch holds its children's identity locks until it commits (an HTTP submission may wait).
        batch=True,
        max_records=50,
        before_batch=service.lock_for,
    )
