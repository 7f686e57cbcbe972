import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from customers.models import Channel, Customer
from customers.services import address_create
from groups.models import UserCustomerGroup, UserGroup
from orders.services import order_create
from tests.conftest import api_client_for, patron_user_create

T0 = datetime.datetime(2026, 1, 5, 10, 0, 0, 123456, tzinfo=datetime.UTC)


def merger_create(username: str = "merger"):
    """A user with every Patron model permission and customers.merge_customer."""
    user = patron_user_create(username)
    user.user_permissions.add(Permission.objects.get(codename="merge_customer"))
    return user


@pytest.fixture
def merger(db):
    return merger_create()


@pytest.fixture
def merger_client(merger):
    return api_client_for(merger)


def order_for(customer, number: str, total: str, *, days: int = 0, status: str = "paid"):
    return order_create(
        channel=customer.channel,
        customer=customer,
        data={
            "number": number,
            "total": Decimal(total),
            "status": status,
            "placed_at": T0 + datetime.timedelta(days=days),
        },
    )


@pytest.fixture
def duo(db):
    """Two customers of one channel, with orders, addresses (one the same place) and
    memberships (one group shared)."""
    channel = Channel.objects.create(code="web", name="Web")
    kept = Customer.objects.create(
        channel=channel,
        email="ana@example.com",
        first_name="Ana",
        phone="",
        email_allowed=True,
        sms_allowed=True,
        attributes={"tier": "gold", "a": 1},
    )
    other = Customer.objects.create(
        channel=channel,
        email="ana.s@example.com",
        username="anas",
        first_name="Ana S.",
        phone="+1 555 0100",
        email_allowed=False,
        sms_allowed=True,
        attributes={"tier": "silver", "b": 2},
        extra_field={"x": "y"},
    )
    address_create(customer=kept, data={"address": "Main St", "number": "1", "city": "Town"})
    address_create(customer=other, data={"address": "main st ", "number": "1", "city": "TOWN"})
    address_create(customer=other, data={"address": "Side Rd", "number": "9", "city": "Town"})
    shared = UserGroup.objects.create(code="news", title="News")
    own = UserGroup.objects.create(code="vip", title="VIP")
    UserCustomerGroup.objects.create(customer=kept, group=shared, subscribed=False)
    UserCustomerGroup.objects.create(customer=other, group=shared, subscribed=True)
    UserCustomerGroup.objects.create(customer=other, group=own, subscribed=True)
    order_for(kept, "K-1", "10.00", days=1)
    order_for(other, "O-1", "20.00", days=2)
    order_for(other, "O-2", "5.00", days=3, status="cancelled")
    kept.refresh_from_db()
    other.refresh_from_db()
    return kept, other
