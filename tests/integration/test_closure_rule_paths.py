"""Issue 12: the closure rules hold on every path that can close a case, on real PostgreSQL.

The same refusals are tried through the officers' close form, the JSON API (POST /api/v1/cases/{id}/close) and
review's signed-off decision event (the consumer's handler, in process); each answers with a clear reason and
leaves the case open. Then the joint-enquiry and child-located forms, and a signed-off decision applied.
"""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from contracts.envelope import new_attributes
from contracts.events.common_v1 import Child, Safeguarding, School
from contracts.events.review_v1 import ClosureDecision, ReviewSignedOff, RiskBand
from services.casework.adapters.tables import outbox, timeline
from services.casework.app import create_app
from services.casework.domain.access import Role
from services.casework.domain.allocation import working_due_date
from services.casework.domain.case import Case
from services.casework.domain.checklist import STANDARD_CHECKS, WHEREABOUTS_UNKNOWN_CHECKS, CheckType
from services.casework.domain.records import CaseFlags, ChildSummary
from services.casework.domain.vocabulary import (
    CheckStatus,
    ClosureReason,
    EscalationKind,
    Priority,
    ReviewDecision,
    Status,
    Track,
)
from services.casework.domain.vocabulary import RiskBand as CaseRiskBand
from services.casework.settings import CaseworkSettings
from tests.integration.test_casework_pages import (
    Browser,
    Person,
    add_person,
    audit_actions,
    by_id,
    error_links,
    parse,
    service_of,
    sessions_of,
    stored,
    text_of,
)
from tests.support.infrastructure import Infrastructure

pytestmark = [pytest.mark.integration]

TOKEN = f"closure-paths-{uuid4().hex}"
CLOSER_ID = f"closure-api-{uuid4().hex[:8]}"
SENIOR = "senior-officer-1"


@pytest.fixture(scope="module")
async def app(migrated: Infrastructure) -> AsyncIterator[FastAPI]:
    settings = CaseworkSettings(
        start_consumers=False,
        DATABASE_URL=migrated.database_url,
        KAFKA_BOOTSTRAP_SERVERS=migrated.kafka_bootstrap_servers,
        api_tokens={TOKEN: CLOSER_ID},
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="module")
async def people(app: FastAPI) -> dict[str, Person]:
    from services.casework.adapters.accounts import Accounts  # noqa: PLC0415

    async with sessions_of(app).begin() as session:
        await Accounts().add_user(session, user_id=CLOSER_ID, email=f"{CLOSER_ID}@example.invalid",
                                  display_name="API Closer", initials="AC", roles=[Role.LEAD_OFFICER],
                                  team_id=None, password=None)
    return {"lead": await add_person(app, Role.LEAD_OFFICER), "officer": await add_person(app, Role.CME_OFFICER)}


@pytest.fixture
async def lead(app: FastAPI, people: dict[str, Person]) -> AsyncIterator[Browser]:
    browser = await Browser.signed_in(app, people["lead"])
    yield browser
    await browser.client.aclose()


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="https://casework.test",
                                 headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client


async def stored_case(
    app: FastAPI,
    officer_id: str,
    *,
    flags: CaseFlags | None = None,
    born: date = date(2015, 3, 3),
    stage: str = "allocated",
) -> str:
    """A case stored through the service. `stage`: "allocated", "escalated" (whole checklist, at Missing
    Mondays), "high_risk" (kept open after a HI review) or "kept_open_med"."""
    now = datetime.now(UTC)
    opened = now - timedelta(days=30)
    case = Case.open(
        case_id=str(uuid4()), child_id=str(uuid4()), referral_id=str(uuid4()), priority=Priority.P2,
        track=Track.CME_ENQUIRY, due_date=now.date() + timedelta(days=10), opened_at=opened,
        child_summary=ChildSummary(given_name="Invented", family_name=f"Child{uuid4().hex[:6]}", date_of_birth=born,
                                   upn=None, school_name="Closure Paths Primary", school_id="8859999"),
        flags=flags or CaseFlags(),
    )
    case.allocate(officer_id, "closure-test", opened + timedelta(hours=1))
    if stage != "allocated":
        moment = opened + timedelta(days=1)
        for check in (*STANDARD_CHECKS, *WHEREABOUTS_UNKNOWN_CHECKS):
            case.record_check(check, CheckStatus.DONE, on=moment.date(), officer_id=officer_id, officer_initials="PT",
                              outcome="Nothing found", note="", at=moment,
                              school_safeguarding_concern=False if check is CheckType.LEAVER_FORM_OR_SCHOOL_DISCUSSION
                              else None)
        case.escalate(EscalationKind.MISSING_MONDAYS, officer_id, moment + timedelta(hours=1), cme_score=5,
                      safeguarding_score=5 if stage == "high_risk" else 1)
    if stage in {"high_risk", "kept_open_med"}:
        band = CaseRiskBand.HI if stage == "high_risk" else CaseRiskBand.MED
        case.apply_review_decision(band, ReviewDecision.KEEP_OPEN, SENIOR, opened + timedelta(days=10),
                                   now.date() + timedelta(days=300), lead_officer_id=officer_id)
    async with sessions_of(app).begin() as session:
        await service_of(app).open_case(
            session, case, Child(given_name="Invented", family_name="Child", date_of_birth=born),
            School(establishment_id="8859999", name="Closure Paths Primary"), Safeguarding())
    return case.case_id


