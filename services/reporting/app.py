"""The reporting service's composition root: builds everything once; nothing connects until the app starts.

Reporting keeps a read model of the suite's events (never another service's tables) and makes the weekly
Missing Mondays pack from it. It publishes nothing.
"""

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from faststream import FastStream
from opentelemetry.sdk.trace import TracerProvider

from cme_runtime.clock import Clock, utc_now
from cme_runtime.service import ServiceRuntime
from contracts.base import Event
from services.reporting.adapters.read_model import SqlReadModel
from services.reporting.adapters.school_facts import SqlSchoolFacts
from services.reporting.adapters.tables import metadata
from services.reporting.entrypoints import kafka
from services.reporting.entrypoints.http import add_internal_api
from services.reporting.entrypoints.schools_http import add_schools_api
from services.reporting.service_layer.packs import PackService
from services.reporting.service_layer.projection import Projection
from services.reporting.service_layer.schools import SchoolsService
from services.reporting.settings import ReportingSettings

TITLE = "CME reporting"
DESCRIPTION = (
    "The reporting read model, built from the suite's event topics and rebuilt by replaying them, and the weekly "
    "Missing Mondays pack (HTML, PDF, CSV) made from it."
)
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLISHES: tuple[type[Event], ...] = ()


@dataclass(frozen=True)
class ReportingComponents:
    runtime: ServiceRuntime
    projection: Projection
    packs: PackService
    schools: SchoolsService


def build(
    settings: ReportingSettings, tracer_provider: TracerProvider | None = None, clock: Clock = utc_now
) -> ReportingComponents:
    runtime = ServiceRuntime(settings, metadata, tracer_provider, publishes=PUBLISHES)
    read_model = SqlReadModel()
    school_facts = SqlSchoolFacts()
    projection = Projection(read_model, consumer=settings.consumer_group, school_facts=school_facts)
    kafka.BatchConsumer(runtime, projection)
    return ReportingComponents(
        runtime, projection, PackService(read_model, clock), SchoolsService(school_facts, clock)
    )


def create_app(settings: ReportingSettings | None = None, tracer_provider: TracerProvider | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    components = build(settings, tracer_provider)
    app = components.runtime.http_app(TITLE, DESCRIPTION)
    add_internal_api(app, components.runtime.session_factory, components.packs, settings.internal_api_token)
    add_schools_api(
        app, components.runtime.session_factory, components.schools, settings.internal_api_token, settings.la_code
    )
    return app


def asyncapi_app() -> FastStream:
    return build(ReportingSettings()).runtime.faststream_app(TITLE, DESCRIPTION)
