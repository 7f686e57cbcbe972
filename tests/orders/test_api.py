from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from customers.models import Customer
from customers.validation import INVALID_EMAIL
from orders.api.views import CUSTOMER_OBJECT_FORBIDDEN
from orders.models import Order
from orders.services import CUSTOMER_OTHER_CHANNEL, NUMBER_TAKEN
from orders.validation import CHANNEL_IMMUTABLE
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.orders.factories import OrderCustomDataFactory, OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"

ADDRESS = {
    "first_name": "Example",
    "last_name": "User",
    "address": "111 Example Ln",
    "city": "Dallas",
    "zipcode": "75001",
    "country": "us",
}

# The money and the date of the order _body() sends, as the API answers them too.
AMOUNTS = {
    "subtotal": "20.00",
    "shipping_total": "5.00",
    "tax_total": "1.50",
    "discount_total": "0.50",
    "total": "26.00",
    "placed_at": "2024-03-01T10:00:00Z",
}


def _body(channel, customer, /, **changes):
    return {
        "channel": channel.code,
        "number": "1001",
        "customer": customer,
        "status": "paid",
        **AMOUNTS,
        "shipping_address": ADDRESS,
        "items": [{"sku": "SKU-1", "name": "Mug", "quantity": 2, "unit_price": "10.00"}],
        **changes,
    }


def test_anonymous_calls_get_401(anon_client):
    assert anon_client.get(URL).status_code == 401


def test_create_order_with_customer_id(api_client, channel, customer):
    response = api_client.post(URL, _body(channel, customer.pk), format="json")

    assert response.status_code == 201, response.data
    order = Order.objects.get()
    item = order.items.get()
    assert response.data == {
        "id": order.pk,
        "channel": "web",
        "number": "1001",
        "customer": customer.pk,
        "status": "paid",
        "currency": "USD",
        **AMOUNTS,
        "shipping_address": {**ADDRESS, "country": "US"},
        "billing_address": None,
        "items": [
            {
                "id": item.pk,
                "sku": "SKU-1",
                "name": "Mug",
                "quantity": 2,
                "unit_price": "10.00",
                "custom_data": [],
            }
        ],
        "custom_data": [],
        "created_at": response.data["created_at"],
        "updated_at": response.data["updated_at"],
        "version": 1,
    }
    customer.refresh_from_db()
    assert (customer.orders_count, customer.total_spent) == (1, Decimal("26.00"))
    assert customer.last_order_id == order.pk


def test_create_order_with_customer_object_upserts_the_buyer(api_client, channel, customer):
    buyer = {"email": "BUYER@example.com", "first_name": "Ana", "phone": "+1 555 0100"}

    response = api_client.post(URL, _body(channel, buyer), format="json")

    assert response.status_code == 201, response.data
    assert response.data["customer"] == customer.pk
    customer.refresh_from_db()
    assert (customer.first_name, customer.phone, customer.orders_count) == (
        "Ana",
        "+1 555 0100",
        1,
    )


def test_customer_object_creates_the_buyer_in_the_order_channel(api_client, channel):
    ChannelFactory(code="other")
    buyer = {"email": "new@example.com", "last_name": "Buyer"}

    response = api_client.post(URL, _body(channel, buyer), format="json")

    assert response.status_code == 201, response.data
    created = Customer.objects.get(email="new@example.com")
    assert (created.channel.code, created.pk) == ("web", response.data["customer"])


def test_customer_object_with_bad_email_is_400_and_writes_nothing(api_client, channel):
    response = api_client.post(URL, _body(channel, {"email": "nope"}), format="json")

    assert response.status_code == 400
    # The customer object is checked when it is upserted (orders.services._customer_resolve).
    assert all(key.partition(".")[0] == "customer" for key in response.data)
    assert str(INVALID_EMAIL) in str(response.data)
    assert not Customer.objects.exists()
    assert not Order.objects.exists()


def test_customer_of_another_channel_is_400(api_client, channel):
    stranger = CustomerFactory(channel=ChannelFactory(code="other"))

    response = api_client.post(URL, _body(channel, stranger.pk), format="json")

    assert response.status_code == 400
    assert response.data == {"customer": [CUSTOMER_OTHER_CHANNEL]}
    assert not Order.objects.exists()


