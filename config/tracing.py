"""Optional OpenTelemetry tracing (OTEL_ENABLED=1): a span per request, sent over OTLP/HTTP.

Off by default. The exporter reads OpenTelemetry's standard environment variables
(`OTEL_EXPORTER_OTLP_ENDPOINT`, default `http://localhost:4318`, `OTEL_EXPORTER_OTLP_HEADERS`,
...); `OTEL_SERVICE_NAME` names the service (default `patron`). Spans are exported in batches
from a background thread, so a slow or absent collector never delays a request. Log lines carry
the trace and span ids (config/logs.py), so a trace leads to its logs and back.
"""

import os

from django.conf import settings

DEFAULT_SERVICE_NAME = "patron"
# Span attributes that hold the request's query string, which integrators fill with e-mails
# and names (the request log leaves it out for the same reason).
QUERY_ATTRIBUTES = ("http.url", "http.target", "url.full")


def _span_without_query(span, request):
    """Cut the query string off the span's URL attributes (the instrumentation's request hook)."""
    if not span.is_recording():
        return
    for name in QUERY_ATTRIBUTES:
        value = span.attributes.get(name)
        if isinstance(value, str) and "?" in value:
            span.set_attribute(name, value.split("?", 1)[0])
    if "url.query" in span.attributes:
        span.set_attribute("url.query", "")


def tracing_configure(*, exporter=None):
    """Trace every request when OTEL_ENABLED is on; return the tracer provider, or None.

    Call it once per process before the WSGI or ASGI handler is built (config/wsgi.py,
    config/asgi.py): the instrumentation adds its middleware to settings.MIDDLEWARE. `exporter`
    replaces the OTLP exporter (tests pass an in-memory one).
    """
    if not settings.OTEL_ENABLED:
        return None
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    service_name = os.environ.get("OTEL_SERVICE_NAME", DEFAULT_SERVICE_NAME)
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    provider.add_span_processor(BatchSpanProcessor(exporter or OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument(tracer_provider=provider, request_hook=_span_without_query)
    return provider
