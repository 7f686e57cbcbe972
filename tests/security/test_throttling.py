"""Per-user and per-sign-in throttles: 429 with Retry-After, counters shared through the cache."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.urls import get_resolver
from rest_framework.test import APIClient

from config.throttling import ApiUserThrottle, CustomerAuthThrottle
from tests.customers.factories import ChannelFactory, CustomerFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/15"
PASSWORD = "correct horse battery staple"
AUTHENTICATE = "/api/v1/customers/authenticate/"


@pytest.fixture
def user_rate(monkeypatch):
    monkeypatch.setattr(ApiUserThrottle, "rate", "3/min", raising=False)


@pytest.fixture
def auth_rate(monkeypatch):
    monkeypatch.setattr(CustomerAuthThrottle, "rate", "3/min", raising=False)


@pytest.fixture
def customer(db):
    for code in ("web", "pos"):
        ChannelFactory(code=code)
    return CustomerFactory(
        channel=ChannelFactory(code="web"),
        email="ann@example.com",
        password=make_password(PASSWORD),
    )


def _sign_in(client, email="ann@example.com", password="wrong", channel="web"):
    return client.post(AUTHENTICATE, {"channel": channel, "email": email, "password": password})


def _assert_throttled(response):
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["detail"].startswith("Request was throttled.")


def test_api_user_is_throttled_after_its_rate(api_client, user_rate):
    statuses = [api_client.get("/api/v1/customers/").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    _assert_throttled(api_client.get("/api/v1/customers/"))


def test_each_api_user_has_its_own_count(api_client, superuser, user_rate):
    for _ in range(3):
        api_client.get("/api/v1/customers/")
    other = APIClient()
    other.force_authenticate(superuser)

    assert api_client.get("/api/v1/customers/").status_code == 429
    assert other.get("/api/v1/customers/").status_code == 200


def _budget(response) -> tuple[str, str]:
    return response["RateLimit-Limit"], response["RateLimit-Remaining"]


def test_answers_carry_the_rate_limit_budget(api_client, user_rate):
    responses = [api_client.get("/api/v1/customers/") for _ in range(4)]

    assert [_budget(response) for response in responses] == [
        ("3", "2"),
        ("3", "1"),
        ("3", "0"),
        ("3", "0"),
    ]
    assert all(1 <= int(response["RateLimit-Reset"]) <= 60 for response in responses)
    assert responses[-1]["RateLimit-Reset"] == responses[-1]["Retry-After"]


def test_the_bucket_refills_evenly(api_client, user_rate, monkeypatch):
    """3/min: three at once, then one every 20 seconds (not all three after a minute)."""
    clock = [1_000_000.0]
    monkeypatch.setattr(ApiUserThrottle, "timer", lambda self: clock[0])
    burst = [api_client.get("/api/v1/customers/") for _ in range(3)]
    refused = api_client.get("/api/v1/customers/")
    clock[0] += 20
    refilled = api_client.get("/api/v1/customers/")
    again = api_client.get("/api/v1/customers/")

    assert [response.status_code for response in burst] == [200, 200, 200]
    _assert_throttled(refused)
    assert refused["Retry-After"] == refused["RateLimit-Reset"] == "20"
    assert refilled.status_code == 200
    assert _budget(refilled) == ("3", "0")
    assert again.status_code == 429


def test_a_callers_state_is_one_number_however_busy(api_client, api_user, monkeypatch):
    """No list of request times: a busy caller costs the cache one float, not one per request."""
    from django.core.cache import cache

    monkeypatch.setattr(ApiUserThrottle, "rate", "6000/min", raising=False)
    for _ in range(30):
        assert api_client.get("/api/v1/channels/").status_code == 200
    state = cache.get(f"rate_api_user_{api_user.pk}")

    assert isinstance(state, float)


def test_sign_in_reports_its_own_budget_only_when_it_refuses(
    api_client, customer, auth_rate, monkeypatch
):
    monkeypatch.setattr(ApiUserThrottle, "rate", "60/hour", raising=False)  # one a minute back
    allowed = [_sign_in(api_client) for _ in range(3)]
    refused = _sign_in(api_client)

    # allowed attempts show the caller's API budget, not how often the e-mail was tried
    assert [_budget(response) for response in allowed] == [
        ("60", "59"),
        ("60", "58"),
        ("60", "57"),
    ]
    _assert_throttled(refused)
    assert _budget(refused) == ("3", "0")
    assert refused["RateLimit-Reset"] == refused["Retry-After"]


def _api_view_classes():
    """The DRF view class behind every /api/v1/ route (the schema views included)."""

    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern.url_patterns)
            elif hasattr(pattern.callback, "cls"):
                yield pattern.callback.cls

    api = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/")
    return sorted(set(walk(api.url_patterns)), key=lambda cls: cls.__name__)


@pytest.mark.parametrize("view_class", _api_view_classes(), ids=lambda cls: cls.__name__)
def test_every_api_view_has_the_per_user_throttle(view_class):
    assert ApiUserThrottle in view_class.throttle_classes


def test_sign_in_is_throttled_per_channel_and_email(api_client, customer, auth_rate):
    # when: three wrong attempts, the e-mail written three ways
    statuses = [
        _sign_in(api_client, email=email).status_code
        for email in ("ann@example.com", " ANN@example.com", "Ann@Example.com ")
    ]

    # then: the fourth is refused before the password is even checked
    assert statuses == [401, 401, 401]
    _assert_throttled(_sign_in(api_client, password=PASSWORD))
    # other e-mails and the same e-mail in another channel are counted apart
    assert _sign_in(api_client, email="bob@example.com").status_code == 401
    assert _sign_in(api_client, channel="pos").status_code == 401


def test_successful_sign_ins_count_too(api_client, customer, auth_rate):
    statuses = [_sign_in(api_client, password=PASSWORD).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    _assert_throttled(_sign_in(api_client, password=PASSWORD))


def test_sign_in_counter_is_shared_by_every_api_user(api_client, superuser, customer, auth_rate):
    other = APIClient()
    other.force_authenticate(superuser)
    for client in (api_client, other, api_client):
        _sign_in(client)

    _assert_throttled(_sign_in(other))


def test_malformed_sign_in_body_is_a_400_not_a_throttle_error(api_client, auth_rate):
    response = api_client.post(AUTHENTICATE, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def _redis_or_skip() -> RedisCache:
    cache = RedisCache(REDIS_URL, {})
    try:
        cache.clear()
    except Exception as error:  # any connection failure: no Redis on this machine
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {error}")
    return cache


@pytest.fixture
def two_redis_servers():
    """Two app servers' caches: separate clients and connections, one Redis database."""
    first, second = _redis_or_skip(), RedisCache(REDIS_URL, {})
    yield first, second
    first.clear()