def test_duplicate_number_in_channel_is_400_naming_number(api_client, channel, customer):
    OrderFactory(customer=customer, number="1001")

    response = api_client.post(URL, _body(channel, customer.pk), format="json")

    assert response.status_code == 400
    assert response.data == {"number": [NUMBER_TAKEN]}


def test_same_number_in_another_channel_is_fine(api_client, channel, customer):
    OrderFactory(customer=CustomerFactory(channel=ChannelFactory(code="other")), number="1001")

    response = api_client.post(URL, _body(channel, customer.pk), format="json")

    assert response.status_code == 201, response.data


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"total": "-1.00"}, "total", id="negative-total"),
        pytest.param({"subtotal": "abc"}, "subtotal", id="not-a-number"),
        pytest.param({"tax_total": "1.001"}, "tax_total", id="too-many-decimals"),
        pytest.param({"status": "lost"}, "status", id="status"),
        pytest.param({"currency": "XYZ"}, "currency", id="currency"),
        pytest.param({"number": ""}, "number", id="blank-number"),
        pytest.param({"channel": "nope"}, "channel", id="unknown-channel"),
        pytest.param({"customer": "abc"}, "customer", id="customer-garbage"),
        pytest.param({"customer": 999999}, "customer", id="unknown-customer"),
        pytest.param({"customer": {"first_name": "x"}}, "customer", id="customer-no-email"),
        pytest.param({"shipping_address": "a street"}, "shipping_address", id="address-text"),
        pytest.param({"billing_address": {"country": "XX"}}, "billing_address", id="country"),
        pytest.param({"items": [{"sku": "A", "quantity": 0}]}, "items", id="quantity-zero"),
        pytest.param({"items": [{"sku": "A", "unit_price": "-1"}]}, "items", id="price-negative"),
        pytest.param({"items": [{"quantity": 1}]}, "items", id="item-without-sku"),
        pytest.param({"placed_at": "yesterday"}, "placed_at", id="placed-at"),
    ],
)
def test_invalid_order_is_400_naming_the_field(api_client, channel, customer, changes, field):
    response = api_client.post(URL, _body(channel, customer.pk, **changes), format="json")

    assert response.status_code == 400
    assert field in response.data
    assert not Order.objects.exists()


def test_required_fields_on_create(api_client):
    response = api_client.post(URL, {}, format="json")

    assert response.status_code == 400
    assert {"channel", "number", "customer"} <= set(response.data)


def test_currency_defaults_to_the_channel_and_total_to_the_parts(api_client, customer):
    channel = ChannelFactory(code="br", currency="BRL")
    buyer = CustomerFactory(channel=channel)
    body = {"channel": "br", "number": "1", "customer": buyer.pk, "shipping_total": "3.00"}
    body["items"] = [{"sku": "A", "quantity": 3, "unit_price": "2.00"}]

    response = api_client.post(URL, body, format="json")

    assert response.status_code == 201, response.data
    assert response.data["currency"] == "BRL"
    assert (response.data["subtotal"], response.data["total"]) == ("6.00", "9.00")
    assert response.data["status"] == "pending"


def test_patch_status_refreshes_statistics(api_client, customer):
    order = OrderFactory(customer=customer, total=Decimal("30.00"))
    response = api_client.patch(f"{URL}{order.pk}/", {"status": "refunded"}, format="json")

    assert response.status_code == 200, response.data
    assert response.data["status"] == "refunded"
    customer.refresh_from_db()
    assert (customer.orders_count, customer.total_spent) == (0, Decimal("0.00"))


def test_patch_customer_moves_statistics(api_client, channel, customer):
    other = CustomerFactory(channel=channel)
    created = api_client.post(URL, _body(channel, customer.pk), format="json").data

    response = api_client.patch(f"{URL}{created['id']}/", {"customer": other.pk}, format="json")

    assert response.status_code == 200, response.data
    customer.refresh_from_db()
    other.refresh_from_db()
    assert (customer.orders_count, other.orders_count) == (0, 1)
    assert other.total_spent == Decimal("26.00")


