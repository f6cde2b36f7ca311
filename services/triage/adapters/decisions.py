"""Triage decisions as rows: one per referral, so a redelivered referral is never decided twice."""

from abc import ABC, abstractmethod
from datetime import datetime
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert

from cme_runtime.db import Transaction
from contracts.events.referral_v1 import ReferralReceived
from services.triage.adapters.tables import decisions
from services.triage.domain.decision import TriageDecision


class DecisionRepository(ABC):
    """The port triage's service layer stores its decisions through."""

    @abstractmethod
    async def add(
        self,
        session: Transaction,
        decision_id: UUID,
        referral: ReferralReceived,
        decision: TriageDecision,
        decided_at: datetime,
    ) -> bool:
        """Store the referral's decision; False (and nothing stored) when the referral was decided before."""


class SqlDecisionRepository(DecisionRepository):
    async def add(
        self,
        session: Transaction,
        decision_id: UUID,
        referral: ReferralReceived,
        decision: TriageDecision,
        decided_at: datetime,
    ) -> bool:
        inserted = await session.execute(
            insert(decisions)
            .values(
                decision_id=decision_id,
                referral_id=referral.referral_id,
                child_id=referral.child_id,
                referral_kind=referral.kind.value,
                referral_date=referral.referral_date,
                school_id=referral.school.establishment_id if referral.school else None,
                is_cme=decision.is_cme,
                track=decision.track.value,
                priority=decision.priority.value,
                whereabouts_unknown=decision.whereabouts_unknown,
                refer_to_family_front_door=decision.refer_to_family_front_door,
                joint_enquiries_required=decision.joint_enquiries_required,
                cnis_register_applies=decision.cnis_register_applies,
                ground_status=decision.ground_status.value if decision.ground_status else None,
                due_date=decision.due_date,
                watch_deadline=decision.watch_deadline,
                reasons=list(decision.reasons),
                rules_version=decision.rules_version,
                decided_at=decided_at,
            )
            .on_conflict_do_nothing(index_elements=["referral_id"])
            .returning(decisions.c.decision_id)
        )
        return inserted.first() is not None