# Each refusal: how the case is made, the closure tried (form fields = API body), and the words that explain it.
REFUSALS: dict[str, tuple[dict[str, Any], dict[str, str], str]] = {
    "high_risk_as_other": ({"stage": "high_risk"}, {"reason": "other", "details": "Bypass the meeting"},
                           "high-risk (HI) case is never closed while the child's whereabouts are unknown"),
    "high_risk_registered_by_hand": ({"stage": "high_risk"},
                                     {"reason": "registered_into_provision", "school_id": "8852001"},
                                     "high-risk (HI) case is never closed"),
    "whereabouts_unknown_as_other": ({"flags": CaseFlags(whereabouts_unknown=True)},
                                     {"reason": "other", "details": "No longer needed"},
                                     "closes only through a signed-off Missing Mondays review"),
    "pending_review_as_ehe": ({"stage": "escalated"}, {"reason": "ehe_confirmed"},
                              "closes only through a signed-off Missing Mondays review"),
    "past_school_age_too_early": ({}, {"reason": "past_compulsory_school_age"},
                                  "of compulsory school age until"),
}


@pytest.mark.parametrize("refusal", list(REFUSALS))
async def test_the_close_form_refuses_with_the_rule_that_failed(
    app: FastAPI, people: dict[str, Person], lead: Browser, refusal: str
) -> None:
    make, fields, words = REFUSALS[refusal]
    case_id = await stored_case(app, people["lead"].user_id, **make)

    response = await lead.submit(f"/cases/{case_id}/close", fields)

    assert response.status_code == 400
    page = parse(response)
    assert error_links(page) == ["#reason"]
    assert words in text_of(by_id(page, "main-content"))
    assert (await stored(app, case_id)).is_open


async def test_the_close_form_asks_for_the_destination_country_of_a_move_abroad(
    app: FastAPI, people: dict[str, Person], lead: Browser
) -> None:
    case_id = await stored_case(app, people["lead"].user_id)

    response = await lead.submit(f"/cases/{case_id}/close", {"reason": "moved_abroad"})

    assert response.status_code == 400
    assert error_links(parse(response)) == ["#destination_country"]
    closed = await lead.submit(f"/cases/{case_id}/close", {"reason": "moved_abroad", "destination_country": "Spain"})
    assert closed.status_code == 303
    case = await stored(app, case_id)
    assert case.status is Status.CLOSED
    assert case.outcome is not None and case.outcome.details.destination_country == "Spain"


@pytest.mark.parametrize("refusal", list(REFUSALS))
async def test_the_json_api_refuses_with_the_rule_that_failed_and_audits_it(
    app: FastAPI, people: dict[str, Person], api: httpx.AsyncClient, refusal: str
) -> None:
    make, fields, words = REFUSALS[refusal]
    case_id = await stored_case(app, people["lead"].user_id, **make)
    body = {key: value for key, value in fields.items() if key != "details"}
    if "details" in fields:
        body["details"] = fields["details"]

    response = await api.post(f"/api/v1/cases/{case_id}/close", json=body)

    assert response.status_code == 422, response.text
    assert words in response.json()["detail"]
    assert f"case {case_id}" not in response.json()["detail"]
    assert (await stored(app, case_id)).is_open
    assert await audit_actions(app, CLOSER_ID, case_id) == ["case.close_refused"]


