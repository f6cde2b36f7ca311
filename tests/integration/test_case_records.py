"""The forms on a case (issue 8) in casework's app in-process on real PostgreSQL (consumers off): the address
history is kept (a new row each time, never overwritten), sibling links are symmetric and shown on both cases,
the Family Front Door prompt stays outstanding until acknowledged, and the closure-level forms refuse what the
domain refuses. Each test makes its own users (in a team of their own) and cases, and asserts only on those."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from contracts.envelope import CloudEventAttributes
from contracts.events.case_v1 import CaseEscalated
from contracts.events.common_v1 import Child
from contracts.events.referral_v1 import ReferralKind
from contracts.events.triage_v1 import Priority as TriagePriority
from contracts.events.triage_v1 import Track as TriageTrack
from contracts.events.triage_v1 import TriageDecided
from services.casework.adapters.case_records import SqlCaseRecords, addresses, sibling_links
from services.casework.adapters.repository import CaseRepository, reference_for
from services.casework.adapters.tables import audit_log, outbox, timeline
from services.casework.app import build
from services.casework.domain.access import Role
from services.casework.domain.vocabulary import EscalationKind, Priority, Status
from services.casework.entrypoints.web.templating import LONDON
from services.casework.tests.factories import case_with_full_checklist
from tests.integration.casework_security_support import (
    AppUser,
    add_case,
    add_user,
    assert_well_formed,
    casework_settings,
    client_for,
    csrf_in,
    running_app,
    session_factory,
    start_session,
)
from tests.support.infrastructure import Infrastructure

pytestmark = pytest.mark.integration

SESSION_COOKIE = "__Host-cme-session"


@pytest.fixture(scope="module")
async def app(migrated: Infrastructure) -> AsyncIterator[FastAPI]:
    async with running_app(casework_settings(migrated)) as running:
        yield running


async def signed_in(app: FastAPI, user: AppUser) -> httpx.AsyncClient:
    client = client_for(app)
    token, _ = await start_session(app, user)
    client.cookies.set(SESSION_COOKIE, token)
    return client


async def post_form(client: httpx.AsyncClient, case_id: str, form: str, data: dict[str, str]) -> httpx.Response:
    page = await client.get(f"/cases/{case_id}/{form}")
    assert page.status_code == 200, page.text
    assert_well_formed(page.text)
    return await client.post(f"/cases/{case_id}/{form}", data={"csrf_token": csrf_in(page.text), **data})


async def test_each_change_of_address_is_a_new_row_and_the_case_page_shows_the_history(app: FastAPI) -> None:
    officer = await add_user(app, Role.CME_OFFICER, team_id=f"team-{uuid4().hex[:8]}")
    case_id = await add_case(app, officer.user_id)
    client = await signed_in(app, officer)

    first = await post_form(client, case_id, "record-address",
                            {"address_line_1": "1 Example Row", "town": "Worcester", "postcode": "wr1 2ab"})
    second = await post_form(client, case_id, "record-address", {"phone": "01905 765432"})
    third = await post_form(client, case_id, "record-address",
                            {"address_line_1": "2 New Lane", "postcode": "WR5 3CD", "moved_on-day": "1",
                             "moved_on-month": "2", "moved_on-year": "2026"})

    assert [r.status_code for r in (first, second, third)] == [303, 303, 303]
    async with session_factory(app).begin() as session:
        rows = (await session.execute(
            select(addresses.c.address_line_1, addresses.c.postcode, addresses.c.phone)
            .where(addresses.c.case_id == UUID(case_id)).order_by(addresses.c.record_id)
        )).all()
    assert [tuple(row) for row in rows] == [
        ("1 Example Row", "WR1 2AB", ""), ("", "", "01905 765432"), ("2 New Lane", "WR5 3CD", "")
    ], "every change kept, none overwritten"
    page = await client.get(f"/cases/{case_id}?success=address_recorded")
    assert_well_formed(page.text)
    assert "Address or contact details recorded" in page.text
    assert page.text.count("2 New Lane") == 1 and "1 Example Row, Worcester, WR1 2AB" in page.text
    assert page.text.index("2 New Lane") < page.text.index("1 Example Row"), "newest first"


async def test_an_address_form_with_problems_is_shown_again_with_them(app: FastAPI) -> None:
    officer = await add_user(app, Role.CME_OFFICER, team_id=f"team-{uuid4().hex[:8]}")
    case_id = await add_case(app, officer.user_id)
    client = await signed_in(app, officer)

    response = await post_form(client, case_id, "record-address", {"postcode": "nonsense"})

    assert response.status_code == 400
    assert_well_formed(response.text)
    assert "Enter the first line of the address" in response.text
    assert "Enter a real postcode, for example WR1 2AB" in response.text


async def test_a_sibling_link_is_symmetric_and_shown_on_both_cases(app: FastAPI) -> None:
    team = f"team-{uuid4().hex[:8]}"
    officer = await add_user(app, Role.CME_OFFICER, team_id=team)
    first, second = await add_case(app, officer.user_id), await add_case(app, officer.user_id)
    client = await signed_in(app, officer)

    linked = await post_form(client, first, "link-sibling", {"sibling_reference": reference_for(second).lower()})
    again = await post_form(client, second, "link-sibling", {"sibling_reference": reference_for(first)})

    assert linked.status_code == 303
    assert again.status_code == 400 and "already linked as siblings" in again.text
    async with session_factory(app).begin() as session:
        pairs = (await session.execute(
            select(func.count()).select_from(sibling_links).where(
                sibling_links.c.case_id.in_([UUID(first), UUID(second)])
            )
        )).scalar_one()
        audited = (await session.execute(
            select(audit_log.c.record_id).where(audit_log.c.action == "case.sibling_linked",
                                                audit_log.c.actor_id == officer.user_id)
        )).scalars().all()
    assert pairs == 1
    assert sorted(audited) == sorted([first, second])
    for this, other in ((first, second), (second, first)):
        page = await client.get(f"/cases/{this}")
        assert_well_formed(page.text)
        assert f'href="/cases/{other}">{reference_for(other)}</a>' in page.text


async def test_a_sibling_reference_that_names_no_case_or_the_same_case_is_refused(app: FastAPI) -> None:
    officer = await add_user(app, Role.CME_OFFICER, team_id=f"team-{uuid4().hex[:8]}")
    case_id = await add_case(app, officer.user_id)
    client = await signed_in(app, officer)

    unknown = await post_form(client, case_id, "link-sibling", {"sibling_reference": "CME-00000000"})
    itself = await post_form(client, case_id, "link-sibling", {"sibling_reference": reference_for(case_id)})

    assert unknown.status_code == 400 and "There is no case with that reference" in unknown.text
    assert itself.status_code == 400 and "A case cannot be linked to itself as a sibling" in itself.text


async def test_the_ffd_prompt_from_triage_is_outstanding_until_acknowledged(
    app: FastAPI, migrated: Infrastructure
) -> None:
    """A triage decision through casework's consumer handler opens the case, with the prompt and intake's
    suggested sibling kept beside it; a lead officer (all cases, records contacts) acknowledges the prompt."""
    officer = await add_user(app, Role.LEAD_OFFICER, team_id=f"team-{uuid4().hex[:8]}")
    components = build(casework_settings(migrated))
    child_id, sibling_child_id = uuid4(), uuid4()
    decision = TriageDecided(
        decision_id=uuid4(), referral_id=uuid4(), child_id=child_id, decided_at=datetime.now(UTC), is_cme=True,
        track=TriageTrack.CME_ENQUIRY, priority=TriagePriority.P2, refer_to_family_front_door=True,
        reasons=("Child in need and whereabouts unknown: refer to the Family Front Door",), rules_version="test",
        kind=ReferralKind.LEAVER, child=Child(given_name="Zephyrine", family_name="Quillfeather"),
        sibling_child_ids=(sibling_child_id,),
    )
    attributes = CloudEventAttributes(id=str(uuid4()), source="tests", type=TriageDecided.event_type,
                                      time=datetime.now(UTC))
    for _ in range(2):  # a redelivered decision adds nothing
        async with session_factory(app).begin() as session:
            await components.case_records.on_triage_decided(session, attributes, decision)
    async with session_factory(app).begin() as session:
        [case] = await CaseRepository().for_child(session, str(child_id))
        prompts = await SqlCaseRecords().ffd_prompts(session, case.case_id)
        suggested = await SqlCaseRecords().suggested_siblings(session, case.case_id)
    case_id = case.case_id
    assert [p.outstanding for p in prompts] == [True]
    assert [(s.child_id, s.case) for s in suggested] == [(str(sibling_child_id), None)]
    client = await signed_in(app, officer)

    before = await client.get(f"/cases/{case_id}")
    assert 'id="ffd-outstanding"' in before.text and "Child in need and whereabouts unknown" in before.text
    assert 'id="action-acknowledge-ffd"' in before.text
    referral_id = str(decision.referral_id)  # the form's hidden field
    assert f'name="referral_id" value="{referral_id}"' in (await client.get(f"/cases/{case_id}/acknowledge-ffd")).text
    missing = await post_form(client, case_id, "acknowledge-ffd", {"decision": "referred", "referral_id": referral_id})
    assert missing.status_code == 400 and "Enter the date of the referral" in missing.text
    today = datetime.now(LONDON).date()
    done = await post_form(client, case_id, "acknowledge-ffd", {
        "referral_id": referral_id, "decision": "referred", "reference": "FFD-2026-0042",
        "referred_on-day": str(today.day), "referred_on-month": str(today.month), "referred_on-year": str(today.year),
    })

    assert done.status_code == 303
    after = await client.get(f"/cases/{case_id}")
    assert 'id="ffd-outstanding"' not in after.text and "reference FFD-2026-0042" in after.text
    assert 'id="action-acknowledge-ffd"' not in after.text
    repeat = await client.post(f"/cases/{case_id}/acknowledge-ffd", data={
        "csrf_token": csrf_in(after.text), "referral_id": str(decision.referral_id), "decision": "not_needed",
        "why": "again",
    })
    assert repeat.status_code == 400 and "already been acknowledged" in repeat.text


async def test_reopening_an_open_case_and_withdrawing_no_outcome_are_refused_in_words(app: FastAPI) -> None:
    officer = await add_user(app, Role.CME_OFFICER, team_id=f"team-{uuid4().hex[:8]}")
    case_id = await add_case(app, officer.user_id)
    client = await signed_in(app, officer)

    reopen = await post_form(client, case_id, "reopen", {"reason": "New information"})
    withdraw = await post_form(client, case_id, "withdraw-outcome", {"explanation": "New concerns"})
    acknowledge = await post_form(client, case_id, "acknowledge-transfer", {"acknowledged": "yes"})

    assert reopen.status_code == 400 and "This case is not closed; attach the referral instead" in reopen.text
    assert withdraw.status_code == 400 and "This case has no recorded outcome to withdraw" in withdraw.text
    assert acknowledge.status_code == 400 and "This case is not awaiting an acknowledgement" in acknowledge.text


async def test_a_transfer_waits_then_is_acknowledged_or_its_outcome_withdrawn_then_reopened(app: FastAPI) -> None:
    officer = await add_user(app, Role.CME_OFFICER, team_id=f"team-{uuid4().hex[:8]}")
    first, second = await add_case(app, officer.user_id), await add_case(app, officer.user_id)
    client = await signed_in(app, officer)
    for case_id in (first, second):
        closing = await post_form(client, case_id, "close",
                                  {"reason": "moved_to_other_la", "la_code": "886", "acknowledged": "no"})
        assert closing.status_code == 303

    acknowledged = await post_form(client, first, "acknowledge-transfer", {"acknowledged": "yes"})
    withdrawn = await post_form(client, second, "withdraw-outcome", {"explanation": "Kent does not know the child"})
    reopened = await post_form(client, first, "reopen", {"reason": "The family came back"})

    assert [r.status_code for r in (acknowledged, withdrawn, reopened)] == [303, 303, 303]
    async with session_factory(app).begin() as session:
        repository = CaseRepository()
        cases = [await repository.get(session, case_id) for case_id in (first, second)]
        actions = (await session.execute(
            select(audit_log.c.action).where(audit_log.c.record_id.in_([first, second]))
        )).scalars().all()
        kinds = (await session.execute(
            select(timeline.c.kind).where(timeline.c.case_id == UUID(first))
        )).scalars().all()
    assert [case.status if case else None for case in cases] == [Status.ALLOCATED, Status.ALLOCATED]
    assert cases[0] is not None and cases[0].officer_id == officer.user_id and cases[0].reopen_count == 1
    assert {"case.transfer_acknowledged", "case.outcome_withdrawn", "case.reopened"} <= set(actions)
    assert {"case.closed", "case.reopened"} <= set(kinds)


async def test_the_team_lead_and_the_case_officer_change_priority_but_not_a_colleague(app: FastAPI) -> None:
    team = f"team-{uuid4().hex[:8]}"
    officer = await add_user(app, Role.CME_OFFICER, team_id=team)
    colleague = await add_user(app, Role.CME_OFFICER, team_id=team)
    lead = await add_user(app, Role.ENGAGEMENT_MANAGER, team_id=team)
    case_id = await add_case(app, officer.user_id)

    by_officer = await post_form(await signed_in(app, officer), case_id, "change-priority",
                                 {"priority": "P1", "reason": "Younger sibling also missing"})
    by_lead = await post_form(await signed_in(app, lead), case_id, "change-priority",
                              {"priority": "P3", "reason": "Located at a relative's, low risk"})
    colleague_client = await signed_in(app, colleague)
    page = await colleague_client.get(f"/cases/{case_id}/change-priority")
    by_colleague = await colleague_client.post(f"/cases/{case_id}/change-priority", data={
        "csrf_token": csrf_in(page.text), "priority": "P1", "reason": "I think so"})

    assert (by_officer.status_code, by_lead.status_code, by_colleague.status_code) == (303, 303, 403)
    async with session_factory(app).begin() as session:
        case = await CaseRepository().get(session, case_id)
        refused = (await session.execute(
            select(func.count()).select_from(audit_log).where(
                audit_log.c.actor_id == colleague.user_id, audit_log.c.action == "case.change_refused")
        )).scalar_one()
    assert case is not None and case.priority is Priority.P3
    assert refused == 1


async def test_the_missing_mondays_form_lists_the_linked_siblings_children(
    app: FastAPI, migrated: Infrastructure
) -> None:
    """Issue 12: the escalation carries every linked sibling's child for the review form, read from PostgreSQL."""
    lead = await add_user(app, Role.LEAD_OFFICER, team_id=f"team-{uuid4().hex[:8]}")
    case = case_with_full_checklist(str(uuid4()), child_id=str(uuid4()), referral_id=str(uuid4()))
    case.events.clear()
    async with session_factory(app).begin() as session:
        await CaseRepository().add(session, case)
    sibling_case_id = await add_case(app, None)
    linked = await post_form(await signed_in(app, lead), case.case_id, "link-sibling",
                             {"sibling_reference": reference_for(sibling_case_id)})
    assert linked.status_code == 303
    components = build(casework_settings(migrated))

    async with session_factory(app).begin() as session:
        stored = await CaseRepository().get(session, case.case_id)
        assert stored is not None
        version = stored.version
        stored.escalate(EscalationKind.MISSING_MONDAYS, lead.user_id, datetime.now(UTC), cme_score=5,
                        safeguarding_score=1)
        await components.service.commit_changes(session, stored, version)
    async with session_factory(app).begin() as session:
        payload = (await session.execute(
            select(outbox.c.payload).where(outbox.c.subject == case.case_id, outbox.c.type == CaseEscalated.event_type)
        )).scalar_one()

    children = CaseEscalated.model_validate(payload).children
    assert [(child.given_name, child.date_of_birth) for child in children] == [
        (case.child.given_name, case.child.date_of_birth), ("Zephyrine", date(2015, 5, 1))
    ]
    assert children[1].previous_school == "Example Primary"
