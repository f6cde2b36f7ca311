"""What notify receives from Kafka: case lifecycle events and triage decisions that someone must be told about.

One subscription per topic: the GOV.UK Notify messages and the cross-LA exchange share each event, in the same
transaction as its inbox entry. The exchange's own topic has its subscriber in exchange_kafka.py.
"""

from cme_runtime.db import Transaction
from cme_runtime.messaging import Consumers
from contracts import topics
from contracts.envelope import CloudEventAttributes
from contracts.events.case_v1 import CaseOpened, CaseReferredToAuthority, CaseUpdated
from contracts.events.triage_v1 import TriageDecided
from services.notify.service_layer.exchange import ExchangeService
from services.notify.service_layer.notifications import NotifyService


def subscribe(consumers: Consumers, service: NotifyService, exchange: ExchangeService | None = None) -> None:
    async def on_case_event(
        session: Transaction,
        attributes: CloudEventAttributes,
        event: CaseOpened | CaseUpdated | CaseReferredToAuthority,
    ) -> None:
        """Case lifecycle events; tells the social worker when a case opens, gains a social-care flag or reopens,
        sends a case's referral or enquiry to another authority, and acknowledges a referral another authority
        sent us once its case opens."""
        if isinstance(event, CaseReferredToAuthority):
            if exchange is not None:
                await exchange.on_case_referred(session, attributes, event)
            return
        await service.on_case_event(session, attributes, event)
        if exchange is not None and isinstance(event, CaseOpened):
            await exchange.on_case_opened(session, attributes, event)

    async def on_triage_decided(
        session: Transaction, attributes: CloudEventAttributes, decision: TriageDecided
    ) -> None:
        """Triage decisions; refers safeguarding concerns to the Family Front Door, a child who moved away to their
        new authority, and acknowledges another authority's referral that is not missing education here."""
        await service.on_triage_decided(session, attributes, decision)
        if exchange is not None:
            await exchange.on_triage_decided(session, attributes, decision)

    consumers.subscribe(
        topics.CASE_LIFECYCLE,
        [CaseOpened, CaseUpdated, CaseReferredToAuthority] if exchange is not None else [CaseOpened, CaseUpdated],
        on_case_event,
        description="Case lifecycle events; tells the social worker when a case opens, gains a social-care flag or "
        "reopens; sends referrals and enquiries to other authorities",
        # One transaction and one offset commit per batch (cme_runtime.messaging): sends happen after the commit,
        # from the delivery log, so a batch holds nothing but rows.
        batch=True,
        max_records=50,
    )
    consumers.subscribe(
        topics.TRIAGE_DECIDED,
        [TriageDecided],
        on_triage_decided,
        description="Triage decisions; refers safeguarding concerns to the Family Front Door and children who moved "
        "away to their new authority",
        batch=True,
        max_records=50,
    )
