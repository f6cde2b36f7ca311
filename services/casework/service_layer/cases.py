"""Casework's service layer: cases opened from triage decisions, and every change published and timelined."""

from uuid import UUID, uuid4

from cme_runtime.clock import Clock, utc_now
from cme_runtime.db import Transaction
from cme_runtime.outbox import EventOutbox
from contracts.envelope import CloudEventAttributes
from contracts.events import case_v1
from contracts.events.common_v1 import Child, Safeguarding, School
from contracts.events.referral_v1 import ReferralKind
from contracts.events.review_v1 import ReviewDecided
from contracts.events.triage_v1 import Priority, Track, TriageDecided
from services.casework.adapters.repository import CaseRepository
from services.casework.domain import events as domain_events
from services.casework.domain import vocabulary
from services.casework.domain.case import SYSTEM_ACTOR, Case, RouteAction, route_referral
from services.casework.domain.records import CaseFlags, ChildSummary


def child_summary(decision: TriageDecided) -> ChildSummary:
    child = decision.child
    return ChildSummary(
        given_name=child.given_name,
        family_name=child.family_name,
        date_of_birth=child.date_of_birth,
        upn=child.upn,
        school_name=decision.school.name if decision.school else None,
        school_id=decision.school.establishment_id if decision.school else None,
        postcode=child.address.postcode if child.address else None,
    )


def case_flags(decision: TriageDecided) -> CaseFlags:
    safeguarding = decision.safeguarding
    worker = safeguarding.social_worker
    return CaseFlags(
        cla=safeguarding.looked_after,
        cp=safeguarding.child_protection_plan,
        cin=safeguarding.child_in_need,
        ehcp=safeguarding.ehcp,
        open_to_social_care=safeguarding.open_to_social_care,
        safeguarding_concern=safeguarding.safeguarding_concern,
        whereabouts_unknown=decision.whereabouts_unknown,
        social_worker_name=worker.name if worker else None,
        social_worker_email=worker.email if worker else None,
        # Triage decides which grounds need joint school and LA enquiries (the rule lives there, once).
        joint_enquiries_required=decision.joint_enquiries_required,
    )