async def test_the_json_api_refuses_a_move_abroad_without_a_country_and_closes_with_one(
    app: FastAPI, people: dict[str, Person], api: httpx.AsyncClient
) -> None:
    case_id = await stored_case(app, people["lead"].user_id)

    refused = await api.post(f"/api/v1/cases/{case_id}/close", json={"reason": "moved_abroad"})
    closed = await api.post(f"/api/v1/cases/{case_id}/close",
                            json={"reason": "moved_abroad", "destination_country": "Poland"})

    assert refused.status_code == 422
    assert "a move abroad needs the destination country" in refused.json()["detail"]
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert await audit_actions(app, CLOSER_ID, case_id) == ["case.close_refused", "case.closed"]


async def test_a_child_past_school_age_is_prompted_and_closes_with_its_own_reason(
    app: FastAPI, people: dict[str, Person], lead: Browser, api: httpx.AsyncClient
) -> None:
    case_id = await stored_case(app, people["lead"].user_id, stage="high_risk", born=date(2008, 1, 10))

    _, page = await lead.get(f"/cases/{case_id}")
    prompt = by_id(page, "closure-prompt")
    assert prompt.attrib["href"] == f"/cases/{case_id}/close?reason=past_compulsory_school_age"
    response = await api.post(f"/api/v1/cases/{case_id}/close", json={"reason": "past_compulsory_school_age"})

    assert response.status_code == 200, response.text
    case = await stored(app, case_id)
    assert case.outcome is not None and case.outcome.reason is ClosureReason.PAST_COMPULSORY_SCHOOL_AGE


def signed_off(case_id: str, child_id: str, band: RiskBand, decision: ClosureDecision, **extra: Any) -> ReviewSignedOff:
    return ReviewSignedOff(
        review_id=uuid4(), case_id=UUID(case_id), child_id=UUID(child_id), signed_off_at=datetime.now(UTC),
        risk_band=band, cme_score=5, safeguarding_score=5 if band is RiskBand.HI else 1, decision=decision,
        senior_officer_id=SENIOR, senior_officer_name="Invented Senior", senior_officer_role="Assistant Director",
        comments="Signed at the meeting", **extra,
    )


async def deliver(app: FastAPI, event: ReviewSignedOff) -> None:
    attributes = new_attributes(event, source="/review", subject=str(event.case_id))
    async with sessions_of(app).begin() as session:
        await service_of(app).on_review_event(session, attributes, event)


async def timeline_of(app: FastAPI, case_id: str) -> list[str]:
    async with sessions_of(app)() as session:
        rows = await session.execute(
            select(timeline.c.summary).where(timeline.c.case_id == UUID(case_id)).order_by(timeline.c.at))
    return list(rows.scalars())


async def test_a_signed_off_close_for_a_high_risk_case_is_refused_on_the_timeline(
    app: FastAPI, people: dict[str, Person]
) -> None:
    case_id = await stored_case(app, people["lead"].user_id, stage="escalated")
    case = await stored(app, case_id)
    # A HI band with "close" can only come from a faulty or forged message: the case rules refuse it.
    await deliver(app, signed_off(case_id, case.child_id, RiskBand.HI, ClosureDecision.CLOSE))

    after = await stored(app, case_id)
    assert after.is_open and after.missing_mondays_pending
    assert any("Missing Mondays decision not applied: a high-risk (HI) case must not be closed" in summary
               for summary in await timeline_of(app, case_id))


async def test_a_signed_off_close_closes_the_case_with_the_review_reason_and_publishes_it(
    app: FastAPI, people: dict[str, Person]
) -> None:
    case_id = await stored_case(app, people["lead"].user_id, stage="escalated")
    case = await stored(app, case_id)

    await deliver(app, signed_off(case_id, case.child_id, RiskBand.LO, ClosureDecision.CLOSE))

    after = await stored(app, case_id)
    assert after.status is Status.CLOSED and not after.missing_mondays_pending
    assert after.outcome is not None
    assert after.outcome.reason is ClosureReason.WHEREABOUTS_UNKNOWN_CLOSED_AFTER_REVIEW
    assert [record.signed_off_role for record in after.review_history] == ["Assistant Director"]
    async with sessions_of(app)() as session:
        types = list((await session.execute(
            select(outbox.c.type).where(outbox.c.aggregateid == case.child_id).order_by(outbox.c.seq))).scalars())
    assert types[-2:] == ["cme.case.updated.v1", "cme.case.closed.v1"]


