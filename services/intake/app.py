"""The intake service's composition root: takes submissions from schools and partners, over HTTP and Kafka.

Builds everything once; nothing connects until the app starts.
"""

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from faststream import FastStream
from opentelemetry.sdk.trace import TracerProvider

from cme_runtime.service import ServiceRuntime
from contracts.events.identity_v1 import ChildrenMerged, ChildrenMergeUndone
from contracts.events.intake_v1 import SubmissionRejected
from contracts.events.referral_v1 import ReferralReceived
from services.intake.adapters.documents import (
    DocumentStore,
    PostgresDocumentStore,
    S3DocumentStore,
    S3Location,
    SqlDocumentCatalogue,
)
from services.intake.adapters.officer_entries import SqlOfficerEntries
from services.intake.adapters.register import ChildRegister
from services.intake.adapters.submissions import SqlAlchemySubmissionStore
from services.intake.adapters.tables import metadata
from services.intake.domain.schools import load_establishments_csv
from services.intake.entrypoints import kafka
from services.intake.entrypoints.auth import API_KEY_HEADER, ApiKeys
from services.intake.entrypoints.documents_api import add_document_routes
from services.intake.entrypoints.http import add_routes
from services.intake.entrypoints.internal_api import add_internal_api
from services.intake.service_layer.documents import DocumentService
from services.intake.service_layer.enquiries import EnquiryAnswers
from services.intake.service_layer.officer_referrals import OfficerReferrals
from services.intake.service_layer.submission_rules import SubmissionRules
from services.intake.service_layer.submissions import IntakeService
from services.intake.settings import IntakeSettings

TITLE = "CME intake"
DESCRIPTION = (
    "Receives school returns, partner referrals and Common Transfer Files, validates them, resolves the child "
    "and publishes normalised referrals (or rejections with every problem listed)."
)
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLISHES = (ReferralReceived, SubmissionRejected, ChildrenMerged, ChildrenMergeUndone)


@dataclass(frozen=True)
class Components:
    runtime: ServiceRuntime
    service: IntakeService
    # The internal identity endpoints (match reviews, merges) work on the register directly.
    register: ChildRegister
    documents: DocumentService | None = None


def build(settings: IntakeSettings, tracer_provider: TracerProvider | None = None) -> Components:
    runtime = ServiceRuntime(settings, metadata, tracer_provider, publishes=PUBLISHES)
    schools = load_establishments_csv(settings.establishments_csv, settings.home_la_code)
    rules = SubmissionRules(schools, settings.home_la_code, settings.max_leaving_days_ahead)
    register = ChildRegister(runtime.outbox)
    submissions = SqlAlchemySubmissionStore()
    documents = DocumentService(
        SqlDocumentCatalogue(), document_store(settings), submissions, settings.document_max_bytes
    )
    service = IntakeService(
        runtime.outbox, register, submissions, rules, settings.ctf_max_bytes, documents=documents
    )
    kafka.subscribe(runtime.consumers, service)
    return Components(runtime, service, register, documents)


def document_store(settings: IntakeSettings) -> DocumentStore:
    """Where documents' bytes go: intake's PostgreSQL schema unless settings name an S3-compatible bucket."""
    if settings.document_store == "s3":
        secret = settings.document_s3_secret_access_key
        return S3DocumentStore(
            S3Location(
                bucket=settings.document_s3_bucket,
                endpoint_url=settings.document_s3_endpoint_url,
                region=settings.document_s3_region,
                access_key_id=settings.document_s3_access_key_id,
                secret_access_key=secret.get_secret_value() if secret else None,
            )
        )
    return PostgresDocumentStore()


def _authentication(settings: IntakeSettings) -> str:
    if not settings.intake_api_keys:
        return (
            "\n\n**Authentication: none.** This instance runs without CME_INTAKE_API_KEYS, so the submission API is "
            "open to anyone who can reach it. That is for development only: configure a key per upstream system "
            f"before real data arrives. The internal identity endpoints need a key from CME_INTAKE_ADMIN_KEYS in "
            f"the {API_KEY_HEADER} header"
            + (" (none is configured, so they are switched off)." if not settings.intake_admin_keys else ".")
        )
    return (
        f"\n\n**Authentication:** send your system's API key in the {API_KEY_HEADER} header. The internal identity "
        "endpoints take a key from CME_INTAKE_ADMIN_KEYS instead."
    )


def create_app(settings: IntakeSettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    components = build(settings, tracer_provider)
    runtime, service = components.runtime, components.service
    app = runtime.http_app(TITLE, DESCRIPTION + _authentication(settings))
    submitter_keys = ApiKeys(
        settings.intake_api_keys,
        open_when_empty=True,
        scheme_name="SubmitterKey",
        description="One key per upstream system (CME_INTAKE_API_KEYS). Not needed while none is configured.",
    )
    admin_keys = ApiKeys(
        settings.intake_admin_keys,
        open_when_empty=False,
        scheme_name="InternalKey",
        description="A key for the internal identity endpoints (CME_INTAKE_ADMIN_KEYS).",
    )
    add_routes(app, runtime, service, components.register, submitter_keys=submitter_keys, admin_keys=admin_keys)
    if components.documents is not None:
        add_document_routes(app, runtime, service, components.documents, submitter_keys=submitter_keys,
                            token=settings.internal_api_token)
    add_internal_api(app, runtime, OfficerReferrals(service, SqlOfficerEntries(), components.register),
                     settings.internal_api_token,
                     EnquiryAnswers(components.register, SqlAlchemySubmissionStore()))
    return app


def asyncapi_app() -> FastStream:
    return build(IntakeSettings()).runtime.faststream_app(TITLE, DESCRIPTION)
