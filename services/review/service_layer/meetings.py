"""Review's Missing Mondays use cases: the agenda built from case events, the meeting's scoring, concerns, the
chair's hand-over, the senior officer's sign-off, and the time rules (further reviews, periodic re-checks).

Each command takes the caller's transaction, reads the review form locked, applies the domain command, saves it
and publishes what happened through the outbox: `ReviewProgressed` for each step (the case timeline),
`ReviewDecided` when the meeting scores the case, `ReviewSignedOff` for the senior officer's decision (which
casework applies), `RecheckDue` for the lead officer's periodic re-checks.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

from cme_runtime.clock import Clock, utc_now
from cme_runtime.db import Transaction
from cme_runtime.logging import get_logger
from cme_runtime.outbox import EventOutbox
from contracts.envelope import CloudEventAttributes
from contracts.events.case_v1 import CaseClosed, CaseEscalated, CaseUpdated, EscalationKind
from contracts.events.review_v1 import (
    ClosureDecision,
    RecheckDue,
    ReviewDecided,
    ReviewProgressed,
    ReviewSignedOff,
)
from contracts.events.review_v1 import RiskBand as ContractRiskBand
from services.review.adapters.meetings import MeetingRepository
from services.review.domain.meeting import (
    MONDAY,
    AgendaChange,
    AgendaReason,
    ChecklistLine,
    ChildOnForm,
    Decision,
    MissingMondaysReview,
    ReviewRuleBroken,
    ReviewStatus,
    next_meeting_after,
    recheck_dates,
)
from services.review.domain.risk import review as band_outcome

log = get_logger(__name__)
DEFAULT_RECHECK_INTERVAL = timedelta(weeks=4)


class ReviewNotFound(LookupError):
    pass


@dataclass(frozen=True)
class DueRun:
    further_reviews: int
    rechecks: int


class MeetingService:
    def __init__(
        self,
        outbox: EventOutbox,
        reviews: MeetingRepository,
        clock: Clock = utc_now,
        *,
        meeting_weekday: int = MONDAY,
        recheck_interval: timedelta = DEFAULT_RECHECK_INTERVAL,
    ) -> None:
        self.outbox = outbox
        self.reviews = reviews
        self.clock = clock
        self.meeting_weekday = meeting_weekday
        self.recheck_interval = recheck_interval

    # ------------------------------------------------------------------ events from casework

    async def on_case_event(
        self, session: Transaction, attributes: CloudEventAttributes, event: CaseEscalated | CaseUpdated | CaseClosed
    ) -> None:
        if isinstance(event, CaseEscalated):
            await self.on_case_escalated(session, event)
        elif isinstance(event, CaseClosed) or (isinstance(event, CaseUpdated) and event.change == "child_located"):
            reason = "case closed" if isinstance(event, CaseClosed) else "child located"
            at = event.closed_at if isinstance(event, CaseClosed) else event.updated_at
            await self._end_reviews(session, str(event.case_id), reason, at)

    async def on_case_escalated(self, session: Transaction, event: CaseEscalated) -> None:
        """A whereabouts-unknown escalation goes on the next meeting's agenda, unscored: the meeting scores it.
        Casework escalates only with the App. F checklist complete (with the whereabouts-unknown group) and the
        joint enquiries recorded where the ground needs them, so every escalation is ready for the meeting, unless
        the chair added the case with a reason: the form then shows its outstanding checks."""
        if event.kind is not EscalationKind.MISSING_MONDAYS:
            return
        for existing in await self.reviews.for_case(session, str(event.case_id)):
            if existing.is_active:
                return  # already on an agenda (a redelivered or repeated escalation)
        review = MissingMondaysReview(
            review_id=str(uuid4()), case_id=str(event.case_id), child_id=str(event.child_id),
            escalated_by=event.escalated_by, escalated_at=event.escalated_at,
            meeting_date=next_meeting_after(event.escalated_at.date(), self.meeting_weekday),
            agenda_reason=AgendaReason.ADDED_BY_CHAIR if event.added_by_chair_reason else AgendaReason.ESCALATED,
            agenda_changes=[AgendaChange(event.escalated_by, event.escalated_at, added=True,
                                         reason=event.added_by_chair_reason)] if event.added_by_chair_reason else [],
            proposed_cme_score=event.cme_score, proposed_safeguarding_score=event.safeguarding_score,
            children=[
                ChildOnForm(f"{child.given_name} {child.family_name}", child.date_of_birth, child.previous_school,
                            child.last_day_in_school)
                for child in event.children
            ],
            checklist=[ChecklistLine(line.check, line.group, line.status, line.on, line.initials)
                       for line in event.checklist],
        )
        review.record_event("review.agenda_item_added", event.escalated_at, event.escalated_by,
                            f"On the agenda of the Missing Mondays meeting of {review.meeting_date.isoformat()}")
        await self.reviews.add(session, review)
        await self._publish(session, review)

    async def _end_reviews(self, session: Transaction, case_id: str, reason: str, at: datetime) -> None:
        for review in await self.reviews.for_case(session, case_id):
            version = review.version
            if review.is_active:
                review.withdraw(by="system", reason=reason, at=at)
            elif review.status is ReviewStatus.SIGNED_OFF and not review.follow_up_scheduled:
                review.follow_up_scheduled = True  # no further review or re-check once the case has ended
                review.version += 1
            else:
                continue
            await self.reviews.save(session, review, version)
            await self._publish(session, review)

    # ------------------------------------------------------------------ reading

    async def agenda(self, session: Transaction, meeting_date: date) -> list[MissingMondaysReview]:
        return await self.reviews.on_agenda(session, meeting_date)

    async def awaiting_sign_off(self, session: Transaction) -> list[MissingMondaysReview]:
        return await self.reviews.in_status(session, ReviewStatus.WITH_SENIOR_OFFICER)

    async def get(self, session: Transaction, review_id: str) -> MissingMondaysReview:
        review = await self.reviews.get(session, review_id)
        if review is None:
            raise ReviewNotFound(review_id)
        return review

    def next_meeting(self, today: date) -> date:
        ahead = (self.meeting_weekday - today.weekday()) % 7
        return today + timedelta(days=ahead)

    # ------------------------------------------------------------------ the meeting's commands

    async def score(
        self, session: Transaction, review_id: str, *, chair_id: str, cme_score: int, safeguarding_score: int,
        attendees: Sequence[str], comments: str, recommendation: Decision,
    ) -> MissingMondaysReview:
        review, version = await self._locked(session, review_id)
        at = self.clock()
        review.score(chair_id=chair_id, meeting_date=review.meeting_date, cme_score=cme_score,
                     safeguarding_score=safeguarding_score, attendees=list(attendees), comments=comments,
                     recommendation=recommendation, at=at)
        await self.reviews.save(session, review, version)
        scoring = review.scoring
        assert scoring is not None
        outcome = band_outcome(cme_score, safeguarding_score, scoring.meeting_date)
        await self.outbox.add(
            session,
            ReviewDecided(
                review_id=UUID(review.review_id), case_id=UUID(review.case_id), child_id=UUID(review.child_id),
                decided_at=at, cme_score=cme_score, safeguarding_score=safeguarding_score,
                risk_band=ContractRiskBand(scoring.risk_band.value), may_close=outcome.may_close,
                needs_senior_sign_off=True, next_review_date=outcome.next_review_date,
                recommendation=outcome.recommendation,
            ),
            key=review.child_id, subject=review.case_id,
        )
        await self._publish(session, review)
        return review

    async def raise_concern(
        self, session: Transaction, review_id: str, *, by: str, team: str, text: str
    ) -> MissingMondaysReview:
        review, version = await self._locked(session, review_id)
        review.raise_concern(concern_id=str(uuid4()), by=by, team=team, text=text, at=self.clock())
        await self.reviews.save(session, review, version)
        await self._publish(session, review)
        return review

    async def pass_to_senior_officer(self, session: Transaction, review_id: str, *, by: str) -> MissingMondaysReview:
        review, version = await self._locked(session, review_id)
        review.pass_to_senior_officer(by=by, at=self.clock())
        await self.reviews.save(session, review, version)
        await self._publish(session, review)
        return review

    async def sign_off(
        self, session: Transaction, review_id: str, *, senior_officer_id: str, name: str, role: str,
        decision: Decision, comments: str,
    ) -> MissingMondaysReview:
        review, version = await self._locked(session, review_id)
        signed = review.sign_off(senior_officer_id=senior_officer_id, name=name, role=role, decision=decision,
                                 comments=comments, at=self.clock())
        await self.reviews.save(session, review, version)
        scoring = review.scoring
        assert scoring is not None
        await self.outbox.add(
            session,
            ReviewSignedOff(
                review_id=UUID(review.review_id), case_id=UUID(review.case_id), child_id=UUID(review.child_id),
                signed_off_at=signed.signed_at, risk_band=ContractRiskBand(scoring.risk_band.value),
                cme_score=scoring.cme_score, safeguarding_score=scoring.safeguarding_score,
                decision=ClosureDecision(decision.value), senior_officer_id=senior_officer_id,
                senior_officer_name=signed.senior_officer_name, senior_officer_role=signed.senior_officer_role,
                comments=signed.comments, next_review_date=signed.next_review_date,
                lead_officer_id=scoring.chair_id if decision is Decision.REMAIN_OPEN else None,
            ),
            key=review.child_id, subject=review.case_id,
        )
        review.events.clear()  # the sign-off itself is the timeline's entry (casework records it)
        return review

    async def withdraw(self, session: Transaction, review_id: str, *, by: str, reason: str) -> MissingMondaysReview:
        review, version = await self._locked(session, review_id)
        review.withdraw(by=by, reason=reason, at=self.clock())
        await self.reviews.save(session, review, version)
        await self._publish(session, review)
        return review

    async def add_to_agenda(
        self, session: Transaction, review_id: str, *, by: str, reason: str
    ) -> MissingMondaysReview:
        """The chair puts a case reviewed before back on the next meeting's agenda, with a reason."""
        review, version = await self._locked(session, review_id)
        added = review.add_to_agenda(review_id=str(uuid4()), by=by, reason=reason, at=self.clock(),
                                     weekday=self.meeting_weekday)
        await self.reviews.save(session, review, version)
        await self.reviews.add(session, added)
        await self._publish(session, added)
        return added

    # ------------------------------------------------------------------ time rules (`run-due`)

    async def run_due(self, session: Transaction, as_of: datetime) -> DueRun:
        """Cases kept open: the further review once its date has come (on the next meeting's agenda), and the
        lead officer's re-checks at the configured interval in between (policy §10.5)."""
        further, rechecks = 0, 0
        for review in await self.reviews.kept_open(session):
            signed = review.signature
            if signed is None or signed.next_review_date is None:
                continue
            until = review.checks_continue_until(signed.next_review_date)
            due = [day for day in recheck_dates(signed, self.recheck_interval, until) if day <= as_of.date()]
            for day in await self.reviews.add_rechecks(session, review, due):
                rechecks += 1
                await self.outbox.add(
                    session,
                    RecheckDue(review_id=UUID(review.review_id), case_id=UUID(review.case_id),
                               child_id=UUID(review.child_id), due_on=day, next_review_date=signed.next_review_date),
                    key=review.child_id, subject=review.case_id,
                )
            # A child past compulsory school age is not reviewed again: casework prompts the officer to close.
            if signed.next_review_date <= as_of.date() and until == signed.next_review_date:
                version = review.version
                again = review.re_review(review_id=str(uuid4()), as_of=as_of, weekday=self.meeting_weekday)
                await self.reviews.save(session, review, version)
                await self.reviews.add(session, again)
                await self._publish(session, again)
                further += 1
        return DueRun(further, rechecks)

    # ------------------------------------------------------------------ helpers

    async def _locked(self, session: Transaction, review_id: str) -> tuple[MissingMondaysReview, int]:
        review = await self.reviews.get(session, review_id, for_update=True)
        if review is None:
            raise ReviewNotFound(review_id)
        return review, review.version

    async def _publish(self, session: Transaction, review: MissingMondaysReview) -> None:
        for happened in review.events:
            log.info("review step", step=happened.kind, review_id=review.review_id)
            await self.outbox.add(
                session,
                ReviewProgressed(
                    review_id=UUID(review.review_id), case_id=UUID(review.case_id), child_id=UUID(review.child_id),
                    at=happened.at, step=happened.kind.removeprefix("review."), summary=happened.summary,
                    meeting_date=review.meeting_date, actor=happened.actor,
                ),
                key=review.child_id, subject=review.case_id,
            )
        review.events.clear()


__all__ = ["DueRun", "MeetingService", "ReviewNotFound", "ReviewRuleBroken"]
