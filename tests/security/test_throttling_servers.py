"""The documented rates hold across app servers by default: two real gunicorn servers (two
worker processes each, as `make serve` starts them) on one database, with no CACHE_URL, share
their counters through the database cache."""

import pytest
import requests
from django.contrib.auth.hashers import make_password
from django.db import connection

from tests.conftest import api_key_for, patron_user_create
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.servers import database_url_of, gunicorn_running, manage, server_env

pytestmark = pytest.mark.django_db(transaction=True)

CACHE_TABLE = "patron_cache"  # the default CACHE_URL's, dbcache://patron_cache


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        url = database_url_of(connection.settings_dict)
    env = server_env(
        DATABASE_URL=url,
        WEB_WORKERS="2",
        API_THROTTLE_RATE="4/min",
        AUTH_THROTTLE_RATE="3/min",
    )
    manage("createcachetable", env=env)  # as `make serve` does
    with gunicorn_running(env) as first, gunicorn_running(env) as second:
        yield first, second


@pytest.fixture
def token(servers):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {CACHE_TABLE}")  # counters of earlier tests
    user = patron_user_create("integrator")
    return {"Authorization": f"Token {api_key_for(user)}"}


def test_api_user_rate_holds_across_servers(servers, token):
    responses = [
        requests.get(f"{servers[n % 2]}/api/v1/customers/", headers=token, timeout=30)
        for n in range(6)
    ]

    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429, 429]
    assert [r.headers["RateLimit-Remaining"] for r in responses[:4]] == ["3", "2", "1", "0"]
    assert {r.headers["RateLimit-Limit"] for r in responses} == {"4"}
    assert int(responses[-1].headers["Retry-After"]) > 0


def test_sign_in_rate_holds_across_servers(servers, token):
    channel = ChannelFactory(code="web")
    CustomerFactory(channel=channel, email="ann@example.com", password=make_password("right"))
    body = {"channel": "web", "email": "ann@example.com", "password": "wrong"}

    responses = [
        requests.post(
            f"{servers[n % 2]}/api/v1/customers/authenticate/", json=body, headers=token, timeout=30
        )
        for n in range(5)
    ]

    assert [r.status_code for r in responses] == [401, 401, 401, 429, 429]
    assert responses[3].headers["RateLimit-Limit"] == "3"
    assert int(responses[3].headers["Retry-After"]) > 0
