"""The casework service's composition root: cases, enquiries, allocation, and the officers' UI.

`build` makes every repository, store, clock and use-case object once and hands them down; the HTTP API, the
officers' pages, the Kafka subscriptions and the admin commands all receive what it built. Nothing connects
until the app starts.
"""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from faststream import FastStream
from opentelemetry.sdk.trace import TracerProvider

from cme_runtime.clock import Clock, utc_now
from cme_runtime.db import Transaction
from cme_runtime.service import ServiceRuntime
from contracts.events.case_v1 import CaseClosed, CaseEscalated, CaseOpened, CaseReferredToAuthority, CaseUpdated
from services.casework.adapters.accounts import Accounts
from services.casework.adapters.audit import AuditLog
from services.casework.adapters.case_records import SqlCaseRecords
from services.casework.adapters.documents_client import HttpIntakeDocuments
from services.casework.adapters.exchange_messages import SqlMessageLog
from services.casework.adapters.intake_client import HttpIntakeReferrals
from services.casework.adapters.merges import SqlMergeStore
from services.casework.adapters.notify_client import HttpExchangeTraffic
from services.casework.adapters.reporting_client import HttpReports
from services.casework.adapters.repository import CaseRepository
from services.casework.adapters.returns import SqlCaseReturns
from services.casework.adapters.review_client import HttpReviewMeetings
from services.casework.adapters.tables import metadata
from services.casework.adapters.tasks import SqlTaskRepository, SqlTaskSources
from services.casework.domain.access import Role
from services.casework.entrypoints import kafka
from services.casework.entrypoints.api import add_api_routes
from services.casework.entrypoints.api_actions import add_api_action_routes
from services.casework.entrypoints.web.oidc import OidcConfig
from services.casework.entrypoints.web.pages_authority_contact import add_authority_contact_pages
from services.casework.entrypoints.web.pages_common import CasePages
from services.casework.entrypoints.web.pages_documents import add_document_pages
from services.casework.entrypoints.web.pages_match_review import add_match_review_pages
from services.casework.entrypoints.web.pages_meeting import add_meeting_pages
from services.casework.entrypoints.web.pages_referral_form import add_referral_form_pages
from services.casework.entrypoints.web.pages_reports import add_report_pages
from services.casework.entrypoints.web.pages_tasks import add_task_pages
from services.casework.entrypoints.web.security import GuardedRouter, SessionSettings
from services.casework.entrypoints.web.ui import mount_ui
from services.casework.service_layer.authority_contact import AuthorityContacts
from services.casework.service_layer.case_records import CaseRecordsService
from services.casework.service_layer.cases import CaseworkService
from services.casework.service_layer.exchange import ExchangeMessages
from services.casework.service_layer.merges import CaseMerges
from services.casework.service_layer.officer_actions import OfficerActions
from services.casework.service_layer.returns import ReturnsService
from services.casework.service_layer.tasks import TaskDiary, TaskService
from services.casework.settings import CaseworkSettings

TITLE = "CME casework"
DESCRIPTION = "Holds one living case per child missing education, and the officers' UI."
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLISHES = (CaseOpened, CaseUpdated, CaseEscalated, CaseClosed, CaseReferredToAuthority)


@dataclass(frozen=True)
class Components:
    settings: CaseworkSettings
    runtime: ServiceRuntime
    clock: Clock
    repository: CaseRepository
    accounts: Accounts
    audit: AuditLog
    service: CaseworkService
    officer_actions: OfficerActions
    tasks: TaskService
    case_records: CaseRecordsService
    authority_contacts: AuthorityContacts


