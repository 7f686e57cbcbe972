"""Operations: one JSON log line per request without secrets, health, production settings.

The log line's other fields (timestamp, level, request id) are in tests/config/test_logs.py.

The health check against a really unreachable database (a fresh process) is in
tests/config/test_healthz.py; the refusal to start without a SECRET_KEY is in
tests/config/test_settings.py.
"""

import json

import pytest
from django.db import OperationalError, connection
from rest_framework.test import APIClient

from tests.config.test_settings import STRONG_KEY, manage
from tests.conftest import api_key_for
from tests.customers.factories import ChannelFactory

pytestmark = pytest.mark.django_db

PASSWORD = "S3cret-passphrase-for-logs"


@pytest.fixture
def request_lines(log_lines):
    """The patron.request lines logged during the test, parsed."""
    return lambda: [line for line in log_lines() if line["logger"] == "patron.request"]


@pytest.fixture
def token(api_user):
    return api_key_for(api_user)


def test_each_request_is_one_json_line_without_secrets(
    token, api_user, request_lines, log_lines, caplog
):
    # given
    ChannelFactory(code="web")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    # when
    client.post(
        "/api/v1/customers/",
        {"channel": "web", "email": "ann@example.com", "password": PASSWORD},
        format="json",
    )
    # Unknown query parameters are a 400: the secret rides in a parameter the list reads.
    client.get("/api/v1/customers/?email=ann@example.com&q=query-secret")

    # then
    lines = request_lines()
    assert [
        {key: line[key] for key in ("method", "path", "status", "user_id")} for line in lines
    ] == [
        {"method": "POST", "path": "/api/v1/customers/", "status": 201, "user_id": api_user.pk},
        {"method": "GET", "path": "/api/v1/customers/", "status": 200, "user_id": api_user.pk},
    ]
    assert all(
        set(line)
        == {"event", "method", "path", "status", "duration_ms", "user_id"}
        | {"request_id", "logger", "level", "timestamp"}
        for line in lines
    )
    assert all(isinstance(line["duration_ms"], float) for line in lines)
    written = json.dumps(log_lines())
    for secret in (token, PASSWORD, "query-secret", "ann@example.com", "Authorization"):
        assert secret not in caplog.text
        assert secret not in written


def test_refused_and_anonymous_requests_are_logged_without_a_user(request_lines):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token-0123456789")

    client.get("/api/v1/customers/")
    client.credentials()
    client.get("/healthz")

    assert [(line["path"], line["status"], line["user_id"]) for line in request_lines()] == [
        ("/api/v1/customers/", 401, None),
        ("/healthz", 200, None),
    ]


def test_healthz_answers_503_when_the_database_fails(anon_client, monkeypatch, request_lines):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = anon_client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}
    assert request_lines()[-1]["status"] == 503


def test_unknown_api_urls_answer_json_404(api_client):
    response = api_client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_production_settings_pass_the_deploy_check_with_the_security_layers_on():
    env = {"DEBUG": "0", "SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "patron.example.com"}
    code = (
        "from django.conf import settings as s; import json; print(json.dumps(["
        "s.MIDDLEWARE, s.PASSWORD_HASHERS[0], s.REST_FRAMEWORK['DEFAULT_PARSER_CLASSES'], "
        "s.REST_FRAMEWORK['DEFAULT_THROTTLE_CLASSES'], s.DEBUG]))"
    )

    deploy = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    shown = manage("shell", "-c", code, **env)

    assert deploy.returncode == 0, deploy.stderr
    middleware, hasher, parsers, throttles, debug = json.loads(shown.stdout.splitlines()[-1])
    assert middleware[0] == "config.middleware.RequestLogMiddleware"
    assert "config.middleware.RejectNulMiddleware" in middleware
    assert hasher == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert parsers == ["config.parsers.JSONParser"]
    assert throttles == ["config.throttling.ApiUserThrottle"]
    assert debug is False
