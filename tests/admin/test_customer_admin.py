import datetime
from decimal import Decimal

import pytest

from customers.models import Address, Customer
from customers.validation import DISCOUNT_RANGE, EMAIL_TAKEN, INVALID_COUNTRY
from groups.models import UserCustomerGroup
from tests.admin.helpers import (
    CUSTOMER_ADD,
    CUSTOMERS,
    address_form,
    customer_change_url,
    customer_form,
)
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return CustomerFactory(
        email="ana@example.com",
        first_name="Ana",
        last_name="Silva",
        phone="+55 11 5555 0001",
        identification="ID-778899",
        erp_code="ERP-42",
    )


def _emails(response) -> list[str]:
    return [customer.email for customer in response.context["cl"].result_list]


def test_changelist_shows_the_daily_columns(staff_client, customer):
    OrderFactory(customer=customer)
    Customer.objects.filter(pk=customer.pk).update(
        orders_count=1,
        total_spent=Decimal("1234.5"),
        total_spent_currency="BRL",
        last_order_at=datetime.datetime(2026, 3, 9, 14, 5, tzinfo=datetime.UTC),
    )

    response = staff_client.get(CUSTOMERS)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<td class="field-name">Ana Silva</td>' in html
    assert '<td class="field-orders_count">1</td>' in html
    assert '<td class="field-total_spent_display">1,234.50 BRL</td>' in html
    assert '<td class="field-last_order_short">2026-03-09 14:05</td>' in html
    assert customer.channel.code in html


@pytest.mark.parametrize(
    ("term", "found"),
    [
        pytest.param("ana@example.com", True, id="email-exact"),
        pytest.param("ANA@EXA", True, id="email-prefix-any-case"),
        pytest.param("silva", True, id="last-name-contains"),
        pytest.param("an", True, id="short-first-name-prefix"),
        pytest.param("Ana Silva", True, id="full-name"),
        pytest.param("5555 0001", True, id="phone"),
        pytest.param("778899", True, id="identification-contains"),
        pytest.param("ERP-42", True, id="erp-code-exact"),
        pytest.param("ERP-4", False, id="erp-code-not-partial"),
        pytest.param("nobody", False, id="no-match"),
    ],
)
def test_search(staff_client, customer, term, found):
    CustomerFactory(email="other@example.com", first_name="Zed", last_name="Zulu", phone="1")

    response = staff_client.get(CUSTOMERS, {"q": term})

    assert response.status_code == 200
    assert _emails(response) == (["ana@example.com"] if found else [])


def test_search_by_id(staff_client, customer):
    response = staff_client.get(CUSTOMERS, {"q": str(customer.pk)})
    assert "ana@example.com" in _emails(response)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"status__exact": "frozen"}, ["cid@example.com"], id="status"),
        pytest.param({"gender__exact": "female"}, ["ann@example.com"], id="gender"),
        pytest.param({"user_type__exact": "guest"}, ["bob@sample.org"], id="user-type"),
        pytest.param({"email_allowed__exact": "1"}, ["ann@example.com"], id="consent"),
        pytest.param({"has_orders": "yes"}, ["ann@example.com"], id="has-orders"),
        pytest.param(
            {"has_orders": "no"}, ["cid@example.com", "bob@sample.org"], id="has-no-orders"
        ),
    ],
)
def test_filters(staff_client, people, params, expected):
    response = staff_client.get(CUSTOMERS, params)

    assert response.status_code == 200
    assert _emails(response) == expected


def test_group_and_channel_filters(staff_client):
    member = UserCustomerGroupFactory(group=UserGroupFactory(code="vip")).customer
    CustomerFactory()

    by_group = staff_client.get(CUSTOMERS, {"group": member.memberships.get().group_id})
    by_channel = staff_client.get(CUSTOMERS, {"channel__id__exact": member.channel_id})

    assert _emails(by_group) == [member.email]
    assert _emails(by_channel) == [member.email]


def test_date_hierarchy(staff_client, customer):
    year = customer.created_at.year
    assert _emails(staff_client.get(CUSTOMERS, {"created_at__year": year})) == [customer.email]


def test_changelist_query_count_does_not_grow_with_rows(
    staff_client, django_assert_max_num_queries
):
    for channel in ChannelFactory.create_batch(3):
        CustomerFactory.create_batch(5, channel=channel)
    UserGroupFactory.create_batch(3)

    # session, user, (row estimate on PostgreSQL), count, page, channel and group filter
    # choices, date hierarchy (2)
    with django_assert_max_num_queries(11):
        response = staff_client.get(CUSTOMERS)
    assert len(response.context["cl"].result_list) == 15


def test_change_page_shows_statistics_and_orders_link(staff_client, customer):
    order = OrderFactory(customer=customer)
    Customer.objects.filter(pk=customer.pk).update(orders_count=1, last_order=order)

    response = staff_client.get(customer_change_url(customer))

    html = response.content.decode()
    assert response.status_code == 200
    assert f"/admin/orders/order/?customer__id__exact={customer.pk}" in html
    assert f"/admin/orders/order/{order.pk}/change/" in html
    orders = staff_client.get(f"/admin/orders/order/?customer__id__exact={customer.pk}")
    assert [o.pk for o in orders.context["cl"].result_list] == [order.pk]


def test_change_page_query_count_does_not_grow_with_inlines(
    staff_client, customer, django_assert_max_num_queries
):
    AddressFactory.create_batch(4, customer=customer)
    for group in UserGroupFactory.create_batch(4):
        UserCustomerGroupFactory(customer=customer, group=group)

    # 12, and whether the staff user is limited to some channels (asked once per request)
    with django_assert_max_num_queries(13):
        assert staff_client.get(customer_change_url(customer)).status_code == 200


