import pytest

from tests.conftest import api_client_for, patron_user_create
from tests.customers.factories import ChannelFactory

BASE = "/compat/omnitron/api/v1/customers/"


def detail_url(pk) -> str:
    return f"{BASE}{pk}/"


@pytest.fixture
def web(db):
    return ChannelFactory(code="web")


@pytest.fixture
def shop(db):
    return ChannelFactory(code="shop")


@pytest.fixture
def client(api_client):
    """An integrator with every Patron model permission, in no channel (sees all)."""
    return api_client


@pytest.fixture
def web_client(web, shop):
    """An integrator limited to the `web` channel."""
    user = patron_user_create("web-integrator")
    web.api_users.add(user)
    return api_client_for(user)
