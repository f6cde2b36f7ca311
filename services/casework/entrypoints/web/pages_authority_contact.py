"""The officers' side of the cross-LA exchange (issue 9): "Tell or ask another authority" on a case, and the
Exchange page where the lead officer watches the exchange's traffic and refusals.

The form is an action form like the case's others (pages_actions: GET page and POST under the case, CSRF, post/
redirect/get to the case page with a banner, the form again with an error summary; the case view audited), for
CONTACT_OTHER_AUTHORITY; the use case (service_layer/authority_contact.py) holds who may send it on which case.

The Exchange page lists what notify's internal API answers (`adapters/notify_client.py`); notify down is a 503 page
saying the traffic cannot be shown now, never a 500. Rows hold ids, LA codes and statuses only; a row links to its
case when the user may see it. Each view is audited.
"""

from datetime import date
from typing import Any, Final
from uuid import UUID

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.adapters.accounts import User
from services.casework.adapters.notify_client import Direction, ExchangeMessage, ExchangeTraffic, ExchangeUnavailable
from services.casework.adapters.repository import reference_for
from services.casework.domain.access import Permission
from services.casework.domain.authority_contact import (
    KIND_LABELS,
    AuthorityContact,
    BelievedAddress,
    ContactKind,
    contact_problems,
)
from services.casework.domain.case import Case
from services.casework.domain.exchange_messages import purpose_words, status_words
from services.casework.entrypoints.web.pages_actions import ActionForm, Values, add_action_form
from services.casework.entrypoints.web.pages_common import CasePages, signed_in_user
from services.casework.entrypoints.web.security import GuardedRouter, requires
from services.casework.entrypoints.web.templating import render
from services.casework.service_layer.authority_contact import AuthorityContacts

VIEW_TRAFFIC: Final = requires(Permission.VIEW_EXCHANGE_TRAFFIC)
UNAVAILABLE: Final = "The exchange traffic cannot be shown now because the notify service is not answering. " \
                     "Try again in a few minutes"
KIND_HINTS: Final = {
    ContactKind.REFERRAL: "The child has moved to that authority's area: they take on the enquiries",
    ContactKind.ENQUIRY: "Ask whether the child is known to that authority",
}
STATUS_TAGS: Final = {
    "pending": "govuk-tag--grey",
    "sent": "govuk-tag--blue",
    "receipted": "govuk-tag--light-blue",
    "acknowledged": "govuk-tag--green",
    "answered": "govuk-tag--green",
    "delivered": "govuk-tag--green",
    "chased": "govuk-tag--yellow",
    "unacknowledged": "govuk-tag--orange",
    "refused": "govuk-tag--red",
    "failed": "govuk-tag--red",
    "permanent-failure": "govuk-tag--red",
    "technical-failure": "govuk-tag--red",
}
TYPE_WORDS: Final = {
    "cme.exchange.referral.v1": "CME referral",
    "cme.exchange.enquiry.v1": "Enquiry",
    "cme.exchange.answer.v1": "Answer to an enquiry",
    "cme.exchange.receipt.v1": "Receipt",
    "cme.exchange.acknowledgement.v1": "Acknowledgement",
}


def status_tag_class(status: str) -> str:
    return STATUS_TAGS.get(status, "govuk-tag--grey")


def type_words(kind: str) -> str:
    """An exchange message type in words (notify may send the CloudEvents type or the purpose)."""
    return TYPE_WORDS.get(kind) or purpose_words(kind)


# ---------------------------------------------------------------------- the form


def reader(home_la_code: str) -> Any:
    def read(values: Values, _: date) -> tuple[AuthorityContact | None, dict[str, str]]:
        address = BelievedAddress(values.get("address_line_1", ""), values.get("address_line_2", ""),
                                  values.get("town", ""), values.get("postcode", ""))
        kind, to_la, reason = values.get("kind", ""), values.get("to_la", ""), values.get("reason", "")
        problems = contact_problems(kind, to_la, reason, address, home_la_code)
        if problems:
            return None, problems
        return AuthorityContact(ContactKind(kind), to_la, reason, address), {}

    return read


def form_context(home_la_code: str) -> Any:
    async def context(_: AsyncSession, __: Case) -> dict[str, Any]:
        return {"home_la_code": home_la_code,
                "kinds": [(kind.value, KIND_LABELS[kind], KIND_HINTS[kind]) for kind in ContactKind]}

    return context


