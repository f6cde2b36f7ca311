"""Which rows of the school-return and case facts an event gives: the mapping of domain/facts.py's
`FactsFromEvents`, from the topics reporting reads, row by row (so the batch projection can insert a batch at once).

- An accepted joiner or leaver return is intake's cme.referral.received.v1 (kind joiner or leaver, with a school).
  Reporting does not read the raw submission topics, so the NC year comes from the child's date of birth on the
  start or leaving date (`nc_year_on`), `submitted_at` is when intake received it, and a joiner's previous school
  (what "deletions without a return" counts against) travels on the referral.
- A rejected return is cme.intake.rejected.v1 naming a school (`school_id`, set by intake for joiner and leaver
  returns); its effective date is the day it was rejected (the rules count rejections by the day they were sent).
- A case is cme.case.opened.v1; is_cme comes from cme.triage.decided.v1 by referral id; closures from the pack's
  `cases` table.
"""

from typing import Any

from contracts.base import Event
from contracts.events.case_v1 import CaseOpened
from contracts.events.intake_v1 import SubmissionRejected
from contracts.events.referral_v1 import ReferralKind, ReferralReceived
from contracts.events.triage_v1 import TriageDecided
from services.reporting.domain.facts import ReturnType, nc_year_on

_RETURN_TYPES = {ReferralKind.JOINER: ReturnType.JOINER, ReferralKind.LEAVER: ReturnType.LEAVER}


def _ground_2024(code: str, equivalents: tuple[str, ...]) -> str | None:
    if code.startswith("9("):
        return code
    return equivalents[0] if equivalents else None


def school_fact_row(event: Event) -> tuple[str, dict[str, Any]] | None:
    """The (table, row) an event adds to the school-return and case facts, or None."""
    if isinstance(event, ReferralReceived):
        return_type = _RETURN_TYPES.get(event.kind)
        if return_type is None or event.school is None:
            return None
        born = event.child.date_of_birth
        ground = event.leaving_ground
        return "school_returns", {
            "submission_id": event.submission_id,
            "school_id": event.school.establishment_id,
            "return_type": return_type.value,
            "submitted_at": event.received_at,
            "effective_date": event.referral_date,
            "child_id": event.child_id,
            "nc_year": nc_year_on(born, event.referral_date) if born else None,
            "ground": ground.code if ground else None,
            "ground_2024": _ground_2024(ground.code, ground.equivalents) if ground else None,
            "ap_taken_up": event.education.ap_taken_up,
            "rejected": False,
            "problems": [],
            "previous_school_id": event.previous_school.establishment_id if event.previous_school else None,
        }
    if isinstance(event, SubmissionRejected):
        if event.school_id is None or event.submission_id is None:
            return None
        if event.submission_type not in (ReturnType.JOINER.value, ReturnType.LEAVER.value):
            return None
        return "school_returns", {
            "submission_id": event.submission_id,
            "school_id": event.school_id,
            "return_type": event.submission_type,
            "submitted_at": event.rejected_at,
            "effective_date": event.rejected_at.date(),
            "child_id": None,
            "nc_year": None,
            "ground": None,
            "ground_2024": None,
            "ap_taken_up": None,
            "rejected": True,
            "problems": [problem.field for problem in event.problems],
            "previous_school_id": None,
        }
    if isinstance(event, TriageDecided):
        return "triage_outcomes", {"referral_id": event.referral_id, "is_cme": event.is_cme}
    if isinstance(event, CaseOpened):
        born = event.child.date_of_birth
        opened_on = event.opened_at.date()
        flags = event.safeguarding
        return "case_returns", {
            "case_id": event.case_id,
            "child_id": event.child_id,
            "referral_id": event.referral_id,
            "opened_on": opened_on,
            "track": event.track.value,
            "school_id": event.school.establishment_id if event.school else None,
            "nc_year": nc_year_on(born, opened_on) if born else None,
            "sex": event.child.sex,
            "ehcp": flags.ehcp,
            "social_care": flags.looked_after or flags.child_protection_plan or flags.child_in_need,
        }
    return None