def build(
    settings: CaseworkSettings, tracer_provider: TracerProvider | None = None, clock: Clock = utc_now
) -> Components:
    runtime = ServiceRuntime(settings, metadata, tracer_provider, publishes=PUBLISHES)
    repository = CaseRepository()
    accounts, audit = Accounts(), AuditLog()
    tasks = TaskService(SqlTaskRepository(), SqlTaskSources(repository), clock)
    records, case_returns = SqlCaseRecords(), SqlCaseReturns()
    # Messages notify reports on, for the case page, and the cross-LA exchange's tasks (issue 9).
    messages = SqlMessageLog()

    async def lead_officers(session: Transaction) -> list[str]:
        return [user.user_id for user in await accounts.all_users(session) if Role.LEAD_OFFICER in user.roles]

    exchange = ExchangeMessages(messages, tasks.tasks, tasks.sources, lead_officers, clock)
    service = CaseworkService(runtime.outbox, repository, clock, tasks=tasks, records=records, returns=case_returns,
                              exchange=exchange)
    officer_actions = OfficerActions(service, accounts, audit, clock, tasks=tasks)
    # Triage decisions reach casework through the case records too: they keep the siblings and FFD prompt.
    case_records = CaseRecordsService(officer_actions, records, clock)
    # ... and keep the return behind each decision on the case (issue 8), after the case was opened or updated.
    returns = ReturnsService(case_returns, repository, case_records.on_triage_decided)
    merges = CaseMerges(runtime.outbox, repository, SqlMergeStore(), returns.on_triage_decided, clock)
    kafka.subscribe(runtime.consumers, service, merges)
    authority_contacts = AuthorityContacts(officer_actions, messages, home_la_code=settings.home_la_code,
                                           records=records, returns=case_returns, clock=clock)
    return Components(settings, runtime, clock, repository, accounts, audit, service, officer_actions, tasks,
                      case_records, authority_contacts)


def create_app(settings: CaseworkSettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    settings = settings or CaseworkSettings()
    components = build(settings, tracer_provider)
    app = components.runtime.http_app(TITLE, DESCRIPTION)
    add_api_routes(app, components.runtime.session_factory, settings.api_tokens, components.accounts,
                   components.audit)
    add_api_action_routes(app, session_factory=components.runtime.session_factory, tokens=settings.api_tokens,
                          accounts=components.accounts, audit=components.audit, actions=components.officer_actions)
    ui = mount_ui(
        app,
        components.runtime.session_factory,
        SessionSettings(
            cookie_secure=settings.session_cookie_secure,
            idle_timeout=timedelta(minutes=settings.session_idle_minutes),
            absolute_timeout=timedelta(hours=settings.session_absolute_hours),
        ),
        service_name=settings.service_title,
        authority_name=settings.authority_name,
        accounts=components.accounts,
        audit=components.audit,
        officer_actions=components.officer_actions,
        case_records=components.case_records,
        oidc=OidcConfig.from_settings(settings),
    )
    # The Missing Mondays pages: served here (one UI, one sign-in), their forms kept by review (docs/architecture.md).
    meeting_router = GuardedRouter(ui.sessions)
    token = settings.internal_api_token.get_secret_value() if settings.internal_api_token else None
    add_meeting_pages(meeting_router, ui, HttpReviewMeetings(settings.review_api_url, token))
    # Referrals officers enter, and identity match reviews: intake keeps them and applies its rules.
    intake = HttpIntakeReferrals(settings.intake_api_url, token)
    add_referral_form_pages(meeting_router, ui, intake)
    add_match_review_pages(meeting_router, ui, intake)
    app.include_router(meeting_router)
    # The task diary: My tasks, Team tasks, a task and its completion, "add a task" on a case.
    task_router = GuardedRouter(ui.sessions)
    diary = TaskDiary(components.tasks, components.accounts, components.audit)
    add_task_pages(task_router, ui, diary, components.officer_actions)
    app.include_router(task_router)
    # Documents sent with returns: listed on the case page, downloaded from intake's document store.
    document_router = GuardedRouter(ui.sessions)
    add_document_pages(document_router, ui, components.officer_actions,
                       HttpIntakeDocuments(settings.intake_api_url, token))
    app.include_router(document_router)
    # Reports: the weekly Missing Mondays pack, made by the reporting service (VIEW_REPORTS only).
    report_router = GuardedRouter(ui.sessions)
    add_report_pages(report_router, ui, HttpReports(settings.reporting_api_url, token))
    app.include_router(report_router)
    # The cross-LA exchange: "Tell or ask another authority" on a case, and the lead officer's Exchange page.
    exchange_router = GuardedRouter(ui.sessions)
    case_pages = CasePages(ui.templates, ui.session_factory, components.officer_actions, components.audit,
                           components.case_records)
    add_authority_contact_pages(exchange_router, case_pages, components.authority_contacts,
                                HttpExchangeTraffic(settings.notify_api_url, token))
    app.include_router(exchange_router)
    return app


def asyncapi_app() -> FastStream:
    return build(CaseworkSettings()).runtime.faststream_app(TITLE, DESCRIPTION)
