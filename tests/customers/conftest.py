import pytest

from tests.customers.factories import ChannelFactory


@pytest.fixture
def web(db):
    """The channel the customer API tests write to."""
    return ChannelFactory(code="web", name="Web store")
