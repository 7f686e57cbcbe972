"""The speed-ups of config/rest.py must not change a byte of what clients see."""

import datetime
import json
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import make_password
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


@pytest.mark.parametrize("fields", [None, "id,channel,name,groups,default_address,has_password"])
def test_list_pages_read_as_values_are_what_drf_gives_for_instances(api_client, api_user, fields):
    customers = CustomerFactory.create_batch(
        3,
        attributes={"tier": "gold", "n": 2.5},
        discount_percent=Decimal("7.25"),
        date_of_birth=datetime.date(1990, 5, 17),
        status="frozen",
    )
    customers[0].password = make_password("a long enough password 1")
    customers[0].save()
    AddressFactory(customer=customers[0], is_default=True)
    AddressFactory(customer=customers[0], is_billing=True)
    AddressFactory(customer=customers[1])
    UserCustomerGroupFactory(customer=customers[0])
    UserCustomerGroupFactory(customer=customers[0])
    params = {"fields": fields} if fields else {}

    response = api_client.get("/api/v1/customers/", params)

    request = Request(APIRequestFactory().get("/", params))
    request.user = api_user
    wanted = set(fields.split(",")) if fields else None
    loaded = list(customer_list_for_api(user=api_user, fields=wanted))
    serializer = CustomerSerializer(loaded, many=True, context={"request": request})
    drf = [_drf(serializer.child, customer) for customer in loaded]
    assert response.status_code == 200
    assert response.json()["results"] == json.loads(JSONRenderer().render(drf))
    assert [list(row) for row in response.json()["results"]] == [list(row) for row in drf]


def test_a_column_without_an_exact_json_reading_is_refused():
    """Reading a page's relations as JSON needs each column's type to round-trip exactly."""
    from customers.models import Customer
    from customers.selectors import _json_column_loaders

    with pytest.raises(
        TypeError, match=r"Customer\.date_of_birth \(DateField\) has no exact JSON reading"
    ):
        _json_column_loaders(Customer)


def test_cached_fields_are_fresh_unbound_copies_for_each_serializer():
    """Two serializers never share a field, a nested one's fields included, and binding a
    copy leaves the class's template unbound."""
    first = CustomerSerializer(context={"n": 1})
    second = CustomerSerializer(context={"n": 2})

    for name in ("email", "channel", "status", "groups", "addresses", "default_address"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second
    assert first.fields["addresses"].child.context == {"n": 1}
    assert second.fields["addresses"].child.context == {"n": 2}
    assert second.fields["groups"].child.parent is second.fields["groups"]
    template = CustomerSerializer._fields_template
    assert {field.parent for field in template.values()} == {None}
    assert {field.field_name for field in template.values()} == {None}


@pytest.mark.parametrize(
    "value",
    [
        1e-05,
        -2.54538e-05,
        1.5e-07,
        5e-324,
        1e16,
        1e22,
        -1.2345678901234568e17,
        1.7976931348623157e308,
        0.0001,
        0.1,
        [1, 8.669307043008874e-05, "x"],
        {"note": "Sainte-Marie 1e-5 0.00001", "n": 1},
    ],
)
def test_the_fast_renderer_writes_floats_as_drf_does(value):
    """orjson writes some floats otherwise than Python's json (0.00001 for 1e-05, 1.5e-7
    for 1.5e-07): such a body is written by DRF."""
    data = {"results": [{"attributes": value}]}

    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)
