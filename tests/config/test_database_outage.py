"""A database that refuses connections answers 503 with Retry-After everywhere, never a 500.

A real gunicorn server (the `make serve` configuration, DEBUG off) is pointed at a database
that cannot be reached: a closed PostgreSQL port, a SQLite file that cannot be opened.
"""

import pytest
import requests

from config.database import DATABASE_UNAVAILABLE
from tests.servers import gunicorn_running, server_env

RETRY_AFTER = "7"
DOWN_DATABASES = [
    pytest.param("postgres://root@127.0.0.1:1/nowhere", id="postgres-port-closed"),
    pytest.param("sqlite:////nonexistent-dir/patron.sqlite3", id="sqlite-unopenable"),
]
TOKEN = {"Authorization": "Token 0123456789abcdef0123456789abcdef01234567"}
SESSION = {"Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345"}


@pytest.fixture(params=DOWN_DATABASES, scope="module")
def server(request):
    env = server_env(DATABASE_URL=request.param, DATABASE_RETRY_AFTER=RETRY_AFTER)
    with gunicorn_running(env) as base:
        yield base


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        pytest.param("/api/v1/customers/", TOKEN, id="api-list"),
        pytest.param("/api/v1/groups/vip/", TOKEN, id="api-detail"),
        pytest.param("/compat/nuvemshop/v1/web/customers", TOKEN, id="compat-nuvemshop"),
        pytest.param("/compat/kibo/web/api/v2/customer/", TOKEN, id="compat-kibo"),
    ],
)
def test_api_answers_503_with_retry_after(server, path, headers):
    response = requests.get(server + path, headers=headers, timeout=30)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == RETRY_AFTER
    assert response.json() == {"detail": DATABASE_UNAVAILABLE.format(seconds=RETRY_AFTER)}


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/customers/customer/", "/api/v1/customers/?format=api"]
)
def test_pages_of_a_signed_in_staff_member_answer_503_with_retry_after(server, path):
    response = requests.get(server + path, headers=SESSION, timeout=30, allow_redirects=False)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == RETRY_AFTER
    assert DATABASE_UNAVAILABLE.format(seconds=RETRY_AFTER) in response.text


def test_api_write_answers_503(server):
    response = requests.post(
        server + "/api/v1/customers/upsert/",
        json={"channel": "web", "email": "ann@example.com"},
        headers=TOKEN,
        timeout=30,
    )

    assert response.status_code == 503
    assert response.headers["Retry-After"] == RETRY_AFTER


def test_healthz_answers_503_with_retry_after(server):
    response = requests.get(server + "/healthz", timeout=30)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == RETRY_AFTER
