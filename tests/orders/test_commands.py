from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from customers.models import Customer
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_recompute_customer_stats_rebuilds_and_reports():
    # given stale statistics
    customer = CustomerFactory()
    order = OrderFactory(customer=customer, total=Decimal("12.34"))
    CustomerFactory()
    Customer.objects.update(orders_count=99, total_spent=0)
    out = StringIO()

    # when
    call_command("recompute_customer_stats", stdout=out)

    # then
    assert out.getvalue().strip() == "Updated the statistics of 2 customers."
    customer.refresh_from_db()
    assert (customer.orders_count, customer.total_spent, customer.last_order_id) == (
        1,
        Decimal("12.34"),
        order.pk,
    )
    assert customer.total_spent_currency == "USD"
