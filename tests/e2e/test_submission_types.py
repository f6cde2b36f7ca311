"""Issue 3 acceptance: every submission type, from submission to triage decision (and case), on real Kafka and
PostgreSQL. Each type is sent over HTTP, and several over their Kafka topic. Every person here is invented."""

import json
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from contracts import topics
from contracts.events.intake_v1 import (
    JoinerSubmitted,
    LaEnquirySubmitted,
    LeaverSubmitted,
    SicknessSubmitted,
    Submission,
)
from tests.support.kafka import Record, publish_event, read_until
from tests.support.submissions import leaver, valid_upn
from tests.support.suite import RunningSuite
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

API_TOKEN = "test-suite-token"
_rng = random.Random()


def _today() -> date:
    return datetime.now(UTC).date()


def child(**overrides: Any) -> dict[str, Any]:
    """A child of compulsory school age (7 to 13) at an invented address in the county."""
    marker = uuid4().hex[:8]
    today = _today()
    details: dict[str, Any] = {
        "given_name": f"Testchild{marker}",
        "family_name": f"Family{marker}",
        "date_of_birth": (date(today.year - 13, 9, 1) + timedelta(days=_rng.randint(0, 6 * 365))).isoformat(),
        "sex": "M",
        "upn": valid_upn(),
        "address": {"line1": f"{_rng.randint(1, 200)} Test Lane", "town": "Worcester", "postcode": "WR5 2NP"},
    }
    details.update(overrides)
    return details


def _common(submission_type: str) -> dict[str, Any]:
    return {
        "submission_type": submission_type,
        "submission_id": f"test-{submission_type}-{uuid4().hex}",
        "submitted_at": datetime.now(UTC).isoformat(),
        "submitter": {"name": "Test Administrator", "email": "admin@example.com", "organisation": "Test School"},
    }


def school_return(submission_type: str, **fields: Any) -> dict[str, Any]:
    return {
        **_common(submission_type),
        "school": {"establishment_id": "8852001", "name": "Puddleby Brook Primary School (fictional)"},
        "child": child(),
        "safeguarding": {},
        **fields,
    }


def joiner() -> dict[str, Any]:
    return school_return("joiner", start_date=(_today() - timedelta(days=1)).isoformat(), year_group="5")


def absence(**fields: Any) -> dict[str, Any]:
    defaults = {
        "reason": "continuous_10_days",
        "first_day_of_absence": (_today() - timedelta(days=14)).isoformat(),
        "attendance_percentage": 71.5,
    }
    return school_return("absence", **(defaults | fields))


def sickness() -> dict[str, Any]:
    return school_return(
        "sickness", sickness_started=(_today() - timedelta(days=3)).isoformat(), expected_school_days_missed=20
    )


def part_time_timetable(**fields: Any) -> dict[str, Any]:
    defaults = {
        "start_date": (_today() - timedelta(days=7)).isoformat(),
        "planned_end_date": (_today() + timedelta(days=35)).isoformat(),
        "hours_per_week": 12.5,
        "reason": "Phased return after a long absence",
    }
    return school_return("part_time_timetable", **(defaults | fields))


def social_care_alert(alert_type: str, **fields: Any) -> dict[str, Any]:
    return {
        **_common("social_care_alert"),
        "alert_type": alert_type,
        "child": child(),
        "social_worker": {"name": "Test Social Worker", "email": "sw@example.com"},
        "details": "Invented details for a test",
        **fields,
    }


def professional_referral() -> dict[str, Any]:
    return {
        **_common("professional_referral"),
        "referrer": {"organisation_type": "housing", "organisation": "Test Housing", "name": "Test Officer"},
        "child": child(date_of_birth=None),
        "concern": "Family placed in temporary accommodation; the child has no school place",
    }


def la_enquiry() -> dict[str, Any]:
    return {
        **_common("la_enquiry"),
        "enquiring_authority": {
            "organisation_type": "other_local_authority",
            "organisation": "Test Borough Council",
            "local_authority_code": "886",
        },
        "child": child(address={"line1": "1 Elsewhere Road", "postcode": "ME1 1AA"}),
        "possible_address_here": {"line1": "5 Owl Close", "town": "Malvern", "postcode": "WR14 3PA"},
        "enquiry": "The family told the previous school they were moving to Malvern",
    }


