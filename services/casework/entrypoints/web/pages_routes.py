"""The officers' case pages, added to the UI's guarded router: dashboard, case list, case page, action forms."""

from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.casework.adapters.audit import AuditLog
from services.casework.entrypoints.web.pages_actions import add_action_forms
from services.casework.entrypoints.web.pages_case_forms import add_case_form_pages
from services.casework.entrypoints.web.pages_cases import add_case_list_and_page
from services.casework.entrypoints.web.pages_common import CasePages, register_template_helpers
from services.casework.entrypoints.web.pages_dashboard import add_dashboard
from services.casework.entrypoints.web.security import GuardedRouter
from services.casework.service_layer.case_records import CaseRecordsService
from services.casework.service_layer.officer_actions import OfficerActions


def add_case_pages(
    router: GuardedRouter,
    templates: Jinja2Templates,
    session_factory: async_sessionmaker[AsyncSession],
    *,
    officer_actions: OfficerActions,
    audit: AuditLog,
    case_records: CaseRecordsService | None = None,
) -> None:
    register_template_helpers(templates)
    pages = CasePages(templates, session_factory, officer_actions, audit, case_records)
    add_dashboard(router, pages)
    add_case_list_and_page(router, pages)
    add_action_forms(router, pages)
    add_case_form_pages(router, pages)
