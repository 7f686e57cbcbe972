import pytest

from tests.customers.factories import ChannelFactory, CustomerFactory


@pytest.fixture
def channel():
    return ChannelFactory(code="web", currency="USD")


@pytest.fixture
def customer(channel):
    return CustomerFactory(channel=channel, email="buyer@example.com")