async def post(suite: RunningSuite, submission: dict[str, Any]) -> httpx.Response:
    path = f"/api/v1/submissions/{submission['submission_type']}"
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(suite.url("intake", path), json=submission)


async def publish(suite: RunningSuite, model: type[Submission], submission: dict[str, Any]) -> None:
    await publish_event(
        suite.kafka, suite.topic(model.topic), model.model_validate(submission), key=submission["submission_id"]
    )


async def referral_of(db: dict[str, asyncpg.Connection], submission_id: str) -> asyncpg.Record:
    async def probe() -> asyncpg.Record | None:
        return await db["intake"].fetchrow(
            "SELECT referral_id, child_id, kind, match_decision FROM referrals WHERE submission_id = $1", submission_id
        )

    return await eventually(probe, what=f"a referral for {submission_id}")


async def decision_for(db: dict[str, asyncpg.Connection], submission_id: str) -> asyncpg.Record:
    referral = await referral_of(db, submission_id)

    async def probe() -> asyncpg.Record | None:
        return await db["triage"].fetchrow(
            "SELECT child_id, referral_kind, is_cme, track FROM decisions WHERE referral_id = $1",
            referral["referral_id"],
        )

    return await eventually(probe, what=f"a triage decision for {submission_id}")


async def published_referral(suite: RunningSuite, submission_id: str) -> dict[str, Any]:
    """The referral intake published for a submission, as read from its topic."""

    def about(record: Record) -> bool:
        return bool(json.loads(record.value).get("submission_id") == submission_id)

    records = await read_until(
        suite.kafka, suite.topic(topics.REFERRAL_RECEIVED), lambda records: any(map(about, records))
    )
    return dict(json.loads(next(record for record in records if about(record)).value))


async def open_case(suite: RunningSuite, child_id: Any) -> dict[str, Any]:
    async def probe() -> list[dict[str, Any]] | None:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.get(
                suite.url("casework", "/api/v1/cases"),
                params={"child_id": str(child_id)},
                headers={"Authorization": f"Bearer {API_TOKEN}"},
            )
        response.raise_for_status()
        return list(response.json()["cases"]) or None

    cases = await eventually(probe, what="a case for the child")
    assert len(cases) == 1
    return cases[0]


async def assert_cme_case(
    suite: RunningSuite, db: dict[str, asyncpg.Connection], submission_id: str, kind: str
) -> asyncpg.Record:
    decision = await decision_for(db, submission_id)
    assert decision["referral_kind"] == kind
    assert decision["is_cme"] is True
    assert decision["track"] == "cme_enquiry"
    case = await open_case(suite, decision["child_id"])
    assert case["track"] == "cme_enquiry"
    return decision


async def assert_not_cme(db: dict[str, asyncpg.Connection], submission_id: str, kind: str, track: str) -> None:
    decision = await decision_for(db, submission_id)
    assert decision["referral_kind"] == kind
    assert decision["is_cme"] is False
    assert decision["track"] == track