class CaseworkService:
    def __init__(self, outbox: EventOutbox, repository: CaseRepository, clock: Clock = utc_now) -> None:
        self.outbox = outbox
        self.repository = repository
        self.clock = clock

    async def on_triage_decided(
        self, session: Transaction, attributes: CloudEventAttributes, decision: TriageDecided
    ) -> None:
        """A CME decision opens a case for the child, or attaches to (or reopens) the child's case.

        A joiner return closes the child's open case as registered into provision; a death closes it.
        """
        child_id = str(decision.child_id)
        await self.repository.lock_child(session, child_id)
        existing = await self.repository.for_child(session, child_id)
        if not decision.is_cme:
            await self._close_if_resolved(session, decision, existing)
            return
        route = route_referral(existing)
        priority = vocabulary.Priority(decision.priority.value)
        due_date = decision.due_date or decision.decided_at.date()
        at = self.clock()
        if route.action is RouteAction.OPEN_NEW:
            case = Case.open(
                case_id=await self.repository.unused_case_id(session),
                child_id=child_id,
                referral_id=str(decision.referral_id),
                priority=priority,
                track=vocabulary.Track(decision.track.value),
                due_date=due_date,
                opened_at=at,
                child_summary=child_summary(decision),
                flags=case_flags(decision),
            )
            await self.open_case(session, case, decision.child, decision.school, decision.safeguarding)
            return
        case = next(c for c in existing if c.case_id == route.case_id)
        version = case.version
        if route.action is RouteAction.ATTACH:
            case.attach_referral(str(decision.referral_id), priority, at, due_date=due_date, flags=case_flags(decision))
        else:
            case.reopen(
                str(decision.referral_id), at, reason="New referral received", priority=priority, due_date=due_date
            )
        await self.repository.save(session, case, version)
        await self._publish(session, case, decision.child, decision.school, decision.safeguarding)

    async def _close_if_resolved(self, session: Transaction, decision: TriageDecided, existing: list[Case]) -> None:
        open_case = next((case for case in existing if case.is_open), None)
        if open_case is None:
            return
        version = open_case.version
        at = self.clock()
        if decision.kind is ReferralKind.JOINER and decision.school is not None:
            open_case.close_as_registered_into_provision(decision.school.establishment_id, at)
        elif decision.track is Track.CLOSE_ANY_CASE:
            open_case.close(vocabulary.ClosureReason.DIED, SYSTEM_ACTOR, at)
        else:
            return
        await self.repository.save(session, open_case, version)
        await self._publish(session, open_case)

    async def on_review_decided(
        self, session: Transaction, attributes: CloudEventAttributes, review: ReviewDecided
    ) -> None:
        """A Missing Mondays review outcome goes on the case's timeline."""
        await self.repository.add_timeline(
            session,
            [
                {
                    "case_id": review.case_id,
                    "at": review.decided_at,
                    "kind": "review.decided",
                    "actor": "review",
                    "summary": f"Missing Mondays review: risk band {review.risk_band.value}. {review.recommendation}",
                    "source": "review",
                    "event_id": attributes.id,
                }
            ],
        )

    async def open_case(
        self, session: Transaction, case: Case, child: Child, school: School | None, safeguarding: Safeguarding
    ) -> None:
        """Store a new case and publish its events, the first with the child's details for other services."""
        await self.repository.add(session, case)
        await self._publish(session, case, child, school, safeguarding)

    async def commit_changes(self, session: Transaction, case: Case, expected_version: int) -> None:
        """Save a case an officer changed, with its timeline entries and published events."""
        await self.repository.save(session, case, expected_version)
        await self._publish(session, case)

    async def _publish(
        self,
        session: Transaction,
        case: Case,
        child: Child | None = None,
        school: School | None = None,
        safeguarding: Safeguarding | None = None,
    ) -> None:
        entries = []
        for event in case.events:
            event_id = uuid4()
            entries.append(
                {
                    "case_id": UUID(case.case_id),
                    "at": event.at,
                    "kind": event.kind,
                    "actor": event.actor,
                    "summary": event.summary,
                    "source": "casework",
                    "event_id": str(event_id),
                }
            )
            contract = self._contract(case, event, child, school, safeguarding)
            await self.outbox.add(session, contract, key=case.child_id, subject=case.case_id, event_id=event_id)
        await self.repository.add_timeline(session, entries)
        case.events.clear()

    def _contract(
        self,
        case: Case,
        event: domain_events.CaseEvent,
        child: Child | None,
        school: School | None,
        safeguarding: Safeguarding | None,
    ) -> case_v1.CaseOpened | case_v1.CaseUpdated | case_v1.CaseEscalated | case_v1.CaseClosed:
        case_id, child_id = UUID(case.case_id), UUID(case.child_id)
        if isinstance(event, domain_events.CaseOpened) and child is not None:
            return case_v1.CaseOpened(
                case_id=case_id,
                child_id=child_id,
                referral_id=UUID(event.referral_id),
                opened_at=event.at,
                priority=Priority(case.priority.value),
                track=Track(case.track.value),
                due_date=case.due_date,
                child=child,
                school=school,
                safeguarding=safeguarding or Safeguarding(),
            )
        if isinstance(event, domain_events.CaseEscalated):
            return case_v1.CaseEscalated(
                case_id=case_id,
                child_id=child_id,
                escalated_at=event.at,
                kind=case_v1.EscalationKind(event.escalation.value),
                cme_score=event.cme_score,
                safeguarding_score=event.safeguarding_score,
                escalated_by=event.actor,
            )
        if isinstance(event, domain_events.CaseClosed):
            return case_v1.CaseClosed(
                case_id=case_id, child_id=child_id, closed_at=event.at, reason=event.reason.value, closed_by=event.actor
            )
        return case_v1.CaseUpdated(
            case_id=case_id,
            child_id=child_id,
            updated_at=event.at,
            change=event.kind.removeprefix("case."),
            summary=event.summary,
            status=case.status.value,
            priority=Priority(case.priority.value),
            officer_id=case.officer_id,
        )
