"""Answer another authority's question whether a child is known here (policy §4.1), for notify's exchange.

Notify receives the signed enquiry and sends the signed answer; intake, which holds the register, decides it. The
lookup changes nothing (no child is created for a question), and is logged with who asked and what was answered,
never with whom it was about.
"""

from cme_runtime.db import Transaction
from cme_runtime.logging import get_logger
from contracts.events.common_v1 import Child
from services.intake.adapters.register import Register
from services.intake.adapters.submissions import SubmissionStore
from services.intake.domain.enquiries import NOT_KNOWN, EnquiryAnswer, answer_enquiry
from services.intake.service_layer.normalisation import person_record

log = get_logger(__name__)


class EnquiryAnswers:
    def __init__(self, register: Register, submissions: SubmissionStore) -> None:
        self.register = register
        self.submissions = submissions

    async def answer(self, session: Transaction, child: Child, *, asked_by: str) -> EnquiryAnswer:
        child_id = await self.register.look_up(session, person_record(child))
        answer = (
            NOT_KNOWN
            if child_id is None
            else answer_enquiry(await self.submissions.referral_history(session, child_id))
        )
        log.info(
            "enquiry about a child answered",
            asked_by=asked_by,
            child_id=str(child_id) if child_id else None,
            outcome=answer.outcome.value,
        )
        return answer