async def test_a_leaver_with_a_2024_ground_opens_a_cme_case(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    submission = leaver(leaving_reason="9(1)(g)")

    response = await post(suite, submission)

    assert response.status_code == 202, response.text
    await assert_cme_case(suite, db, submission["submission_id"], "leaver")
    referral = await published_referral(suite, submission["submission_id"])
    assert referral["leaving_ground"] == {"code": "9(1)(g)", "legal_source": "2024", "equivalents": ["8(1)(e)"]}


async def test_a_leaver_with_a_2006_ground_over_kafka_keeps_its_legal_source_and_opens_a_case(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    submission = leaver(leaving_reason="8(1)(e)")

    await publish(suite, LeaverSubmitted, submission)

    await assert_cme_case(suite, db, submission["submission_id"], "leaver")
    referral = await published_referral(suite, submission["submission_id"])
    assert referral["leaving_ground"] == {"code": "8(1)(e)", "legal_source": "2006", "equivalents": ["9(1)(g)"]}
    assert referral["referral_date"] == submission["leaving_date"]


async def test_a_joiner_over_kafka_is_recorded_and_needs_no_action(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    submission = joiner()

    await publish(suite, JoinerSubmitted, submission)

    await assert_not_cme(db, submission["submission_id"], "joiner", "no_action")
    referral = await published_referral(suite, submission["submission_id"])
    assert referral["referral_date"] == submission["start_date"]
    assert referral["school"]["establishment_id"] == "8852001"


async def test_an_absence_return_goes_to_the_attendance_track(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    submission = absence()

    response = await post(suite, submission)

    assert response.status_code == 202, response.text
    await assert_not_cme(db, submission["submission_id"], "absence", "attendance")
    referral = await published_referral(suite, submission["submission_id"])
    assert referral["referral_date"] == submission["first_day_of_absence"]
    assert referral["attendance"]["reason"] == "continuous_10_days"
    assert referral["attendance"]["attendance_percentage"] == 71.5


async def test_an_absence_update_names_the_return_it_updates_and_is_about_the_same_child(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    first = absence()
    assert (await post(suite, first)).status_code == 202
    update = absence(
        child=first["child"],
        reason="irregular_attendance",
        updates_submission_id=first["submission_id"],
        details="Attended two days this week",
    )

    response = await post(suite, update)

    assert response.status_code == 202, response.text
    assert response.json()["identity_decision"] == "matched_existing"
    await assert_not_cme(db, update["submission_id"], "absence", "attendance")
    first_referral = await referral_of(db, first["submission_id"])
    update_referral = await referral_of(db, update["submission_id"])
    assert update_referral["child_id"] == first_referral["child_id"]
    published = await published_referral(suite, update["submission_id"])
    assert published["attendance"]["updates_submission_id"] == first["submission_id"]
    assert published["details"] == "Attended two days this week"


async def test_an_update_of_a_return_intake_never_accepted_is_rejected(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    update = absence(updates_submission_id=f"never-sent-{uuid4().hex}")

    response = await post(suite, update)

    assert response.status_code == 422
    assert response.json()["problems"] == [
        {
            "field": "updates_submission_id",
            "message": "Enter the submission ID of the absence return this updates. "
            "No accepted absence return has that ID",
        }
    ]
    assert await db["intake"].fetchval("SELECT count(*) FROM children WHERE upn = $1", update["child"]["upn"]) == 0


async def test_a_15_day_sickness_return_over_kafka_prompts_section_19_consideration(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    submission = sickness()

    await publish(suite, SicknessSubmitted, submission)

    await assert_not_cme(db, submission["submission_id"], "sickness_15_day", "s19_consideration")
    referral = await published_referral(suite, submission["submission_id"])
    assert referral["attendance"]["expected_school_days_missed"] == 20


async def test_a_part_time_timetable_and_its_update_go_to_the_attendance_track(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    notification = part_time_timetable()
    assert (await post(suite, notification)).status_code == 202
    update = part_time_timetable(
        child=notification["child"], hours_per_week=20, updates_submission_id=notification["submission_id"]
    )

    response = await post(suite, update)

    assert response.status_code == 202, response.text
    await assert_not_cme(db, notification["submission_id"], "part_time_timetable", "attendance")
    await assert_not_cme(db, update["submission_id"], "part_time_timetable", "attendance")
    referral = await published_referral(suite, update["submission_id"])
    assert referral["attendance"]["hours_per_week"] == 20
    assert referral["attendance"]["updates_submission_id"] == notification["submission_id"]
    assert referral["details"] == "Phased return after a long absence"


async def test_a_social_care_alert_of_no_confirmed_education_opens_a_case_with_the_social_worker(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    submission = social_care_alert("no_confirmed_education")

    response = await post(suite, submission)

    assert response.status_code == 202, response.text
    await assert_cme_case(suite, db, submission["submission_id"], "social_care_no_education")
    referral = await published_referral(suite, submission["submission_id"])
    assert referral["safeguarding"]["open_to_social_care"] is True
    assert referral["safeguarding"]["social_worker"]["name"] == "Test Social Worker"
    assert referral["social_care_alert"] == "no_confirmed_education"


async def test_a_social_care_alert_of_a_child_leaving_the_area_is_a_cme_enquiry_with_the_destination(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    submission = social_care_alert(
        "leaving_area",
        destination={"local_authority": "Test Borough Council", "address": {"line1": "2 Far Street"}},
        leaving_date=(_today() + timedelta(days=10)).isoformat(),
    )

    response = await post(suite, submission)

    assert response.status_code == 202, response.text
    await assert_cme_case(suite, db, submission["submission_id"], "social_care_leaving_area")
    referral = await published_referral(suite, submission["submission_id"])
    assert referral["destination"]["local_authority"] == "Test Borough Council"


async def test_a_professional_referral_with_no_known_education_opens_a_case(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    submission = professional_referral()

    response = await post(suite, submission)

    assert response.status_code == 202, response.text
    await assert_cme_case(suite, db, submission["submission_id"], "professional_referral")
    referral = await published_referral(suite, submission["submission_id"])
    assert referral["referrer"]["organisation_type"] == "housing"
    assert referral["details"] == submission["concern"]


async def test_an_enquiry_from_another_local_authority_over_kafka_opens_a_case(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    submission = la_enquiry()

    await publish(suite, LaEnquirySubmitted, submission)

    await assert_cme_case(suite, db, submission["submission_id"], "la_enquiry")
    referral = await published_referral(suite, submission["submission_id"])
    assert referral["possible_address"]["postcode"] == "WR14 3PA"
    assert referral["referrer"]["local_authority_code"] == "886"


async def test_every_problem_with_a_return_is_listed_and_nothing_is_stored(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    submission = sickness()
    submission["child"]["upn"] = "A801200005001"
    submission["child"]["nhs_number"] = "943 476 5918"
    submission["child"]["address"]["postcode"] = "Q1 1AA"
    submission["child"]["date_of_birth"] = (_today() + timedelta(days=1)).isoformat()
    submission["sickness_started"] = (_today() + timedelta(days=5)).isoformat()

    response = await post(suite, submission)

    assert response.status_code == 422
    assert response.json()["problems"] == [
        {"field": "child.upn", "message": "Check the UPN, the first letter does not match the rest of the number"},
        {"field": "child.nhs_number", "message": "Check the NHS number, it is not a valid NHS number"},
        {"field": "child.address.postcode", "message": "Enter a real postcode, like WR5 2NP"},
        {"field": "child.date_of_birth", "message": "Date of birth must be in the past"},
        {"field": "sickness_started", "message": "Sickness start date must be today or in the past"},
    ]
    assert (
        await db["intake"].fetchval(
            "SELECT status FROM submissions WHERE submission_id = $1", submission["submission_id"]
        )
        == "rejected"
    )
    assert (
        await db["intake"].fetchval(
            "SELECT count(*) FROM referrals WHERE submission_id = $1", submission["submission_id"]
        )
        == 0
    )
    assert (
        await db["intake"].fetchval(
            "SELECT count(*) FROM children WHERE given_name = $1", submission["child"]["given_name"]
        )
        == 0
    )


async def test_a_rejected_submission_on_a_topic_publishes_the_same_problem_list(
    suite: RunningSuite, db: dict[str, asyncpg.Connection]
) -> None:
    submission = joiner()
    submission["child"]["upn"] = "A801200005001"
    submission["start_date"] = (_today() + timedelta(days=60)).isoformat()
    over_http = {**submission, "submission_id": f"{submission['submission_id']}-http"}

    await publish(suite, JoinerSubmitted, submission)
    http_problems = (await post(suite, over_http)).json()["problems"]

    def has_rejection(records: list[Record]) -> bool:
        return any(json.loads(r.value).get("submission_id") == submission["submission_id"] for r in records)

    records = await read_until(suite.kafka, suite.topic(topics.INTAKE_REJECTED), has_rejection)
    event = next(
        json.loads(r.value) for r in records if json.loads(r.value)["submission_id"] == submission["submission_id"]
    )
    assert event["submission_type"] == "joiner"
    assert event["problems"] == http_problems
    assert [problem["field"] for problem in event["problems"]] == ["child.upn", "start_date"]
    assert await db["intake"].fetchval("SELECT count(*) FROM children WHERE upn = $1", submission["child"]["upn"]) == 0


async def test_an_enquiry_must_come_from_another_local_authority(suite: RunningSuite) -> None:
    submission = la_enquiry()
    submission["enquiring_authority"]["local_authority_code"] = "885"

    response = await post(suite, submission)

    assert response.status_code == 422
    assert response.json()["problems"] == [
        {
            "field": "enquiring_authority.local_authority_code",
            "message": "Enter the code of the local authority making the enquiry, not this county's code",
        }
    ]
