"""Optional OpenTelemetry tracing: off by default; on, a span per request, tied to its logs."""

import json
import subprocess
import sys

from django.conf import settings

from config.tracing import tracing_configure
from tests.config.test_settings import ROOT

# The real app in a fresh process with OTEL_ENABLED=1 (tracing patches Django for the whole
# process), its spans kept in memory instead of being sent to a collector.
PROBE = """
import io, json, logging
import django
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from config.tracing import tracing_configure
exporter = InMemorySpanExporter()
provider = tracing_configure(exporter=exporter)
django.setup()
from django.conf import settings
from django.test.utils import setup_test_environment
setup_test_environment()
stream = io.StringIO()
handler = logging.StreamHandler(stream)
handler.setFormatter(logging.getLogger().handlers[0].formatter)
logging.getLogger().addHandler(handler)
from django.test import Client
Client().get("/healthz/live", HTTP_X_REQUEST_ID="traced-1")
Client().get("/api/v1/customers/?email=ann@example.com")
provider.force_flush()
print(json.dumps({
    "middleware": settings.MIDDLEWARE[:2],
    "spans": [
        {
            "name": span.name,
            "trace_id": format(span.context.trace_id, "032x"),
            "service": span.resource.attributes["service.name"],
            "attributes": dict(span.attributes),
            "status_code": span.attributes.get("http.response.status_code",
                                               span.attributes.get("http.status_code")),
        }
        for span in exporter.get_finished_spans()
    ],
    "logs": [json.loads(line) for line in stream.getvalue().splitlines()],
}))
"""


def test_tracing_is_off_by_default():
    assert settings.OTEL_ENABLED is False
    assert tracing_configure() is None
    assert not any("opentelemetry" in name for name in settings.MIDDLEWARE)


def test_each_request_makes_a_span_and_its_log_lines_carry_the_trace_id():
    # when
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "OTEL_ENABLED": "1",
            "OTEL_SERVICE_NAME": "patron-test",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    # then
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.splitlines()[-1])
    assert shown["middleware"][1] == "config.middleware.RequestLogMiddleware"
    live, customers = shown["spans"]
    assert (live["name"], live["status_code"], live["service"]) == (
        "GET healthz/live",
        200,
        "patron-test",
    )
    assert (customers["name"], customers["status_code"]) == ("GET api/v1/customers/$", 401)
    assert live["trace_id"] != customers["trace_id"]
    assert customers["attributes"]["http.url"] == "http://testserver/api/v1/customers/"
    assert "ann@example.com" not in json.dumps(shown)
    request_lines = [line for line in shown["logs"] if line["logger"] == "patron.request"]
    assert [(line["request_id"], line["trace_id"]) for line in request_lines][0] == (
        "traced-1",
        live["trace_id"],
    )
    assert request_lines[1]["trace_id"] == customers["trace_id"]
    assert all(len(line["span_id"]) == 16 for line in request_lines)
