"""What the case page shows of the forms in pages_case_forms and the records beside the case: the links in its
actions list, and the banners those forms lead to. Apart from the forms' module so the case page can import it
without importing the action forms (which import the case page's module)."""

from typing import Final

from services.casework.domain.access import Actor, Permission, can_change_priority
from services.casework.domain.authority_contact import may_contact_other_authority
from services.casework.domain.case import Case
from services.casework.domain.vocabulary import Status
from services.casework.service_layer.case_records import CaseRecordsView

SUCCESS_MESSAGES: Final = {
    "reopened": "Case reopened",
    "priority_changed": "Priority changed",
    "transfer_acknowledged": "Transfer acknowledged. The case is closed",
    "outcome_withdrawn": "Outcome withdrawn. The case is open again",
    "sibling_linked": "Sibling's case linked",
    "address_recorded": "Address or contact details recorded",
    "ffd_acknowledged": "Family Front Door prompt acknowledged",
    "authority_contacted": "Sent to the other authority. It shows under Messages as pending until they receive it",
}


def case_form_links(case: Case, actor: Actor, records: CaseRecordsView | None) -> list[tuple[str, str, str]]:
    """(key, text, href) of the links to these forms this user may follow on this case in its current status (the
    domain has the final word)."""
    base = f"/cases/{case.case_id}"
    links: list[tuple[str, str, str]] = []
    if case.status is Status.CLOSED and actor.may(Permission.CLOSE_CASE):
        links.append(("reopen", "Reopen the case", f"{base}/reopen"))
    if case.is_open and can_change_priority(actor, case.officer_id):
        links.append(("change-priority", "Change the priority", f"{base}/change-priority"))
    if case.awaiting_transfer_acknowledgement and actor.may(Permission.CLOSE_CASE):
        links.append(("acknowledge-transfer", "Acknowledge the transfer", f"{base}/acknowledge-transfer"))
    if case.status is Status.OUTCOME_RECORDED and actor.may(Permission.CLOSE_CASE):
        links.append(("withdraw-outcome", "Withdraw the outcome", f"{base}/withdraw-outcome"))
    if case.is_open and may_contact_other_authority(actor, case.officer_id):
        links.append(("authority-contact", "Tell or ask another authority", f"{base}/authority-contact"))
    if records is None:
        return links
    if records.outstanding_ffd and actor.may(Permission.RECORD_CONTACT):
        links.append(("acknowledge-ffd", "Acknowledge the Family Front Door prompt", f"{base}/acknowledge-ffd"))
    if actor.may(Permission.RECORD_CHECK):
        links.append(("link-sibling", "Link a sibling's case", f"{base}/link-sibling"))
    if actor.may(Permission.RECORD_CONTACT):
        links.append(("record-address", "Record a new address or contact details", f"{base}/record-address"))
    return links
