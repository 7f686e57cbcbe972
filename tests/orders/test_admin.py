from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order
from orders.services import customer_stats_recompute
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.orders.factories import OrderCustomDataFactory, OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:orders_order_changelist")
ADD = reverse("admin:orders_order_add")

EMPTY_INLINES = {
    "items-TOTAL_FORMS": "0",
    "items-INITIAL_FORMS": "0",
    "custom_data-TOTAL_FORMS": "0",
    "custom_data-INITIAL_FORMS": "0",
}


def _form(order_or_customer, **changes):
    customer = getattr(order_or_customer, "customer", order_or_customer)
    return {
        "channel": customer.channel_id,
        "number": "ADM-1",
        "customer": customer.pk,
        "status": "paid",
        "currency": "USD",
        "subtotal": "10.00",
        "shipping_total": "0",
        "tax_total": "0",
        "discount_total": "0",
        "total": "10.00",
        "placed_at_0": "2024-01-01",
        "placed_at_1": "10:00:00",
        "shipping_address": "null",
        "billing_address": "null",
        **EMPTY_INLINES,
        **changes,
    }


def test_changelist_search_add_and_change_pages(staff_client):
    order = OrderFactory(number="FIND-ME")
    OrderItemFactory(order=order)
    OrderCustomDataFactory(order=order)

    assert staff_client.get(CHANGELIST).status_code == 200
    found = staff_client.get(CHANGELIST, {"q": "FIND-ME"})
    assert found.status_code == 200
    assert "FIND-ME" in found.content.decode()
    by_email = staff_client.get(CHANGELIST, {"q": order.customer.email.upper()})
    assert "FIND-ME" in by_email.content.decode()
    assert staff_client.get(ADD).status_code == 200
    change = reverse("admin:orders_order_change", args=[order.pk])
    assert staff_client.get(change).status_code == 200
    assert staff_client.get(CHANGELIST, {"status__exact": "paid"}).status_code == 200
    custom_data = reverse("admin:orders_ordercustomdata_changelist")
    assert staff_client.get(custom_data).status_code == 200


def test_customer_orders_link_filters_the_changelist(staff_client):
    order = OrderFactory(number="MINE")
    OrderFactory(number="THEIRS")

    response = staff_client.get(CHANGELIST, {"customer__id__exact": order.customer_id})

    assert response.status_code == 200
    assert "MINE" in response.content.decode()
    assert "THEIRS" not in response.content.decode()


def test_changelist_query_count_is_constant(staff_client, django_assert_max_num_queries):
    OrderFactory.create_batch(10)

    with django_assert_max_num_queries(12):
        assert staff_client.get(CHANGELIST).status_code == 200


def test_add_in_admin_refreshes_statistics(staff_client):
    customer = CustomerFactory()

    response = staff_client.post(ADD, _form(customer))

    assert response.status_code == 302, response.context["adminform"].errors
    customer.refresh_from_db()
    assert (customer.orders_count, customer.total_spent) == (1, Decimal("10.00"))


def test_admin_refuses_a_customer_of_another_channel(staff_client):
    customer = CustomerFactory()

    response = staff_client.post(ADD, _form(customer, channel=ChannelFactory().pk))

    assert response.status_code == 200
    assert "customer" in response.context["adminform"].form.errors
    assert not Order.objects.exists()


def test_moving_an_order_in_admin_refreshes_both_customers(staff_client):
    order = OrderFactory(total=Decimal("10.00"))
    other = CustomerFactory(channel=order.channel)

    customer_stats_recompute()
    change = reverse("admin:orders_order_change", args=[order.pk])

    response = staff_client.post(change, _form(order, number=order.number, customer=other.pk))

    assert response.status_code == 302
    order.customer.refresh_from_db()
    other.refresh_from_db()
    assert (order.customer.orders_count, other.orders_count) == (0, 1)


def test_delete_and_bulk_delete_in_admin_refresh_statistics(staff_client):
    customer = CustomerFactory()
    first, second, third = (OrderFactory(customer=customer) for _ in range(3))

    customer_stats_recompute()

    delete = reverse("admin:orders_order_delete", args=[first.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 302
    customer.refresh_from_db()
    assert customer.orders_count == 2

    action = {"action": "delete_selected", "_selected_action": [second.pk, third.pk], "post": "yes"}
    assert staff_client.post(CHANGELIST, action).status_code == 302
    customer.refresh_from_db()
    assert (customer.orders_count, customer.last_order_id) == (0, None)
