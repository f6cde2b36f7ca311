"""A spot-check of the officers' side: hostile values in every case action form's fields and in the casework
JSON API's query parameters, against the real PostgreSQL. Never a 5xx."""

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st

from services.casework.app import create_app
from services.casework.domain.access import Role
from services.casework.entrypoints.web.pages_common import CONTROL_CHARACTER_MESSAGE
from services.casework.settings import CaseworkSettings
from tests.fuzz.conftest import FUZZ
from tests.fuzz.strategies import HOSTILE_STRINGS
from tests.integration.test_casework_pages import (
    BASE_URL,
    Browser,
    add_person,
    error_links,
    make_case,
    parse,
    school_name,
    text_of,
)
from tests.support.infrastructure import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.fuzz]
API_TOKEN = f"fuzz-{uuid4().hex}"
# Each action form and the fields it reads (services/casework/entrypoints/web/pages_actions.py).
FORMS = {
    "allocate": ["officer"],
    "record-check": ["check", "status", "outcome", "note", "school_concern"],
    "record-contact": ["method", "result", "time", "note"],
    "add-note": ["note"],
    "escalate": ["kind", "cme_score", "safeguarding_score", "note"],
    "liaise-with-social-worker": ["note"],
    "record-joint-enquiry": ["party", "note"],
    "record-child-located": ["note", "officer"],
    "close": ["reason", "details", "school_id", "la_name", "la_code", "destination_country", "duplicate_reference"],
}


def _sendable(text: str) -> bool:
    """A browser sends form fields as UTF-8, which cannot carry a lone surrogate."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return len(text) < 20_000


FORM_VALUES = st.one_of(HOSTILE_STRINGS.filter(_sendable), st.just(""))


class Officers:
    def __init__(self, app: FastAPI, browser: Browser, case_id: str) -> None:
        self.app, self.browser, self.case_id = app, browser, case_id


@pytest.fixture(scope="module")
async def officers(migrated: Infrastructure) -> AsyncIterator[Officers]:
    lead_id = f"pages-fuzz-{uuid4().hex[:8]}"
    settings = CaseworkSettings(
        start_consumers=False,
        DATABASE_URL=migrated.database_url,
        KAFKA_BOOTSTRAP_SERVERS=migrated.kafka_bootstrap_servers,
        api_tokens={API_TOKEN: lead_id},
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        lead = await add_person(app, Role.LEAD_OFFICER)
        made = await make_case(app, school_name(), officer_id=lead.user_id)
        browser = await Browser.signed_in(app, lead)
        settings.api_tokens[API_TOKEN] = lead.user_id
        try:
            yield Officers(app, browser, made.case_id)
        finally:
            await browser.client.aclose()


@given(form=st.sampled_from(sorted(FORMS)), data=st.data())
@FUZZ
async def test_no_action_form_answers_hostile_fields_with_a_server_error(
    form: str, data: st.DataObject, officers: Officers
) -> None:
    fields = {name: data.draw(FORM_VALUES, label=name) for name in FORMS[form]}
    response = await officers.browser.submit(f"/cases/{officers.case_id}/{form}", fields)
    assert response.status_code < 500, f"{form} {fields!r:.300}: {response.status_code}"


@given(
    params=st.dictionaries(
        st.sampled_from(["status", "child_id", "page", "page_size", "sort"]),
        HOSTILE_STRINGS.filter(_sendable),
        max_size=3,
    )
)
@FUZZ
async def test_the_case_api_answers_hostile_query_parameters_without_a_server_error(
    params: dict[str, Any], officers: Officers
) -> None:
    transport = httpx.ASGITransport(officers.app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        response = await client.get("/api/v1/cases", params=params, headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert response.status_code < 500, f"{params!r:.300}: {response.status_code}"


async def test_a_nul_in_a_note_is_named_on_the_form_and_nothing_is_recorded(officers: Officers) -> None:
    response = await officers.browser.submit(f"/cases/{officers.case_id}/add-note", {"note": "Called\x00 school"})
    page = await officers.browser.client.get(f"/cases/{officers.case_id}")

    assert response.status_code == 400
    form = parse(response)
    assert error_links(form) == ["#note"]
    assert CONTROL_CHARACTER_MESSAGE in text_of(form)
    assert "Called" not in page.text


@given(field=st.sampled_from(sorted({name for names in FORMS.values() for name in names})),
       control=st.sampled_from(["\x00", "\x07", "\x1b", "\x7f"]))
@FUZZ
async def test_a_control_character_in_any_answer_is_named_on_its_field(
    field: str, control: str, officers: Officers
) -> None:
    # A form with this field that the lead officer may use (allocating, for one, is the team lead's).
    for form in (name for name, names in sorted(FORMS.items()) if field in names):
        page, _ = await officers.browser.get(f"/cases/{officers.case_id}/{form}")
        if page.status_code == 200:
            break
    response = await officers.browser.submit(f"/cases/{officers.case_id}/{form}", {field: f"text{control}more"})

    assert response.status_code == 400
    assert CONTROL_CHARACTER_MESSAGE in text_of(parse(response))