def test_add_customer_goes_through_the_service(staff_client):
    channel = ChannelFactory()
    data = customer_form(
        channel=channel.code,
        email="  New.Person@Example.COM ",
        addresses=[address_form(city="Lisbon", country="pt")],
    )

    response = staff_client.post(CUSTOMER_ADD, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = Customer.objects.get(email="new.person@example.com")
    address = customer.addresses.get()
    assert (address.country, address.is_default) == ("PT", True)


def test_edit_customer_with_an_address_and_a_group(staff_client, customer):
    group = UserGroupFactory(code="vip")
    data = customer_form(
        customer,
        first_name="Anabela",
        addresses=[address_form(city="Porto", country="PT")],
        memberships=[{"group": str(group.pk), "subscribed": "on", "attributes": "{}"}],
    )

    response = staff_client.post(customer_change_url(customer), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.first_name == "Anabela"
    assert customer.addresses.get().city == "Porto"
    assert list(customer.memberships.values_list("group__code", flat=True)) == ["vip"]


def test_a_new_default_address_moves_the_flag_like_the_api(staff_client, customer):
    old = AddressFactory(customer=customer, is_default=True)
    data = customer_form(
        customer,
        addresses=[address_form(old), address_form(city="New", country="US", is_default="on")],
    )

    response = staff_client.post(customer_change_url(customer), data)

    assert response.status_code == 302
    assert list(Address.objects.filter(is_default=True).values_list("city", flat=True)) == ["New"]


def test_removing_a_membership_inline(staff_client, customer):
    membership = UserCustomerGroupFactory(customer=customer)
    row = {"id": str(membership.pk), "customer": str(customer.pk), "DELETE": "on"}
    row |= {"group": str(membership.group_id), "attributes": "{}"}

    response = staff_client.post(
        customer_change_url(customer), customer_form(customer, memberships=[row])
    )

    assert response.status_code == 302
    assert not UserCustomerGroup.objects.exists()


def _api_put(api_client, customer, **changes):
    body = {"channel": customer.channel.code, "email": customer.email, **changes}
    return api_client.put(f"/api/v1/customers/{customer.pk}/", body, format="json")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        pytest.param({"email": "TAKEN@example.com"}, "email", str(EMAIL_TAKEN), id="email-case"),
        pytest.param(
            {"discount_percent": "101"}, "discount_percent", str(DISCOUNT_RANGE), id="discount"
        ),
        pytest.param(
            {"email": "not-an-email"}, "email", "Enter a valid email address.", id="bad-email"
        ),
    ],
)
def test_admin_refuses_what_the_api_refuses(
    staff_client, api_client, customer, changes, field, message
):
    CustomerFactory(channel=customer.channel, email="taken@example.com")

    admin_response = staff_client.post(
        customer_change_url(customer), customer_form(customer, **changes)
    )
    api_response = _api_put(api_client, customer, **changes)

    assert admin_response.status_code == 200
    assert admin_response.context["adminform"].form.errors[field] == [message]
    assert api_response.status_code == 400
    assert message in str(api_response.json()[field])
    customer.refresh_from_db()
    assert customer.email == "ana@example.com"


def test_admin_refuses_a_bad_country_like_the_api(staff_client, api_client, customer):
    data = customer_form(customer, addresses=[address_form(city="X", country="XX")])

    response = staff_client.post(customer_change_url(customer), data)
    api = api_client.post(
        f"/api/v1/customers/{customer.pk}/addresses/", {"country": "XX"}, format="json"
    )

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[0]["country"] == [
        INVALID_COUNTRY
    ]
    assert api.status_code == 400
    assert api.json()["country"] == [INVALID_COUNTRY]
    assert not Address.objects.exists()


def test_channel_is_read_only_on_change(staff_client, customer):
    other = ChannelFactory()
    data = customer_form(customer, channel=str(other.pk))

    staff_client.post(customer_change_url(customer), data)

    customer.refresh_from_db()
    assert customer.channel_id != other.pk


def test_date_hierarchy_lists_periods_without_a_distinct_scan(
    staff_client, django_assert_max_num_queries
):
    import datetime

    from django.utils import timezone

    for year in (2021, 2023):
        CustomerFactory(created_at=timezone.make_aware(datetime.datetime(year, 5, 17)))

    with django_assert_max_num_queries(11) as queries:
        response = staff_client.get(CUSTOMERS)

    assert not any("DISTINCT" in query["sql"] for query in queries.captured_queries)
    html = response.content.decode()
    for year in (2021, 2022, 2023):
        assert f"?created_at__year={year}" in html
    months = staff_client.get(CUSTOMERS, {"created_at__year": 2021}).content.decode()
    assert "created_at__month=5" in months
    days = staff_client.get(CUSTOMERS, {"created_at__year": 2021, "created_at__month": 5})
    assert "created_at__day=17" in days.content.decode()


def test_counts_stop_at_the_cap(staff_client, monkeypatch):
    from config import admin as config_admin

    monkeypatch.setattr(config_admin, "COUNT_CAP", 3)
    # Two channels: with one, the admin shows no channel filter and ignores its parameter
    # (the list would be unfiltered, counted from PostgreSQL's row estimate, not capped).
    channel, _other = ChannelFactory(), ChannelFactory()
    CustomerFactory.create_batch(5, channel=channel)

    response = staff_client.get(CUSTOMERS, {"channel__id__exact": channel.pk})

    assert "more than 3 customers" in " ".join(response.content.decode().split())
