"""Triage's service layer: read each referral under the rules in force on its date, and publish the decision."""

from datetime import UTC, datetime
from uuid import uuid4

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cme_runtime.outbox import Outbox
from contracts.envelope import CloudEventAttributes
from contracts.events.referral_v1 import ReferralReceived
from contracts.events.triage_v1 import Priority, TriageDecided
from contracts.events.triage_v1 import Track as ContractTrack
from services.triage.adapters.tables import decisions
from services.triage.domain.calendar import SchoolCalendar
from services.triage.domain.decision import ReferralFacts, ReferralKind, TriageDecision, decide
from services.triage.domain.rules import RuleOverrides, rules_for
from services.triage.domain.vulnerability import Vulnerability


def facts_from(referral: ReferralReceived) -> ReferralFacts:
    safeguarding = referral.safeguarding
    destination = referral.destination
    return ReferralFacts(
        referral_kind=ReferralKind[referral.kind.name],
        referral_date=referral.referral_date,
        date_of_birth=referral.child.date_of_birth,
        leaving_ground=referral.leaving_ground.code if referral.leaving_ground else None,
        destination_school_known=bool(destination and destination.school_id),
        destination_known=bool(
            destination and (destination.school_id or destination.local_authority or destination.country)
        ),
        moving_abroad=bool(
            destination
            and destination.country
            and destination.country.casefold() not in {"united kingdom", "uk", "england", "gb"}
        ),
        is_cla=safeguarding.looked_after,
        is_cp=safeguarding.child_protection_plan,
        is_cin=safeguarding.child_in_need,
        has_ehcp=safeguarding.ehcp,
        safeguarding_concern=safeguarding.safeguarding_concern,
        vulnerabilities=frozenset(Vulnerability[v.name] for v in safeguarding.vulnerabilities),
    )


class TriageService:
    def __init__(self, outbox: Outbox, calendar: SchoolCalendar, overrides: RuleOverrides) -> None:
        self.outbox = outbox
        self.calendar = calendar
        self.overrides = overrides

    def decide(self, referral: ReferralReceived) -> TriageDecision:
        return decide(facts_from(referral), rules_for(referral.referral_date, self.overrides), self.calendar)

    async def on_referral_received(
        self, session: AsyncSession, attributes: CloudEventAttributes, referral: ReferralReceived
    ) -> None:
        """Each referral gets exactly one triage decision."""
        decision = self.decide(referral)
        decision_id = uuid4()
        decided_at = datetime.now(UTC)
        inserted = await session.execute(
            insert(decisions)
            .values(
                decision_id=decision_id,
                referral_id=referral.referral_id,
                child_id=referral.child_id,
                referral_kind=referral.kind.value,
                is_cme=decision.is_cme,
                track=decision.track.value,
                priority=decision.priority.value,
                whereabouts_unknown=decision.whereabouts_unknown,
                refer_to_family_front_door=decision.refer_to_family_front_door,
                due_date=decision.due_date,
                watch_deadline=decision.watch_deadline,
                reasons=list(decision.reasons),
                rules_version=decision.rules_version,
                decided_at=decided_at,
            )
            .on_conflict_do_nothing(index_elements=["referral_id"])
            .returning(decisions.c.decision_id)
        )
        if inserted.first() is None:
            return
        await self.outbox.add(
            session,
            TriageDecided(
                decision_id=decision_id,
                referral_id=referral.referral_id,
                child_id=referral.child_id,
                decided_at=decided_at,
                is_cme=decision.is_cme,
                track=ContractTrack(decision.track.value),
                priority=Priority(decision.priority.value),
                whereabouts_unknown=decision.whereabouts_unknown,
                refer_to_family_front_door=decision.refer_to_family_front_door,
                due_date=decision.due_date,
                watch_deadline=decision.watch_deadline,
                reasons=decision.reasons,
                rules_version=decision.rules_version,
                kind=referral.kind,
                child=referral.child,
                school=referral.school,
                leaving_ground=referral.leaving_ground,
                destination=referral.destination,
                safeguarding=referral.safeguarding,
            ),
            key=referral.child_id,
            subject=referral.referral_id,
        )
