"""What notify receives from Kafka: case lifecycle events and triage decisions that someone must be told about."""

from cme_runtime.messaging import Consumers
from contracts import topics
from contracts.events.case_v1 import CaseOpened, CaseUpdated
from contracts.events.triage_v1 import TriageDecided
from services.notify.service_layer.notifications import NotifyService


def subscribe(consumers: Consumers, service: NotifyService) -> None:
    consumers.subscribe(
        topics.CASE_LIFECYCLE,
        [CaseOpened, CaseUpdated],
        service.on_case_event,
        description="Case lifecycle events; tells the social worker when a case opens, gains a social-care flag or "
        "reopens",
    )
    consumers.subscribe(
        topics.TRIAGE_DECIDED,
        [TriageDecided],
        service.on_triage_decided,
        description="Triage decisions; refers safeguarding concerns to the Family Front Door",
    )
