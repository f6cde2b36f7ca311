"""What casework receives from Kafka: triage decisions open and update cases; review outcomes reach them."""

from cme_runtime.messaging import Consumers
from contracts import topics
from contracts.events.review_v1 import ReviewDecided
from contracts.events.triage_v1 import TriageDecided
from services.casework.service_layer.cases import CaseworkService


def subscribe(consumers: Consumers, service: CaseworkService) -> None:
    consumers.subscribe(
        topics.TRIAGE_DECIDED,
        [TriageDecided],
        service.on_triage_decided,
        description="Triage decisions; a CME decision opens or updates the child's case",
    )
    consumers.subscribe(
        topics.REVIEW_DECIDED,
        [ReviewDecided],
        service.on_review_decided,
        description="Missing Mondays review outcomes, for the case timeline",
    )