async def test_a_signed_off_remain_open_keeps_the_case_in_the_lists_under_the_lead_officer(
    app: FastAPI, people: dict[str, Person], lead: Browser
) -> None:
    case_id = await stored_case(app, people["officer"].user_id, stage="escalated")
    case = await stored(app, case_id)
    next_review = date.today() + timedelta(days=365)

    await deliver(app, signed_off(case_id, case.child_id, RiskBand.HI, ClosureDecision.REMAIN_OPEN,
                                  next_review_date=next_review, lead_officer_id=people["lead"].user_id))

    after = await stored(app, case_id)
    assert after.is_open and not after.missing_mondays_pending
    assert after.lead_officer_oversight == people["lead"].user_id == after.officer_id
    assert working_due_date(after) == next_review
    _, page = await lead.get(f"/cases/{case_id}")
    reviews = text_of(by_id(page, "reviews"))
    assert "HI" in reviews and "Keep open" in reviews and "Assistant Director" in reviews


async def test_joint_enquiries_recorded_on_the_form_let_the_case_reach_the_meeting(
    app: FastAPI, people: dict[str, Person], lead: Browser
) -> None:
    case_id = await stored_case(app, people["lead"].user_id, flags=CaseFlags(joint_enquiries_required=True),
                                stage="allocated")
    _, escalate_page = await lead.get(f"/cases/{case_id}/escalate")
    assert "Still to record: school and local authority" in text_of(by_id(escalate_page, "missing-mondays-problems"))
    assert by_id(escalate_page, "record-joint-enquiry-link").attrib["href"] == f"/cases/{case_id}/record-joint-enquiry"

    empty = await lead.submit(f"/cases/{case_id}/record-joint-enquiry", {})
    assert empty.status_code == 400
    assert error_links(parse(empty)) == ["#party", "#on-day", "#who", "#action", "#outcome"]
    today = date.today()
    for party in ("school", "local_authority"):
        response = await lead.submit(f"/cases/{case_id}/record-joint-enquiry", {
            "party": party, "on-day": str(today.day), "on-month": str(today.month), "on-year": str(today.year),
            "who": f"Invented {party} officer", "action": "Visited and phoned every contact", "outcome": "Not found",
        })
        assert response.headers["location"] == f"/cases/{case_id}?success=joint_enquiry_recorded"

    case = await stored(app, case_id)
    assert {enquiry.party.value for enquiry in case.joint_enquiries} == {"school", "local_authority"}
    assert all(enquiry.recorded_by == people["lead"].user_id for enquiry in case.joint_enquiries)
    _, escalate_page = await lead.get(f"/cases/{case_id}/escalate")
    assert "joint school and local authority enquiries" not in text_of(by_id(escalate_page, "main-content"))
    assert await audit_actions(app, people["lead"].user_id, case_id) == [
        "case.viewed", "case.viewed", "case.viewed", "case.viewed", "case.joint_enquiry_recorded", "case.viewed",
        "case.joint_enquiry_recorded", "case.viewed"]


async def test_a_located_child_goes_back_to_a_cme_officer_and_then_closes_like_any_other(
    app: FastAPI, people: dict[str, Person], lead: Browser
) -> None:
    case_id = await stored_case(app, people["lead"].user_id, stage="high_risk")

    missing_officer = await lead.submit(f"/cases/{case_id}/record-child-located", {"note": "Found on GIAP"})
    assert missing_officer.status_code == 400
    response = await lead.submit(f"/cases/{case_id}/record-child-located",
                                 {"note": "Found on GIAP", "officer": people["officer"].user_id})
    assert response.headers["location"] == f"/cases/{case_id}?success=child_located"
    closed = await lead.submit(f"/cases/{case_id}/close",
                               {"reason": "registered_into_provision", "school_id": "8852001"})

    assert closed.status_code == 303
    case = await stored(app, case_id)
    assert case.status is Status.CLOSED and not case.flags.whereabouts_unknown
    summaries = await timeline_of(app, case_id)
    assert any(f"Child located: whereabouts known; re-assigned to officer {people['officer'].user_id}" in summary
               for summary in summaries)
    assert "case.child_located" in await audit_actions(app, people["lead"].user_id, case_id)




