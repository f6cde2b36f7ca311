"""What notify receives from Kafka: case lifecycle events that someone must be told about."""

from cme_runtime.messaging import Consumers
from contracts import topics
from contracts.events.case_v1 import CaseOpened
from services.notify.service_layer.notifications import NotifyService


def subscribe(consumers: Consumers, service: NotifyService) -> None:
    consumers.subscribe(
        topics.CASE_LIFECYCLE,
        [CaseOpened],
        service.on_case_opened,
        description="Case lifecycle events; messages the social worker when a case opens",
    )