def add_authority_contact_pages(
    router: GuardedRouter, pages: CasePages, contacts: AuthorityContacts, traffic: ExchangeTraffic
) -> None:
    # The case page's Messages section tags each message's status with the same colours as this page.
    pages.templates.env.globals["message_tag_class"] = status_tag_class
    add_action_form(router, pages, ActionForm(
        path="authority-contact", template="cases/authority_contact.html",
        permission=Permission.CONTACT_OTHER_AUTHORITY, first_field="kind", read=reader(contacts.home_la_code),
        perform=contacts.contact, success=lambda _: "authority_contacted", context=form_context(contacts.home_la_code),
    ))
    add_exchange_page(router, pages, traffic)


# ---------------------------------------------------------------------- the Exchange page


def _filters(request: Request) -> tuple[Direction | None, bool]:
    direction = request.query_params.get("direction")
    chosen: Direction | None = "sent" if direction == "sent" else "received" if direction == "received" else None
    return chosen, request.query_params.get("outcome") == "refused"


def filter_links(direction: Direction | None, refused_only: bool) -> list[dict[str, Any]]:
    """The filters as plain GET links (no JavaScript): each says whether it is the one shown now."""
    links = []
    for value, text in ((None, "All messages"), ("sent", "Sent"), ("received", "Received")):
        for refused, suffix in ((False, ""), (True, ", refusals only")):
            params = [f"direction={value}"] if value else []
            params += ["outcome=refused"] if refused else []
            href = "/exchange" + ("?" + "&".join(params) if params else "")
            current = value == direction and refused == refused_only
            links.append({"href": href, "text": text + suffix, "current": current})
    return links


def add_exchange_page(router: GuardedRouter, pages: CasePages, traffic: ExchangeTraffic) -> None:
    @router.page("/exchange", access=VIEW_TRAFFIC)
    async def exchange_page(request: Request) -> Response:
        user = signed_in_user(request)
        direction, refused_only = _filters(request)
        shown = {"direction": direction or "all", "refused_only": str(refused_only).lower()}
        try:
            messages = await traffic.traffic(direction=direction, refused_only=refused_only)
        except ExchangeUnavailable:
            async with pages.session_factory.begin() as session:
                await pages.audit.record(session, actor_id=user.user_id, action="exchange.traffic_unavailable",
                                         record_type="exchange", record_id="traffic", details=shown)
            return render(pages.templates, request, "exchange/traffic.html", status_code=503, active_nav="exchange",
                          rows=[], filters=filter_links(direction, refused_only),
                          errors={"traffic": UNAVAILABLE}, unavailable=True)
        async with pages.session_factory.begin() as session:
            visible = await _visible_cases(session, pages, user, messages)
            await pages.audit.record(session, actor_id=user.user_id, action="exchange.traffic_viewed",
                                     record_type="exchange", record_id="traffic",
                                     details={**shown, "messages": len(messages)})
        return render(pages.templates, request, "exchange/traffic.html", active_nav="exchange",
                      rows=[_row(message, visible) for message in messages],
                      filters=filter_links(direction, refused_only), unavailable=False)


async def _visible_cases(
    session: AsyncSession, pages: CasePages, user: User, messages: list[ExchangeMessage]
) -> set[str]:
    """The case ids among the messages this user may open (a link is offered only for those)."""
    visible: set[str] = set()
    for case_id in dict.fromkeys(message.case_id for message in messages if message.case_id):
        case = await pages.actions.repository.get(session, case_id) if _is_uuid(case_id) else None
        if case is not None and await pages.actions.may_view(session, user, case):
            visible.add(case_id)
    return visible


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _row(message: ExchangeMessage, visible: set[str]) -> dict[str, Any]:
    return {
        "message": message,
        "direction": "Sent to" if message.direction == "sent" else "Received from",
        "type": type_words(message.type),
        "status": status_words(message.status),
        "status_class": status_tag_class(message.status),
        "case_link": f"/cases/{message.case_id}" if message.case_id in visible else None,
        "case_reference": reference_for(message.case_id) if message.case_id and _is_uuid(message.case_id) else None,
    }
