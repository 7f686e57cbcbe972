from decimal import Decimal

import pytest
from django.urls import reverse

from customers.validation import INVALID_COUNTRY, INVALID_CURRENCY
from orders.models import Order, OrderCustomData
from orders.services import (
    CUSTOM_DATA_NAME_IMMUTABLE,
    CUSTOM_DATA_NAME_TAKEN,
    NUMBER_TAKEN,
    customer_stats_recompute,
)
from orders.validation import MIN_VALUE
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


def _inline_errors(response, prefix: str) -> list[dict]:
    (formset,) = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == prefix
    ]
    return [{field: list(messages) for field, messages in form.errors.items()} for form in formset]


def _inline(prefix: str, rows: list[dict], *, initial: int = 0) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data


def test_admin_refuses_bad_items_with_the_services_messages(staff_client):
    # given
    order = OrderFactory(total=Decimal("100.00"))
    item = OrderItemFactory(order=order, sku="KEEP", quantity=2, unit_price=Decimal("5.00"))
    items = [
        {"id": item.pk, "order": order.pk, "sku": "KEEP", "quantity": "0", "unit_price": "5"},
        {"sku": "NEW", "quantity": "1", "unit_price": "-1"},
        {"sku": " ", "quantity": "1", "unit_price": "1"},
    ]
    form = _form(order, number=order.number, total="1.00", **_inline("items", items, initial=1))

    # when
    response = staff_client.post(reverse("admin:orders_order_change", args=[order.pk]), form)

    # then
    assert response.status_code == 200
    assert _inline_errors(response, "items") == [
        {"quantity": [MIN_VALUE.format(limit=1)]},
        {"unit_price": [MIN_VALUE.format(limit=0)]},
        {"sku": ["This field is required."]},
    ]
    item.refresh_from_db()
    order.refresh_from_db()
    assert (item.quantity, order.items.count(), order.total) == (2, 1, Decimal("100.00"))


@pytest.mark.parametrize(
    ("rows", "errors"),
    [
        pytest.param(
            [{"name": "gift", "value": "again"}],
            [{}, {"name": [CUSTOM_DATA_NAME_TAKEN]}],
            id="name-of-a-stored-record",
        ),
        pytest.param(
            [{"name": "note", "value": "a"}, {"name": "note", "value": "b"}],
            [{}, {}, {"name": [CUSTOM_DATA_NAME_TAKEN]}],
            id="name-twice-in-one-submission",
        ),
    ],
)
def test_admin_refuses_a_duplicate_custom_data_name(staff_client, rows, errors):
    order = OrderFactory()
    record = OrderCustomDataFactory(order=order, name="gift", value="yes")
    stored = {"id": record.pk, "order": order.pk, "name": "gift", "value": "yes"}
    form = _form(order, number=order.number, **_inline("custom_data", [stored, *rows], initial=1))

    response = staff_client.post(reverse("admin:orders_order_change", args=[order.pk]), form)

    assert response.status_code == 200
    assert _inline_errors(response, "custom_data") == errors
    assert list(OrderCustomData.objects.values_list("name", "value")) == [("gift", "yes")]


def test_admin_refuses_renaming_a_custom_data_record(staff_client):
    order = OrderFactory()
    record = OrderCustomDataFactory(order=order, name="gift", value="yes")
    renamed = {"id": record.pk, "order": order.pk, "name": "present", "value": "yes"}
    form = _form(order, number=order.number, **_inline("custom_data", [renamed], initial=1))

    response = staff_client.post(reverse("admin:orders_order_change", args=[order.pk]), form)

    assert _inline_errors(response, "custom_data") == [{"name": [CUSTOM_DATA_NAME_IMMUTABLE]}]
    record.refresh_from_db()
    assert record.name == "gift"


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        pytest.param({"total": "-1"}, {"total": [MIN_VALUE.format(limit=0)]}, id="negative"),
        pytest.param({"currency": "xx"}, {"currency": [INVALID_CURRENCY]}, id="currency"),
        pytest.param(
            {"shipping_address": '{"country": "XX"}'},
            {"shipping_address": [INVALID_COUNTRY]},
            id="address-country",
        ),
        pytest.param({"number": "TAKEN"}, {"number": [NUMBER_TAKEN]}, id="number-taken"),
    ],
)
def test_admin_order_form_shows_the_services_messages(staff_client, changes, errors):
    order = OrderFactory(total=Decimal("100.00"))
    OrderFactory(customer=order.customer, number="TAKEN")
    form = _form(order, **{"number": order.number, **changes})

    response = staff_client.post(reverse("admin:orders_order_change", args=[order.pk]), form)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == errors
    order.refresh_from_db()
    assert order.total == Decimal("100.00")