async def test_a_signed_off_close_for_a_child_located_meanwhile_is_refused_on_the_timeline(
    app: FastAPI, people: dict[str, Person], lead: Browser
) -> None:
    case_id = await stored_case(app, people["lead"].user_id, stage="escalated")
    located = await lead.submit(f"/cases/{case_id}/record-child-located", {"note": "Seen at a new school"})
    assert located.status_code == 303
    case = await stored(app, case_id)

    await deliver(app, signed_off(case_id, case.child_id, RiskBand.LO, ClosureDecision.CLOSE))

    after = await stored(app, case_id)
    assert after.is_open and after.outcome is None
    assert any("Missing Mondays decision not applied" in summary and "located" in summary
               for summary in await timeline_of(app, case_id))


async def test_a_signed_off_close_for_a_case_never_escalated_is_refused_on_the_timeline(
    app: FastAPI, people: dict[str, Person]
) -> None:
    case_id = await stored_case(app, people["lead"].user_id, flags=CaseFlags(whereabouts_unknown=True))
    case = await stored(app, case_id)

    await deliver(app, signed_off(case_id, case.child_id, RiskBand.MED, ClosureDecision.CLOSE))

    assert (await stored(app, case_id)).is_open
    assert any("has not been escalated to Missing Mondays" in summary for summary in await timeline_of(app, case_id))


async def test_the_chair_adds_a_case_with_checks_outstanding_to_the_agenda_with_a_reason(
    app: FastAPI, people: dict[str, Person], lead: Browser
) -> None:
    case_id = await stored_case(app, people["lead"].user_id, stage="allocated")
    _, case_page = await lead.get(f"/cases/{case_id}")
    link = by_id(case_page, "action-add-to-missing-mondays-agenda")
    assert link.attrib["href"] == f"/cases/{case_id}/add-to-missing-mondays-agenda"

    empty = await lead.submit(f"/cases/{case_id}/add-to-missing-mondays-agenda", {})
    assert empty.status_code == 400
    assert error_links(parse(empty)) == ["#reason"]
    added = await lead.submit(f"/cases/{case_id}/add-to-missing-mondays-agenda",
                              {"reason": "Police report a sighting; the family is not engaging"})
    assert added.headers["location"] == f"/cases/{case_id}?success=added_to_agenda"

    case = await stored(app, case_id)
    assert case.missing_mondays_pending and case.flags.whereabouts_unknown
    async with sessions_of(app)() as session:
        payloads = list((await session.execute(
            select(outbox.c.payload).where(outbox.c.aggregateid == case.child_id,
                                           outbox.c.type == "cme.case.escalated.v1"))).scalars())
    [escalated] = payloads
    assert escalated["added_by_chair_reason"] == "Police report a sighting; the family is not engaging"
    assert escalated["kind"] == "missing_mondays" and escalated["cme_score"] is None
    assert "case.added_to_missing_mondays_agenda" in await audit_actions(app, people["lead"].user_id, case_id)


async def test_only_the_chair_may_add_a_case_to_the_agenda(
    app: FastAPI, people: dict[str, Person]
) -> None:
    case_id = await stored_case(app, people["officer"].user_id, stage="allocated")
    officer = await Browser.signed_in(app, people["officer"])
    try:
        _, case_page = await officer.get(f"/cases/{case_id}")
        assert case_page.find(".//*[@id='action-add-to-missing-mondays-agenda']") is None
        form_page, _ = await officer.get(f"/cases/{case_id}/add-to-missing-mondays-agenda")
        assert form_page.status_code == 403
        # The post carries a real CSRF token and case version (from a form the officer may open): only the role
        # stops it.
        refused = await officer.submit(f"/cases/{case_id}/add-to-missing-mondays-agenda", {"reason": "Not mine"},
                                       form_path=f"/cases/{case_id}/add-note")
        assert refused.status_code == 403
    finally:
        await officer.client.aclose()
    assert not (await stored(app, case_id)).missing_mondays_pending
