"""What casework receives from Kafka: triage decisions open and update cases; review outcomes reach them."""

from cme_runtime.messaging import Consumers
from contracts import topics
from contracts.events.notify_v1 import MessageStatusChanged
from contracts.events.review_v1 import RecheckDue, ReviewDecided, ReviewProgressed, ReviewSignedOff
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
        [ReviewDecided, ReviewSignedOff, ReviewProgressed, RecheckDue],
        service.on_review_event,
        description="Missing Mondays reviews: scores for the case timeline; signed-off decisions applied to the case",
    )
    consumers.subscribe(
        topics.NOTIFY_MESSAGES,
        [MessageStatusChanged],
        service.on_message_status_changed,
        description="Messages notify sends about a case: each status on the timeline; a failure is an officer task",
    )