def _alternate(monkeypatch, throttle, caches, send, times):
    responses = []
    for index in range(times):
        monkeypatch.setattr(throttle, "cache", caches[index % 2])
        responses.append(send())
    return responses


def test_redis_shares_the_user_counter_between_servers(
    api_client, user_rate, two_redis_servers, monkeypatch
):
    def send():
        return api_client.get("/api/v1/customers/")

    responses = _alternate(monkeypatch, ApiUserThrottle, two_redis_servers, send, 4)

    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert int(responses[-1]["Retry-After"]) > 0


def test_redis_shares_the_sign_in_counter_between_servers(
    api_client, customer, auth_rate, two_redis_servers, monkeypatch
):
    responses = _alternate(
        monkeypatch, CustomerAuthThrottle, two_redis_servers, lambda: _sign_in(api_client), 4
    )

    assert [r.status_code for r in responses] == [401, 401, 401, 429]


def test_local_memory_caches_count_per_server(api_client, user_rate, monkeypatch):
    """Why production needs CACHE_URL: two local-memory caches each let the full rate through."""
    servers = (LocMemCache("server-a", {}), LocMemCache("server-b", {}))

    def send():
        return api_client.get("/api/v1/customers/")

    responses = _alternate(monkeypatch, ApiUserThrottle, servers, send, 6)

    assert [r.status_code for r in responses] == [200] * 6


def test_rates_and_cache_come_from_the_environment():
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.CACHES['default']['BACKEND'], "
        "settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']]))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "1",
        "CACHE_URL": REDIS_URL,
        "API_THROTTLE_RATE": "100/min",
        "AUTH_THROTTLE_RATE": "5/min",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    backend, rates = json.loads(result.stdout.splitlines()[-1])
    assert backend == "django.core.cache.backends.redis.RedisCache"
    assert rates == {"api_user": "100/min", "customer_auth": "5/min"}


def test_default_rates_follow_the_contract():
    from config.settings import base

    assert base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "api_user": "6000/min",
        "customer_auth": "10/min",
    }
    assert base.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == ["config.throttling.ApiUserThrottle"]
