"""What review receives from Kafka: the case lifecycle builds the Missing Mondays agenda (escalations), and ends
reviews whose child was located or whose case closed."""

from cme_runtime.messaging import Consumers
from contracts import topics
from contracts.events.case_v1 import CaseClosed, CaseEscalated, CaseUpdated
from services.review.service_layer.meetings import MeetingService


def subscribe(consumers: Consumers, service: MeetingService) -> None:
    consumers.subscribe(
        topics.CASE_LIFECYCLE,
        [CaseEscalated, CaseUpdated, CaseClosed],
        service.on_case_event,
        description="Case lifecycle events; Missing Mondays escalations go on the agenda, located or closed end it",
        batch=True,  # one transaction and one offset commit per batch (cme_runtime.messaging)
        max_records=50,
    )
