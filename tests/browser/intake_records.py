"""Records in the running suite's intake for the referral-form and match-review pages: an uncertain match (two
absence returns about one invented child, the second under a middle name), a draft and an entered referral.
Made through intake's own APIs, as the schools' systems and casework make them. Every person here is invented."""

import random
import string
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx

from services.casework.domain.access import Role
from services.casework.domain.referral_form import STEP_SLUGS
from services.casework.entrypoints.demo import DEMO_USERS
from tests.support.submissions import valid_upn
from tests.support.suite import RunningSuite

_rng = random.Random()


def invented_surname() -> str:
    # Random letters throughout, so no other test's child matches this one.
    return "".join(_rng.choices(string.ascii_lowercase, k=12)).title()


def _absence(child: dict[str, Any]) -> dict[str, Any]:
    return {
        "submission_type": "absence",
        "submission_id": f"browser-{uuid4().hex}",
        "submitted_at": datetime.now(UTC).isoformat(),
        "school": {"establishment_id": "8852001"},
        "child": child,
        "reason": "continuous_10_days",
        "first_day_of_absence": datetime.now(UTC).date().isoformat(),
    }


def internal(suite: RunningSuite) -> httpx.AsyncClient:
    token = suite.specs["casework"].env["CME_INTERNAL_API_TOKEN"]
    return httpx.AsyncClient(base_url=suite.url("intake", "/internal/v1"), timeout=30,
                             headers={"Authorization": f"Bearer {token}"})


async def uncertain_match(suite: RunningSuite) -> dict[str, Any]:
    """An open match review intake raised; returns it as intake's internal API lists it."""
    child = {
        "given_name": "Grace", "middle_names": "Isla Grace", "family_name": invented_surname(),
        "date_of_birth": (date(2012, 9, 1) + timedelta(days=_rng.randint(0, 7 * 365))).isoformat(), "sex": "F",
        "upn": valid_upn(),
        "address": {"line1": f"{_rng.randint(1, 999)} {invented_surname()} Close",
                    "postcode": f"WR{_rng.randint(1, 15)} {_rng.randint(1, 9)}AB"},
    }
    second_child = child | {"given_name": "Isla", "middle_names": "Grace", "upn": None}
    async with httpx.AsyncClient(base_url=suite.url("intake"), timeout=30) as public:
        for body in (_absence(child), _absence(second_child)):
            accepted = await public.post("/api/v1/submissions/absence", json=body)
            assert accepted.status_code == 202, accepted.text
    provisional = accepted.json()["child_id"]
    async with internal(suite) as client:
        reviews = (await client.get("/match-reviews")).json()
    review: dict[str, Any] = next(item for item in reviews if item["child_id"] == provisional)
    return review


async def match_review(suite: RunningSuite, review_id: str) -> dict[str, Any]:
    async with internal(suite) as client:
        found: dict[str, Any] = (await client.get(f"/match-reviews/{review_id}")).json()
    return found


# Every question answered (another authority's enquiry, so the most fields show), so check answers can be walked.
DRAFT: dict[str, Any] = {
    "_completed": list(STEP_SLUGS), "_problems": {}, "received_by": "email", "referrer_type": "other_la",
    "referrer_name": "An Invented Officer", "referrer_organisation": "Invented Borough Council",
    "referrer_la_code": "886", "referrer_phone": "", "referrer_email": "cme@example.org", "given_name": "Evie",
    "middle_names": "", "family_name": "Invented", "dob_day": "9", "dob_month": "1", "dob_year": "2016", "sex": "F",
    "address_line1": "7 Invented Street", "address_line2": "", "town": "Worcester", "postcode": "WR1 2AB",
    "upn": "", "school_id": "", "school_name": "", "alert_type": "", "concern": "May have moved into the county",
    "safeguarding": ["none"],
}


async def draft_for(suite: RunningSuite, user_id: str, answers: dict[str, Any] | None = None) -> str:
    draft_id = str(uuid4())
    async with internal(suite) as client:
        body = {"acting_user": user_id, "answers": DRAFT if answers is None else answers}
        saved = await client.put(f"/referral-drafts/{draft_id}", json=body)
        assert saved.status_code == 200, saved.text
    return draft_id


async def referral_entered_by(suite: RunningSuite, user_id: str) -> str:
    submission_id = f"officer-{uuid4()}"
    submission = {
        "submission_type": "professional_referral", "submission_id": submission_id,
        "submitted_at": datetime.now(UTC).isoformat(),
        "referrer": {"organisation_type": "member_of_public", "name": "A Neighbour", "phone": "07700 900123"},
        "child": {"given_name": "Ruby", "family_name": invented_surname(), "date_of_birth": "2015-02-11"},
        "concern": "Not seen going to school",
    }
    async with internal(suite) as client:
        entered = await client.post("/officer-referrals", json={
            "acting_user": user_id, "received_by_channel": "email", "submission": submission})
        assert entered.status_code == 202, entered.text
    return submission_id


async def intake_page_values(suite: RunningSuite) -> dict[str, str]:
    """Path values for the axe walk's referral and match-review pages, as the roles it visits them as: the referral
    pages as the lead officer (a draft and a referral of theirs), the match reviews as the engagement manager."""
    lead = next(user.user_id for user in DEMO_USERS if user.role is Role.LEAD_OFFICER)
    return {
        "draft_id": await draft_for(suite, lead),
        # Nothing answered yet: a question sent back empty shows its error.
        "empty_draft_id": await draft_for(suite, lead, {"_completed": []}),
        "step": "how-received",
        "submission_id": await referral_entered_by(suite, lead),
        "review_id": (await uncertain_match(suite))["review_id"],
    }
