import pytest

from customers.services import channel_create, customer_create


@pytest.fixture
def brazil(db):
    return channel_create(data={"code": "br", "name": "Brasil", "currency": "BRL", "country": "BR"})


@pytest.fixture
def usa(db):
    return channel_create(data={"code": "us", "name": "USA", "currency": "USD"})


@pytest.fixture
def make(superuser):
    """Create a customer through the service (the write pipeline computes its keys)."""

    def make(channel, email, **data):
        return customer_create(
            data={"channel": channel.code, "email": email, **data}, user=superuser
        )

    return make
