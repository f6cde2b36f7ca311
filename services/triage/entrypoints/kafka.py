"""What triage receives from Kafka: each normalised referral gets one decision."""

from cme_runtime.messaging import Consumers
from contracts import topics
from contracts.events.referral_v1 import ReferralReceived
from services.triage.service_layer.triage import TriageService


def subscribe(consumers: Consumers, service: TriageService) -> None:
    consumers.subscribe(
        topics.REFERRAL_RECEIVED,
        [ReferralReceived],
        service.on_referral_received,
        description="Normalised referrals about one child; each gets one decision",
        batch=True,  # one transaction and one offset commit per batch (cme_runtime.messaging)
        max_records=100,
    )
