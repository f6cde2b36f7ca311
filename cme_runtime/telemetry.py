"""OpenTelemetry tracing, configured by the standard OTEL_ environment variables.

OTEL_TRACES_EXPORTER=otlp (with OTEL_EXPORTER_OTLP_ENDPOINT) sends spans to a collector, `console` prints
them, and `none` (the default when no endpoint is set) keeps tracing in-process only.
"""

import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter


def _exporter_from_environment() -> SpanExporter | None:
    choice = os.environ.get("OTEL_TRACES_EXPORTER")
    if choice is None:
        choice = "otlp" if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") else "none"
    if choice == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

        return OTLPSpanExporter()
    if choice == "console":
        return ConsoleSpanExporter()
    return None


def create_tracer_provider(service: str) -> TracerProvider:
    resource = Resource.create(
        {"service.name": os.environ.get("OTEL_SERVICE_NAME", service), "service.namespace": "cme"}
    )
    provider = TracerProvider(resource=resource)
    exporter = _exporter_from_environment()
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def tracer(provider: TracerProvider | None, name: str) -> trace.Tracer:
    return (provider or trace.get_tracer_provider()).get_tracer(name)