def test_put_replaces_fields_and_items(api_client, channel, customer):
    created = api_client.post(URL, _body(channel, customer.pk), format="json").data
    body = _body(channel, customer.pk, total="50.00", items=[{"sku": "NEW", "unit_price": "1"}])

    response = api_client.put(f"{URL}{created['id']}/", body, format="json")

    assert response.status_code == 200, response.data
    assert [item["sku"] for item in response.data["items"]] == ["NEW"]
    customer.refresh_from_db()
    assert customer.total_spent == Decimal("50.00")


def test_put_without_items_keeps_them(api_client, channel, customer):
    created = api_client.post(URL, _body(channel, customer.pk), format="json").data
    body = _body(channel, customer.pk)
    del body["items"]

    response = api_client.put(f"{URL}{created['id']}/", body, format="json")

    assert response.status_code == 200, response.data
    assert response.data["items"] == created["items"]


def test_changing_channel_is_400(api_client, customer):
    order = OrderFactory(customer=customer)
    ChannelFactory(code="other")

    response = api_client.patch(f"{URL}{order.pk}/", {"channel": "other"}, format="json")

    assert response.status_code == 400
    assert response.data == {"channel": [CHANNEL_IMMUTABLE]}


def test_patch_number_to_a_taken_one_is_400(api_client, customer):
    OrderFactory(customer=customer, number="A")
    order = OrderFactory(customer=customer, number="B")

    response = api_client.patch(f"{URL}{order.pk}/", {"number": "A"}, format="json")

    assert response.status_code == 400
    assert response.data == {"number": [NUMBER_TAKEN]}


def test_delete_refreshes_statistics(api_client, customer):
    created = api_client.post(URL, _body(customer.channel, customer.pk), format="json").data

    response = api_client.delete(f"{URL}{created['id']}/")

    assert response.status_code == 204
    customer.refresh_from_db()
    assert (customer.orders_count, customer.last_order_id, customer.total_spent_currency) == (
        0,
        None,
        "",
    )


def test_detail_lists_order_and_item_custom_data(api_client, customer):
    order = OrderFactory(customer=customer)
    item = OrderItemFactory(order=order)
    on_order = OrderCustomDataFactory(order=order, name="gift", value="yes")
    on_item = OrderCustomDataFactory(order=order, item=item, name="engraving", value="A")

    response = api_client.get(f"{URL}{order.pk}/")

    assert [row["id"] for row in response.data["custom_data"]] == [on_order.pk]
    assert response.data["custom_data"][0]["item"] is None
    assert response.data["items"][0]["custom_data"][0]["id"] == on_item.pk
    assert response.data["items"][0]["custom_data"][0]["item"] == item.pk


def test_list_has_no_n_plus_one(api_client, list_read_within):
    for _ in range(6):
        order = OrderFactory()
        OrderCustomDataFactory(order=order)
        for _ in range(2):
            OrderCustomDataFactory(order=order, item=OrderItemFactory(order=order))

    # channel scope (x2), permissions (x2), count, orders + channel, order custom data,
    # items, item custom data: the same for any page size
    response = list_read_within(api_client, URL, queries=9, count=6)

    assert all(len(row["items"]) == 2 for row in response.data["results"])


@pytest.fixture
def orders(channel, customer):
    other_channel = ChannelFactory(code="other")
    stranger = CustomerFactory(channel=other_channel, email="stranger@example.com")
    return {
        "a": OrderFactory(
            customer=customer, number="A", total=Decimal("10"), placed_at="2024-01-01T10:00Z"
        ),
        "b": OrderFactory(
            customer=customer,
            number="B",
            total=Decimal("50"),
            status="cancelled",
            placed_at="2024-02-01T10:00Z",
        ),
        "c": OrderFactory(
            customer=stranger, number="C", total=Decimal("99"), placed_at="2024-03-01T10:00Z"
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"channel": "web"}, ["B", "A"], id="channel"),
        pytest.param({"channel__in": "web,other"}, ["C", "B", "A"], id="channel-in"),
        pytest.param({"number": "C"}, ["C"], id="number"),
        pytest.param({"status": "cancelled"}, ["B"], id="status"),
        pytest.param({"status__in": "paid,cancelled"}, ["C", "B", "A"], id="status-in"),
        pytest.param({"placed_at__gte": "2024-02-01T10:00:00Z"}, ["C", "B"], id="placed-gte"),
        pytest.param({"placed_at__lt": "2024-02-01T10:00:00Z"}, ["A"], id="placed-lt"),
        pytest.param({"placed_at__date": "2024-03-01"}, ["C"], id="placed-date"),
        pytest.param({"total__gt": "10"}, ["C", "B"], id="total-gt"),
        pytest.param({"total__lte": "50"}, ["B", "A"], id="total-lte"),
        pytest.param({"email": "Stranger@Example.com"}, ["C"], id="email"),
        pytest.param({"ordering": "total"}, ["A", "B", "C"], id="ordering"),
        pytest.param({"ordering": "-number"}, ["C", "B", "A"], id="ordering-desc"),
    ],
)
def test_filters_and_ordering(api_client, orders, params, expected):
    response = api_client.get(URL, params)

    assert response.status_code == 200, response.data
    assert [row["number"] for row in response.data["results"]] == expected


