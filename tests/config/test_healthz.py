import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]

# Runs the real app in a fresh process whose database cannot be reached.
PROBE = """
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
for url in ("/healthz", "/healthz/live", "/healthz/ready"):
    response = Client().get(url)
    print(response.status_code, response.content.decode())
"""
# A Redis port nothing listens on.
CLOSED_REDIS = "redis://127.0.0.1:1/0"


@pytest.mark.django_db
def test_healthz_ok(anon_client):
    response = anon_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param("postgres://root@127.0.0.1:1/nowhere", id="postgres-port-closed"),
        pytest.param("sqlite:////nonexistent-dir/patron.sqlite3", id="sqlite-unopenable"),
    ],
)
def test_healthz_503_when_database_is_down(database_url):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    answers = [line.split(" ", 1) for line in result.stdout.strip().splitlines()[-3:]]
    assert [(int(status), json.loads(body)) for status, body in answers] == [
        (503, {"status": "error", "database": "unreachable"}),
        (200, {"status": "ok"}),
        (503, {"status": "error", "database": "unreachable", "cache": "ok"}),
    ], result.stderr


@pytest.mark.django_db
def test_liveness_and_readiness_answer_200_when_everything_works(anon_client):
    live = anon_client.get("/healthz/live")
    ready = anon_client.get("/healthz/ready")

    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ok", "database": "ok", "cache": "ok"},
    )


@pytest.mark.django_db
def test_readiness_checks_the_broker_of_the_rq_engine(anon_client, settings):
    settings.TASK_BACKEND = "rq"

    response = anon_client.get("/healthz/ready")

    assert (response.status_code, response.json()) == (
        200,
        {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"},
    )


@pytest.mark.django_db
def test_readiness_answers_503_when_the_broker_is_unreachable(anon_client, settings):
    settings.TASK_BACKEND = "rq"
    settings.REDIS_URL = CLOSED_REDIS

    response = anon_client.get("/healthz/ready")
    live = anon_client.get("/healthz/live")

    assert (response.status_code, response.json()) == (
        503,
        {"status": "error", "database": "ok", "cache": "ok", "broker": "unreachable"},
    )
    assert live.status_code == 200


@pytest.mark.django_db
def test_readiness_answers_503_when_the_cache_is_unreachable(anon_client):
    unreachable = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CLOSED_REDIS,
    }

    with override_settings(CACHES={"default": unreachable}):
        response = anon_client.get("/healthz/ready")
        healthz = anon_client.get("/healthz")

    assert (response.status_code, response.json()) == (
        503,
        {"status": "error", "database": "ok", "cache": "unreachable"},
    )
    # /healthz answers as it always did: the database only.
    assert healthz.status_code == 200


@pytest.mark.parametrize("url", ["/healthz/live", "/healthz/ready"])
def test_health_routes_take_get_only(url, anon_client):
    assert anon_client.post(url).status_code == 405
