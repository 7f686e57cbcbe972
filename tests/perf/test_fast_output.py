"""The speed-ups of config/rest.py must not change a byte of what clients see."""

import datetime
from decimal import Decimal

import pytest
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from config.rest import FastJSONRenderer, FastRepresentationMixin
from customers.api.serializers import CustomerSerializer
from customers.selectors import customer_list_for_api
from orders.api.serializers import OrderOutputSerializer
from orders.models import Order
from tests.customers.factories import AddressFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory
from tests.orders.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


def _drf(serializer, instance):
    """What DRF's own Serializer.to_representation gives for the same serializer."""
    return super(FastRepresentationMixin, serializer).to_representation(instance)


def test_customer_and_order_output_is_drfs(superuser):
    customer = CustomerFactory(
        note="line\u2028break é",
        date_of_birth=datetime.date(1990, 5, 17),
        last_login_at=datetime.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC),
        attributes={"tier": "gold", "n": 2, "nested": {"x": [1, None, True]}},
        discount_percent=Decimal("12.50"),
    )
    AddressFactory(customer=customer, is_default=True)
    AddressFactory(customer=customer, is_billing=True, country="")
    UserCustomerGroupFactory(customer=customer)
    order = OrderFactory(customer=customer, shipping_address=None)
    OrderItemFactory(order=order)
    request = Request(APIRequestFactory().get("/"))
    request.user = superuser
    expand = {"recent_orders", "recent_addresses", "phones", "memberships"}
    context = {"request": request, "expand": expand}
    loaded = customer_list_for_api(user=superuser, expand=expand).get(pk=customer.pk)
    serializer = CustomerSerializer(context=context)
    fast = serializer.to_representation(loaded)

    assert fast == _drf(serializer, loaded)
    assert list(fast) == list(_drf(serializer, loaded))
    assert FastJSONRenderer().render(fast) == JSONRenderer().render(fast)

    loaded_order = Order.objects.prefetch_related("items__custom_data", "custom_data").get()
    order_serializer = OrderOutputSerializer(context=context)
    assert order_serializer.to_representation(loaded_order) == _drf(order_serializer, loaded_order)