def test_customer_filter(api_client, orders, customer):
    response = api_client.get(URL, {"customer": customer.pk})
    assert [row["number"] for row in response.data["results"]] == ["B", "A"]


@pytest.mark.parametrize(
    "params",
    [
        {"placed_at__gte": "soon"},
        {"total__gt": "lots"},
        {"customer": "x"},
        {"status": "lost"},
        {"ordering": "nope"},
        {"fields": "nope"},
    ],
)
def test_bad_filter_values_are_400(api_client, orders, params):
    assert api_client.get(URL, params).status_code == 400


def test_sparse_fields(api_client, orders):
    response = api_client.get(f"{URL}{orders['a'].pk}/", {"fields": "id,number,total"})
    assert response.data == {"id": orders["a"].pk, "number": "A", "total": "10.00"}


def test_channel_scoped_user_sees_only_its_channels(api_client, api_user, orders, channel):
    channel.api_users.add(api_user)

    listing = api_client.get(URL)
    hidden = api_client.get(f"{URL}{orders['c'].pk}/")

    assert [row["number"] for row in listing.data["results"]] == ["B", "A"]
    assert hidden.status_code == 404


def test_channel_scoped_user_cannot_create_in_other_channels(api_client, api_user, channel):
    channel.api_users.add(api_user)
    other = ChannelFactory(code="other")
    buyer = CustomerFactory(channel=other)

    response = api_client.post(URL, _body(other, buyer.pk), format="json")

    assert response.status_code == 400
    assert "channel" in response.data


def test_schema_builds_without_warnings():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_put_with_an_item_id_of_another_order_is_400(api_client, channel, customer):
    created = api_client.post(URL, _body(channel, customer.pk), format="json").data
    foreign = OrderItemFactory()
    body = _body(channel, customer.pk, items=[{"id": foreign.pk, "sku": "X"}])

    response = api_client.put(f"{URL}{created['id']}/", body, format="json")

    assert response.status_code == 400
    assert "items" in response.data
    assert Order.objects.get(pk=created["id"]).items.count() == 1


def test_put_item_by_id_keeps_its_price_and_custom_data(api_client, channel, customer):
    created = api_client.post(URL, _body(channel, customer.pk), format="json").data
    item_id = created["items"][0]["id"]
    api_client.post(
        f"{URL}{created['id']}/items/{item_id}/custom-data/",
        {"name": "engraving", "value": "AB"},
        format="json",
    )

    body = _body(channel, customer.pk, items=[{"id": item_id, "sku": "SKU-1", "quantity": 5}])

    response = api_client.put(f"{URL}{created['id']}/", body, format="json")

    assert response.status_code == 200, response.data
    assert response.data["items"][0]["quantity"] == 5
    assert response.data["items"][0]["unit_price"] == "10.00"
    assert response.data["items"][0]["custom_data"][0]["name"] == "engraving"


def test_a_customer_object_needs_the_customer_write_permissions():
    """Without customers.add/change_customer an order may name its customer by id only."""
    # given: an integrator allowed to write orders but not customers
    ChannelFactory(code="web")
    user = get_user_model().objects.create_user("orders-only", password="pw-orders-123")
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="orders"))
    client = APIClient()
    client.force_authenticate(user)
    body = {"channel": "web", "number": "P-1", "customer": {"email": "new@example.com"}}

    # when
    response = client.post(URL, body, format="json")

    # then
    assert response.status_code == 403
    assert response.data == {"detail": CUSTOMER_OBJECT_FORBIDDEN}
    assert not Customer.objects.exists()
