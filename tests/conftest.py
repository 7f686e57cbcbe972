import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

PATRON_APPS = ("customers", "groups", "orders")


def grant_all_patron_permissions(user):
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=PATRON_APPS))


def patron_user_create(username: str, **fields):
    """A user with every Patron model permission."""
    user = get_user_model().objects.create_user(username, **fields)
    grant_all_patron_permissions(user)
    return user


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


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache: each test starts from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
