"""What review receives from Kafka: Missing Mondays escalations."""

from cme_runtime.messaging import Consumers
from contracts import topics
from contracts.events.case_v1 import CaseEscalated
from services.review.service_layer.reviews import ReviewService


def subscribe(consumers: Consumers, service: ReviewService) -> None:
    consumers.subscribe(
        topics.CASE_LIFECYCLE,
        [CaseEscalated],
        service.on_case_escalated,
        description="Case lifecycle events; reviews Missing Mondays escalations",
    )
