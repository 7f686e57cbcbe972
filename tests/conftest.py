import datetime
import io
import json
import logging

import pytest
import structlog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from accounts.services import api_key_create
from tests.customers.factories import ChannelFactory, CustomerFactory

PATRON_APPS = ("customers", "groups", "orders")


def grant_all_patron_permissions(user):
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=PATRON_APPS))


def patron_user_create(username: str, **fields):
    """A user with every Patron model permission."""
    user = get_user_model().objects.create_user(username, **fields)
    grant_all_patron_permissions(user)
    return user


def api_key_for(user, name: str = "test") -> str:
    """A new API key of the user, made as `api_keys create` makes it (the key, in clear)."""
    return api_key_create(user=user, name=name)[1]


def api_client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")


@pytest.fixture
def api_user(db):
    """An integrator with every Patron model permission, limited to no channel."""
    return patron_user_create("integrator", password="pw-integrator-123")


@pytest.fixture
def api_client(api_user):
    return api_client_for(api_user)


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def staff_user(db):
    return patron_user_create("staff", password="pw-staff-123", is_staff=True)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def list_read_within(django_assert_max_num_queries):
    """GET an API list in at most `queries` queries, check that it answers 200 and counts
    `count` rows, and return the response."""

    def list_read(client, url, *, queries: int, count: int, params=None):
        with django_assert_max_num_queries(queries):
            response = client.get(url, params)
        assert response.status_code == 200, response.data
        assert response.data["count"] == count
        return response

    return list_read


@pytest.fixture
def people(db):
    """Ann, Bob and Cid (created in that order): customers that differ in every field the
    customer lists (API and admin) filter on."""
    web, shop = ChannelFactory(code="web"), ChannelFactory(code="shop")
    jan = datetime.datetime(2024, 1, 15, 10, 0, tzinfo=datetime.UTC)
    day = datetime.timedelta(days=1)
    # One line per field: (Ann, Bob, Cid). None keeps the factory's value.
    fields = {
        "channel": (web, web, shop),
        "email": ("ann@example.com", "bob@sample.org", "cid@example.com"),
        "first_name": ("Ann", "Bob", "Cid"),
        "last_name": ("Lee", "Annis", "Moe"),
        "phone": ("111", "222", "333"),
        "username": ("ann", None, None),
        "identification": ("28776255670", None, None),
        "erp_code": ("E1", None, None),
        "channel_code": ("C1", None, None),
        "status": ("active", "inactive", "frozen"),
        "gender": ("female", "male", None),
        "user_type": ("registered", "guest", None),
        "email_allowed": (True, None, None),
        "sms_allowed": (None, True, None),
        "call_allowed": (None, None, True),
        "date_of_birth": (datetime.date(1990, 1, 1), datetime.date(2000, 6, 1), None),
        "created_at": (jan, jan + day, jan + 40 * day),
        "date_joined": (jan, None, None),
        "attributes": (
            {"size": "M", "children": 2, "vip": True},
            {"size": "L", "children": "2"},
            None,
        ),
        "extra_field": ({"source": "ads"}, None, None),
        "orders_count": (3, None, None),
        "total_spent": ("89.00", None, None),
        "last_order_at": (jan, None, None),
    }
    return {
        name: CustomerFactory(
            **{
                field: values[index]
                for field, values in fields.items()
                if values[index] is not None
            }
        )
        for index, name in enumerate(("ann", "bob", "cid"))
    }


@pytest.fixture
def log_lines():
    """The log lines written during the test, as the configured JSON formatter writes them
    (settings.LOGGING), parsed: a function that returns them so far."""
    root = logging.getLogger()
    formatter = next(
        handler.formatter
        for handler in root.handlers
        if isinstance(handler.formatter, structlog.stdlib.ProcessorFormatter)
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache, and list estimates are kept a minute per process:
    each test starts from zero."""
    from django.core.cache import cache

    from config.rest import estimates_forget

    cache.clear()
    estimates_forget()
    yield
    cache.clear()
    estimates_forget()


def pytest_sessionstart(session):
    """Make this run's directory (config/settings/test.py): the SQLite test database's home."""
    from pathlib import Path

    from django.conf import settings

    run_dir = getattr(settings, "PATRON_TEST_RUN_DIR", None)
    if run_dir:
        Path(run_dir).mkdir(parents=True, exist_ok=True)


def pytest_sessionfinish(session, exitstatus):
    """Remove this run's files (config/settings/test.py: media, the SQLite test database)."""
    import shutil

    from django.conf import settings

    run_dir = getattr(settings, "PATRON_TEST_RUN_DIR", None)
    if run_dir:
        shutil.rmtree(run_dir, ignore_errors=True)
