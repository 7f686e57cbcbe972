"""Structured logs: each line one JSON object with timestamp, level and the request's id."""

import datetime
import logging
import re

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from config.logs import REQUEST_ID_PATTERN
from tests.conftest import api_key_for

pytestmark = pytest.mark.django_db

FRESH_ID = re.compile(r"[0-9a-f]{32}")


def _request_lines(lines):
    return [line for line in lines if line["logger"] == "patron.request"]


def test_a_request_line_has_timestamp_level_request_id_user_duration_and_status(
    api_user, log_lines
):
    # given
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(api_user)}")
    before = datetime.datetime.now(datetime.UTC)

    # when
    response = client.get("/api/v1/customers/", HTTP_X_REQUEST_ID="req-7f3a.1:2")

    # then
    (line,) = _request_lines(log_lines())
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-7f3a.1:2"
    assert line | {"timestamp": None, "duration_ms": None} == {
        "event": "request",
        "logger": "patron.request",
        "level": "info",
        "timestamp": None,
        "request_id": "req-7f3a.1:2",
        "method": "GET",
        "path": "/api/v1/customers/",
        "status": 200,
        "user_id": api_user.pk,
        "duration_ms": None,
    }
    logged_at = datetime.datetime.fromisoformat(line["timestamp"])
    assert logged_at.utcoffset() == datetime.timedelta(0)
    assert before <= logged_at <= datetime.datetime.now(datetime.UTC)
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="absent"),
        pytest.param("", id="empty"),
        pytest.param("a" * 129, id="too-long"),
        pytest.param("has space", id="space"),
        pytest.param("<script>", id="markup"),
        pytest.param("-starts-with-dash", id="leading-dash"),
        pytest.param("ünïcode", id="non-ascii"),
    ],
)
def test_a_missing_or_malformed_request_id_is_replaced_by_a_fresh_one(header, log_lines):
    headers = {} if header is None else {"HTTP_X_REQUEST_ID": header}

    response = APIClient().get("/healthz/live", **headers)

    (line,) = _request_lines(log_lines())
    assert FRESH_ID.fullmatch(response["X-Request-ID"])
    assert line["request_id"] == response["X-Request-ID"]
    if header:
        assert header not in str(log_lines())


def test_the_longest_accepted_request_id_is_kept():
    request_id = "a" * 128

    response = APIClient().get("/healthz/live", HTTP_X_REQUEST_ID=request_id)

    assert REQUEST_ID_PATTERN.fullmatch(request_id)
    assert response["X-Request-ID"] == request_id


def test_two_requests_without_an_id_get_different_ids():
    client = APIClient()

    first, second = client.get("/healthz/live"), client.get("/healthz/live")

    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_every_line_logged_during_a_request_carries_its_id(log_lines, monkeypatch):
    # given: a cache that fails, so that the readiness check logs why
    def broken_set(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "set", broken_set)

    # when
    response = APIClient().get("/healthz/ready", HTTP_X_REQUEST_ID="ready-1")

    # then
    warning, request, refused = log_lines()
    assert response.status_code == 503
    assert warning | {"timestamp": None} == {
        "event": "readiness check failed",
        "check": "cache",
        "error": "ConnectionError",
        "logger": "config.health",
        "level": "warning",
        "request_id": "ready-1",
        "timestamp": None,
    }
    assert (request["request_id"], request["status"], request["level"]) == ("ready-1", 503, "error")
    assert refused | {"timestamp": None} == {
        "event": "Service Unavailable: /healthz/ready",
        "logger": "django.request",
        "level": "error",
        "status_code": 503,
        "request_id": "ready-1",
        "timestamp": None,
    }


def test_lines_logged_outside_a_request_have_no_request_id(log_lines):
    APIClient().get("/healthz/live", HTTP_X_REQUEST_ID="earlier")

    logging.getLogger("customers").warning("Imported %d rows", 3)

    line = log_lines()[-1]
    assert line | {"timestamp": None} == {
        "event": "Imported 3 rows",
        "logger": "customers",
        "level": "warning",
        "timestamp": None,
    }


def test_a_server_error_is_one_error_line_with_its_traceback_and_the_request_line(
    api_client, log_lines, monkeypatch
):
    # given: a view that fails
    from customers.api import views

    def broken_list(self, request, *args, **kwargs):
        password = "local-secret-passphrase"  # a frame's locals never reach the log
        raise RuntimeError(f"boom {len(password)}")

    monkeypatch.setattr(views.CustomerViewSet, "list", broken_list)
    api_client.raise_request_exception = False

    # when
    response = api_client.get("/api/v1/customers/", HTTP_X_REQUEST_ID="fail-1")

    # then
    error, request = log_lines()
    assert response.status_code == 500
    assert (error["logger"], error["level"], error["request_id"]) == (
        "django.request",
        "error",
        "fail-1",
    )
    assert error["exception"][0]["exc_type"] == "RuntimeError"
    assert error["exception"][0]["exc_value"] == "boom 23"
    assert error["exception"][0]["frames"][-1]["name"] == "broken_list"
    assert "local-secret-passphrase" not in str(log_lines())
    assert (request["status"], request["level"], request["request_id"]) == (500, "error", "fail-1")
