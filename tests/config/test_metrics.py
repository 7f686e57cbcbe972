"""Prometheus metrics at /metrics: off by default, protected when on, whole across workers."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from config.metrics import METRICS_SHORT_TOKEN, METRICS_UNPROTECTED, metrics
from tests.config.test_settings import ROOT, manage

TOKEN = "metrics-token-0123456789abcdef"

LIVE_COUNT = (
    "django_http_responses_total_by_status_view_method_total"
    '{{method="GET",status="200",view="healthz-live"}} {count}.0'
)


def test_metrics_are_off_by_default(client):
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param({}, METRICS_UNPROTECTED, id="neither-token-nor-addresses"),
        pytest.param(
            {"METRICS_TOKEN": "short"}, METRICS_SHORT_TOKEN.format(length=16), id="short-token"
        ),
        pytest.param({"METRICS_ALLOWED_IPS": "10.0.0.0/8,intranet"}, "'intranet'", id="bad-ip"),
    ],
)
def test_metrics_refuse_to_start_unprotected_or_misconfigured(env, message):
    result = manage("check", DEBUG="1", METRICS_ENABLED="1", **env)

    assert result.returncode != 0
    assert message in result.stderr


@pytest.fixture
def scrape(rf, settings):
    """The /metrics view's status for a request with these headers, under these settings."""

    def status(*, token="", allowed_ips=(), **headers):
        settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = token, list(allowed_ips)
        return metrics(rf.get("/metrics", **headers)).status_code

    return status


def test_metrics_with_a_token_answer_only_its_bearer(scrape):
    assert scrape(token=TOKEN) == 401
    assert scrape(token=TOKEN, HTTP_AUTHORIZATION="Bearer wrong-token-0123456789abcdef") == 401
    assert scrape(token=TOKEN, HTTP_AUTHORIZATION=f"Bearer {TOKEN}x") == 401
    assert scrape(token=TOKEN, HTTP_AUTHORIZATION=f"Token {TOKEN}") == 401
    assert scrape(token=TOKEN, HTTP_AUTHORIZATION=f"Bearer {TOKEN}") == 200
    assert scrape(token=TOKEN, HTTP_AUTHORIZATION=f"bearer {TOKEN}") == 200


def test_metrics_with_allowed_addresses_answer_only_those(scrape):
    allowed = ["127.0.0.1", "10.0.0.0/8", "2001:db8::/32"]

    assert scrape(allowed_ips=allowed, REMOTE_ADDR="127.0.0.1") == 200
    assert scrape(allowed_ips=allowed, REMOTE_ADDR="10.20.30.40") == 200
    assert scrape(allowed_ips=allowed, REMOTE_ADDR="::ffff:10.0.0.1") == 200
    assert scrape(allowed_ips=allowed, REMOTE_ADDR="2001:db8::1") == 200
    assert scrape(allowed_ips=allowed, REMOTE_ADDR="192.168.1.9") == 403
    assert scrape(allowed_ips=allowed, REMOTE_ADDR="127.0.0.2") == 403
    assert scrape(allowed_ips=allowed, REMOTE_ADDR="") == 403


def test_metrics_with_both_require_both(scrape):
    both = {"token": TOKEN, "allowed_ips": ["127.0.0.0/8"]}
    bearer = f"Bearer {TOKEN}"

    assert scrape(**both, REMOTE_ADDR="127.0.0.1") == 401
    assert scrape(**both, REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION=bearer) == 403
    assert scrape(**both, REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION=bearer) == 200


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url, **headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def gunicorn_with_metrics(tmp_path):
    """`make serve`'s gunicorn with two worker processes and metrics on; its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "PORT": str(port),
        "WEB_WORKERS": "2",
        "WEB_THREADS": "1",
        "METRICS_ENABLED": "1",
        "METRICS_TOKEN": TOKEN,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with (tmp_path / "gunicorn.log").open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--config", "python:config.gunicorn"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if _get(f"{base}/healthz/live")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail((tmp_path / "gunicorn.log").read_text())
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_metrics_count_the_requests_of_every_gunicorn_worker(gunicorn_with_metrics):
    # when: twenty requests, each on its own connection (any worker may take any of them)
    for _ in range(20):
        _get(f"{gunicorn_with_metrics}/healthz/live")

    # then: every scrape, whichever worker answers it, counts all of them (and the wait's one)
    pages = [
        _get(f"{gunicorn_with_metrics}/metrics", Authorization=f"Bearer {TOKEN}") for _ in range(4)
    ]
    assert {status for status, _ in pages} == {200}
    for _, page in pages:
        assert LIVE_COUNT.format(count=21) in page.splitlines()
        assert TOKEN not in page
    refused = _get(f"{gunicorn_with_metrics}/metrics")
    assert refused == (401, json.dumps({"detail": "A valid bearer token is required."}))
