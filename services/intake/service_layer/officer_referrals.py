"""Referrals a CME officer took by phone, email or letter and entered in the officers' UI, and the match reviews
those officers decide.

An officer-entered referral goes through intake's one submission use case (`IntakeService.submit`: the same
checks, identity resolution and `ReferralReceived` as every upstream system), stamped with the officer who entered
it and how it arrived, on the submission (`submitter.entered_by`, `submitter.received_by_channel`) and in
`officer_entries`, in the same transaction.
"""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cme_runtime.db import Transaction
from cme_runtime.logging import get_logger
from contracts.events.common_v1 import Referrer
from contracts.events.intake_v1 import (
    LaEnquirySubmitted,
    ProfessionalReferralSubmitted,
    ReceivedBy,
    SocialCareAlertSubmitted,
    Submission,
    Submitter,
)
from services.intake.adapters.officer_entries import ChildDetails, OfficerEntries, OfficerEntry
from services.intake.adapters.register import ChildRegister, MatchReview
from services.intake.adapters.submissions import SubmissionRecord
from services.intake.service_layer.submissions import OFFICER_CHANNEL, IntakeService, Outcome

log = get_logger(__name__)

OfficerSubmission = ProfessionalReferralSubmitted | SocialCareAlertSubmitted | LaEnquirySubmitted


def referrer_type(submission: OfficerSubmission) -> str:
    if isinstance(submission, SocialCareAlertSubmitted):
        return "social_care"
    referrer: Referrer = (
        submission.enquiring_authority if isinstance(submission, LaEnquirySubmitted) else submission.referrer
    )
    return str(referrer.organisation_type)


class OfficerReferrals:
    def __init__(self, intake: IntakeService, entries: OfficerEntries, register: ChildRegister) -> None:
        self.intake = intake
        self.entries = entries
        self.register = register

    async def submit(
        self, session: Transaction, submission: OfficerSubmission, *, entered_by: str, received_by: ReceivedBy
    ) -> Outcome:
        submitter = (submission.submitter or Submitter()).model_copy(
            update={"entered_by": entered_by, "received_by_channel": received_by}
        )
        stamped: Submission = submission.model_copy(update={"submitter": submitter})
        outcome = await self.intake.submit(session, stamped, channel=OFFICER_CHANNEL, client=None)
        if outcome.accepted and not outcome.duplicate:
            await self.entries.add(
                session,
                OfficerEntry(
                    submission_id=submission.submission_id,
                    entered_by=entered_by,
                    received_by_channel=str(received_by),
                    referrer_type=referrer_type(submission),
                    entered_at=datetime.now(UTC),
                ),
            )
        return outcome

    async def entered(
        self, session: Transaction, submission_id: str
    ) -> tuple[OfficerEntry | None, SubmissionRecord | None]:
        """Who entered a referral and how, and what became of it (the child it was stored against)."""
        return await self.entries.get(session, submission_id), await self.intake.submissions.get(session, submission_id)

    # Drafts: the form's answers between its pages.

    async def draft(self, session: Transaction, draft_id: UUID, officer: str) -> dict[str, Any] | None:
        return await self.entries.draft(session, draft_id, officer)

    async def save_draft(self, session: Transaction, draft_id: UUID, officer: str, answers: dict[str, Any]) -> bool:
        return await self.entries.save_draft(session, draft_id, officer, answers, datetime.now(UTC))

    async def delete_draft(self, session: Transaction, draft_id: UUID, officer: str) -> None:
        await self.entries.delete_draft(session, draft_id, officer)

    # Match reviews.

    async def reviews(self, session: Transaction, status: str | None) -> list[MatchReview]:
        return await self.register.reviews(session, status, 200)

    async def review(self, session: Transaction, review_id: UUID) -> tuple[MatchReview, dict[UUID, ChildDetails]]:
        review = await self.register.review(session, review_id)
        found = await self.entries.children(session, [review.child_id, review.proposed_child_id])
        return review, found

    async def decide(
        self, session: Transaction, review_id: UUID, *, same_child: bool, officer: str, reason: str
    ) -> MatchReview:
        return await self.register.decide_review(
            session, review_id, confirm=same_child, decided_by=officer, reason=reason
        )

    async def undo(self, session: Transaction, review_id: UUID, *, officer: str, reason: str) -> MatchReview:
        """Undo a decided review: a "same child" decision's merge is reversed (the two children are read as
        themselves again), and the review is open again either way, for a fresh decision."""
        review = await self.register.review(session, review_id)
        if review.status == "open":
            raise ReviewNotDecided("This match review has not been decided, so there is nothing to undo")
        if review.merge_id is not None:
            await self.register.unmerge(session, review.merge_id, reason=reason, decided_by=officer)
        await self.entries.reopen_review(session, review_id)
        log.info("match review re-opened", review_id=str(review_id), had_merge=review.merge_id is not None)
        return await self.register.review(session, review_id)


class ReviewNotDecided(ValueError):
    """Undo asked of a review nobody has decided."""