def test_admin_inlines_write_through_the_services(staff_client):
    # given
    order = OrderFactory()
    kept = OrderItemFactory(order=order, sku="KEEP", quantity=1, unit_price=Decimal("5.00"))
    gone = OrderItemFactory(order=order, sku="GONE")
    record = OrderCustomDataFactory(order=order, name="gift", value="yes")
    items = [
        {"id": kept.pk, "order": order.pk, "sku": " KEEP ", "quantity": "3", "unit_price": "5"},
        {"id": gone.pk, "order": order.pk, "sku": "GONE", "quantity": "1", "DELETE": "on"},
        {"sku": "NEW", "name": "Mug", "quantity": "2", "unit_price": "1.50"},
    ]
    custom_data = [
        {"id": record.pk, "order": order.pk, "name": "gift", "value": "no"},
        {"name": "note", "value": "fragile"},
    ]
    form = _form(
        order,
        number=order.number,
        **_inline("items", items, initial=2),
        **_inline("custom_data", custom_data, initial=1),
    )

    # when
    response = staff_client.post(reverse("admin:orders_order_change", args=[order.pk]), form)

    # then
    assert response.status_code == 302
    assert list(order.items.values_list("id", "sku", "quantity")) == [
        (kept.pk, "KEEP", 3),
        (order.items.get(sku="NEW").pk, "NEW", 2),
    ]
    assert list(order.custom_data.values_list("name", "value")) == [
        ("gift", "no"),
        ("note", "fragile"),
    ]
    assert record.history.count() == 2  # updated by the service, which keeps the history


def test_add_in_admin_with_items_and_custom_data(staff_client):
    customer = CustomerFactory()
    items = [{"sku": "A", "quantity": "2", "unit_price": "5.00"}]
    custom_data = [{"name": "gift", "value": "yes"}]
    form = _form(customer, **_inline("items", items), **_inline("custom_data", custom_data))

    response = staff_client.post(ADD, form)

    assert response.status_code == 302, response.context["adminform"].errors
    order = Order.objects.get()
    assert list(order.items.values_list("sku", "quantity")) == [("A", 2)]
    assert list(order.custom_data.values_list("name", "value")) == [("gift", "yes")]


def test_custom_data_admin_writes_through_the_services(staff_client):
    order = OrderFactory()
    OrderCustomDataFactory(order=order, name="gift", value="yes")
    add = reverse("admin:orders_ordercustomdata_add")

    taken = staff_client.post(add, {"order": order.pk, "name": "gift", "value": "again"})
    created = staff_client.post(add, {"order": order.pk, "name": "note", "value": "fragile"})

    assert taken.context["adminform"].form.errors == {"name": [CUSTOM_DATA_NAME_TAKEN]}
    assert created.status_code == 302
    record = OrderCustomData.objects.get(name="note")
    change = reverse("admin:orders_ordercustomdata_change", args=[record.pk])
    renamed = {"name": "other", "value": "handle with care"}  # the name is read-only
    assert staff_client.post(change, renamed).status_code == 302
    record.refresh_from_db()
    assert (record.name, record.value, record.history.count()) == ("note", "handle with care", 2)


def test_changelist_shows_totals_with_currency_and_short_dates(staff_client):
    import datetime

    OrderFactory(
        customer=CustomerFactory(channel=ChannelFactory(code="br-web", currency="BRL")),
        number="WEB-00000969",
        currency="BRL",
        total=Decimal("1234.56"),
        placed_at=datetime.datetime(2026, 3, 9, 14, 5, tzinfo=datetime.UTC),
    )

    html = staff_client.get(CHANGELIST).content.decode()

    assert '<td class="field-total_display">1,234.56 BRL</td>' in html
    assert '<td class="field-placed_at_short">2026-03-09 14:05</td>' in html


def test_change_page_titles_the_order_and_shows_its_addresses_part_by_part(staff_client):
    order = OrderFactory(
        customer=CustomerFactory(channel=ChannelFactory(code="br-web")),
        number="WEB-00000969",
        currency="BRL",
        total=Decimal("1234.56"),
        shipping_address={"address": "Rua das Flores", "number": "12", "city": "Curitiba"},
        billing_address=None,
    )

    response = staff_client.get(reverse("admin:orders_order_change", args=[order.pk]))

    html = response.content.decode()
    assert "<title>WEB-00000969 (br-web)" in html
    assert "<tr><th>Address</th><td>Rua das Flores</td></tr>" in html
    assert "<tr><th>City</th><td>Curitiba</td></tr>" in html
    assert "1,234.56 BRL" in html
    # the JSON box behind, indented for editing
    assert "\n  &quot;address&quot;: &quot;Rua das Flores&quot;" in html  # keys in any order


def test_order_fieldsets_show_every_written_field():
    from django.contrib import admin

    from orders.models import ORDER_FIELDS

    order_admin = admin.site._registry[Order]
    shown = set()
    for _, options in order_admin.fieldsets:
        for entry in options["fields"]:
            shown.update(entry if isinstance(entry, tuple) else (entry,))
    assert set(ORDER_FIELDS) <= shown
