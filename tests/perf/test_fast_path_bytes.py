"""Every fast path of the customer reads answers the bytes the plain DRF path answers.

The plain path is the same API with the speed-ups switched off: model instances instead of
values rows for list pages, DRF's Serializer.to_representation instead of
FastRepresentationMixin's plan, each address represented where it appears (not once per row for
`addresses`, `default_address` and `billing_address`), ModelSerializer.get_fields instead of
the cached template, and DRF's JSONRenderer instead of orjson; on PostgreSQL, list pages
written by the database (config.json_rows) instead of any serializer. Customers vary in every
field: nulls and blanks, unicode (accents, CJK, emoji, the JavaScript line separators, control
characters, whitespace Python strips at the ends of a name), decimals at their bounds, dates and
datetimes with and without microseconds at the years' bounds, JSON attributes, every status,
0–3 addresses, groups whose codes sort differently by code point and by a language's rules,
and orders.
"""

import datetime
import random
import sys
import zoneinfo
from decimal import Decimal

import orjson
import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone
from rest_framework import mixins, serializers
from rest_framework.renderers import JSONRenderer

from config.json_rows import PYTHON_WHITESPACE
from config.rest import CachedFieldsMixin, FastJSONRenderer, FastRepresentationMixin
from config.written_rows import WrittenRowsMixin
from customers.api.serializers import CustomerAddressListSerializer, CustomerSerializer
from customers.api.views import CustomerViewSet
from customers.models import Channel, Customer
from groups.models import UserCustomerGroup, UserGroup
from orders.api.serializers import OrderOutputSerializer
from orders.models import Order
from tests.conftest import api_client_for
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, group_chain
from tests.orders.factories import OrderCustomDataFactory, OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"
EVERY_EXPANSION = "recent_orders,recent_addresses,phones,memberships"
TEXTS = [
    "",
    "Ana",
    "José Ñúñez",
    "李小龙",
    "emoji 🎉 ok",
    "line\u2028sep\u2029x",
    'quote " \\',
    "a" * 80,
    " \tpadded\u3000 ",
    "\u2028edge\u2029",
    "ctl \x01\x1f\x7f\b\f\n\r\t end",
    "\x85nel\xa0",
]
DECIMALS = [Decimal("0"), Decimal("0.01"), Decimal("12.50"), Decimal("99.99"), Decimal("100.00")]
TOTALS = [Decimal("0"), Decimal("0.10"), Decimal("123456789.99"), Decimal("99999999999999.99")]
MOMENTS = [
    None,
    datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
    datetime.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=datetime.UTC),
    datetime.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=datetime.UTC),
    datetime.datetime(2, 1, 1, 0, 0, 0, 500000, tzinfo=datetime.UTC),
    datetime.datetime(9998, 12, 31, 23, 59, 59, tzinfo=datetime.UTC),
    datetime.datetime(2024, 6, 1, 9, 30, tzinfo=zoneinfo.ZoneInfo("America/Sao_Paulo")),
]
DAYS = [
    None,
    datetime.date(2, 1, 1),
    datetime.date(1900, 1, 1),
    datetime.date(1990, 5, 17),
    datetime.date(9998, 12, 31),
]
ATTRIBUTES = [
    {},
    {"tier": "gold", "n": 2},
    {"x": [1, None, True, 2.5], "ü": {"深": "é"}},
    {"s": 'ctl\x01\u2028 "q" \\', "big": 2**63 - 1, "low": -(2**63), "f": 0.1, "e": [[], {}]},
]
PLACED = [
    datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
    datetime.datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=datetime.UTC),
    datetime.datetime(2030, 6, 1, 12, tzinfo=datetime.UTC),
]
# Order address snapshots: none, empty, partial, blank parts, text Python strips or escapes.
SNAPSHOTS = [
    None,
    {},
    {"address": "Rua A", "number": "12", "city": "São Paulo", "country": "BR"},
    {"address": "", "number": "7", "address2": "", "locality": "Centro", "province": "SP"},
    {"address": "Rua A", "number": "12", "city": "São Paulo", "country": "BR"},
    {"city": 'ctl \x01 "q" \\ \u2028', "country": "US", "first_name": "not in the line"},
    {"address": " ", "number": ""},
]
PARAMS = {
    "plain": {},
    "per_page=200": {"per_page": 200},
    "fields subset": {"fields": "id,channel,name,groups,default_address,has_password,is_active"},
    "fields scalars": {"fields": "id,email,total_spent,last_login_at,date_of_birth,attributes"},
    "fields addresses": {"fields": "id,addresses,billing_address"},
    "expand memberships": {"expand": "memberships"},
    "every expansion": {"expand": EVERY_EXPANSION},
    "fields and expansions": {"fields": "id,phone", "expand": "phones,recent_addresses"},
    "ordering": {"ordering": "-total_spent,id", "per_page": 7, "page": 2},
    "since_id": {"since_id": 0, "per_page": 7},
    "filtered": {"channel": "store-é", "status__in": "active,frozen"},
    "fields with a JSON column last": {"fields": "extra_field,id,attributes"},
}


@pytest.fixture
def varied_customers():
    """40 customers, each field cycling through its own list of awkward values."""
    pick = random.Random(21).choice
    channels = [ChannelFactory(code="web"), ChannelFactory(code="store-é")]
    # By code point "Zeta" < "_x" < "alpha"; by a language's collation "alpha" comes first.
    groups = group_chain("retail", "vip") + group_chain("Zeta") + group_chain("alpha", "_x")
    customers = []
    for n in range(40):
        customer = CustomerFactory(
            channel=channels[n % 2],
            email=f"c{n}@example.com",
            username=pick([None, f"user{n}", f"ユーザー{n}"]),
            first_name=pick(TEXTS),
            last_name=pick(TEXTS),
            company=pick(TEXTS),
            phone=pick(["", "+1 555 0100", "+55 (11) 9999-0000"]),
            phone_secondary=pick(["", "+1 555 0199"]),
            note=pick(TEXTS),
            status=pick(list(Customer.Status.values)),
            gender=pick(list(Customer.Gender.values)),
            date_of_birth=pick(DAYS),
            email_allowed=pick([True, False]),
            sms_allowed=pick([True, False]),
            discount_percent=pick(DECIMALS),
            attributes=pick(ATTRIBUTES),
            extra_field=pick(ATTRIBUTES),
            last_login_at=pick(MOMENTS),
            password=pick(["", make_password("a long enough password 1")]),
        )
        Customer.objects.filter(pk=customer.pk).update(
            total_spent=pick(TOTALS), first_order_at=pick(MOMENTS), orders_count=n % 4
        )
        for index in range(n % 4):
            AddressFactory(
                customer=customer,
                first_name=pick(TEXTS),
                country=pick(["", "BR", "US"]),
                phone=pick(["", f"+1 555 02{n:02}"]),
                is_default=index == 0 and n % 3 != 0,
                is_billing=index == (0 if n % 5 == 0 else 1),
            )
        for group in groups[n % 2 :: 2][: n % 4]:
            UserCustomerGroupFactory(customer=customer, group=group, attributes=pick(ATTRIBUTES))
        if n % 4 == 1:
            for index in range(n % 9):  # 0–8 orders: more than the five recent ones
                OrderFactory(
                    customer=customer,
                    number=pick(["ORD-1", "ñ-1", 'q"\\-1']) + f"-{n}-{index}",
                    total=pick(TOTALS[:3] + [Decimal("999999999999.99")]),
                    status=pick(list(Order.Status.values)),
                    placed_at=pick(PLACED),  # repeated moments: ties broken by id
                    shipping_address=pick(SNAPSHOTS),
                    billing_address=pick(SNAPSHOTS),
                )
        customers.append(customer)
    return customers


@pytest.fixture
def plain_drf(monkeypatch):
    """Switch every speed-up of the customer reads off: what DRF alone answers."""

    def switch_off():
        monkeypatch.setattr(CustomerViewSet, "list", mixins.ListModelMixin.list)
        monkeypatch.setattr(WrittenRowsMixin, "detail_written_by_database", lambda self: None)
        monkeypatch.setattr(WrittenRowsMixin, "list_written_by_database", lambda self, rows: None)
        monkeypatch.setattr(
            FastRepresentationMixin,
            "to_representation",
            lambda self, instance: serializers.Serializer.to_representation(self, instance),
        )
        monkeypatch.setattr(
            CachedFieldsMixin,
            "get_fields",
            lambda self: serializers.ModelSerializer.get_fields(self),
        )
        monkeypatch.setattr(FastJSONRenderer, "render", JSONRenderer.render)
        monkeypatch.setattr(
            CustomerAddressListSerializer,
            "to_representation",
            serializers.ListSerializer.to_representation,
        )
        monkeypatch.setattr(
            CustomerSerializer,
            "address_representation",
            lambda self, address: self._address_serializer.to_representation(address),
        )

    return switch_off


HEADERS = ("Content-Type", "ETag", "X-Total-Count", "X-Total-Count-Estimate", "Link")


def _answer(client, url, params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    headers = {name: response.headers.get(name) for name in HEADERS}
    return response.content, headers


@pytest.mark.parametrize("params", list(PARAMS.values()), ids=list(PARAMS))
def test_list_pages_are_byte_identical_to_plain_drf(
    api_client, varied_customers, plain_drf, params
):
    fast = _answer(api_client, URL, params)
    plain_drf()
    plain = _answer(api_client, URL, params)

    assert fast == plain
    assert b'"results":[{' in fast[0]


@pytest.mark.parametrize("params", list(PARAMS.values())[2:], ids=list(PARAMS)[2:])
def test_details_are_byte_identical_to_plain_drf(api_client, varied_customers, plain_drf, params):
    params = {name: value for name, value in params.items() if name in ("fields", "expand")}
    urls = [f"{URL}{customer.pk}/" for customer in varied_customers[:12]]
    fast = [_answer(api_client, url, params) for url in urls]
    plain_drf()
    plain = [_answer(api_client, url, params) for url in urls]

    assert fast == plain
    assert all(headers["ETag"] for _, headers in fast)


def test_head_with_fields_answers_as_get_does(api_client, varied_customers):
    """HEAD represents every field (fields= is for GET): the rows read must hold them all."""
    for url in (URL, f"{URL}{varied_customers[3].pk}/"):
        head = api_client.head(url, {"fields": "id"})
        get = api_client.get(url)

        assert head.status_code == 200
        assert head.headers.get("ETag") == get.headers.get("ETag")
        assert head.headers.get("X-Total-Count") == get.headers.get("X-Total-Count")


POSTGRESQL = connection.vendor == "postgresql"


@pytest.mark.skipif(not POSTGRESQL, reason="list pages are written by PostgreSQL only")
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"fields": "id,name,addresses"},
        {"since_id": 0},
        {"expand": EVERY_EXPANSION},
        {"fields": "id,phone", "expand": "phones,recent_addresses"},
    ],
)
def test_pages_and_details_are_written_without_a_serializer_on_postgresql(
    api_client, varied_customers, monkeypatch, params
):
    def refuse(self, instance):
        raise AssertionError("a customer was represented in Python")

    monkeypatch.setattr(CustomerSerializer, "to_representation", refuse)

    response = api_client.get(URL, params)
    fields = {name: value for name, value in params.items() if name in ("fields", "expand")}
    detail = api_client.get(f"{URL}{varied_customers[5].pk}/", fields)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 40
    assert detail.status_code == 200
    assert detail.json()["id"] == varied_customers[5].pk


@pytest.mark.skipif(not POSTGRESQL, reason="list pages are written by PostgreSQL only")
def test_a_page_asked_again_builds_no_serializer(api_client, varied_customers, monkeypatch):
    """The SQL of a page is kept by the fields asked for: building the serializer again (a
    copy of each of its fields) is only needed for fields not asked for before."""
    params = {"fields": "id,email,addresses"}
    first = api_client.get(URL, params)
    unknown = api_client.get(URL, {"fields": "id,email,nope"})

    def refuse(self, *args, **kwargs):
        raise AssertionError("a serializer was built")

    monkeypatch.setattr(CustomerSerializer, "__init__", refuse)
    again = api_client.get(URL, params)

    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert unknown.status_code == 400
    assert "nope" in unknown.json()["fields"][0]


def _both(client, plain_drf, url, params, **headers):
    fast = client.get(url, params, **headers)
    plain_drf()
    plain = client.get(url, params, **headers)
    return fast, plain


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        ({"format": "json"}, {}),
        ({}, {"HTTP_ACCEPT_LANGUAGE": "es"}),
        ({}, {"HTTP_ACCEPT": "application/json; indent=2"}),
        ({"fields": "id,nope"}, {}),
        ({"fields": "id,nope", "page": "x"}, {}),
        ({"page": 99}, {}),
    ],
    ids=["format=json", "language", "indented", "unknown field", "two errors", "past the end"],
)
def test_negotiation_and_errors_answer_as_plain_drf(
    api_client, varied_customers, plain_drf, params, headers
):
    fast, plain = _both(api_client, plain_drf, URL, params, **headers)

    assert (fast.status_code, fast.content) == (plain.status_code, plain.content)


def test_browsable_api_still_answers(api_client, varied_customers):
    response = api_client.get(URL, {"format": "api"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"c1@example.com" in response.content


def test_times_in_another_active_zone_answer_as_plain_drf(api_client, varied_customers, plain_drf):
    with timezone.override(zoneinfo.ZoneInfo("America/Sao_Paulo")):
        fast, plain = _both(api_client, plain_drf, URL, {"per_page": 200})

    assert fast.content == plain.content
    assert b"-03:00" in fast.content


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (2**70, b"1180591620717411303424"),
        (2**64, b"18446744073709551616"),
        (-(2**63) - 1, b"-9223372036854775809"),
        (2**64 - 1, b"18446744073709551615"),
        ("1234567890123456789012", b'"1234567890123456789012"'),
        ([0.1, 2.5, 1.5e-7, 1e-05], b"[0.1,2.5,1.5e-07,1e-05]"),
    ],
)
def test_json_values_orjson_cannot_write_answer_as_plain_drf(
    api_client, varied_customers, plain_drf, value, written
):
    """An integer beyond 64 bits in a JSON column (orjson reads one as a float, and cannot
    write one): the serializer's path hands the whole answer to DRF's renderer, and so does
    a page written by the database. Long runs of digits, and floats, answer the same too."""
    Customer.objects.filter(pk=varied_customers[3].pk).update(attributes={"n": value})
    detail = f"{URL}{varied_customers[3].pk}/"
    fast_detail = api_client.get(detail)

    fast, plain = _both(api_client, plain_drf, URL, {"per_page": 5})
    plain_detail = api_client.get(detail)

    assert fast.status_code == fast_detail.status_code == 200
    assert fast.content == plain.content
    assert b'"n":' + written in fast.content
    assert fast_detail.content == plain_detail.content
    assert b'"n":' + written in fast_detail.content


def test_the_listed_whitespace_is_what_python_strips():
    """btrim() in the SQL is given config.json_rows.PYTHON_WHITESPACE for str.strip()."""
    every = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())

    assert every == PYTHON_WHITESPACE


@pytest.mark.parametrize("who", ["channel-scoped user", "superuser"])
def test_member_counts_of_expanded_pages_are_those_the_user_may_see(
    api_user, superuser, varied_customers, plain_drf, who
):
    """The page written by the database puts in the member counts get_memberships gives:
    counted in the user's channels, or the whole group for a superuser."""
    web = Channel.objects.get(code="web")
    web.api_users.add(api_user)
    elsewhere = next(customer for customer in varied_customers if customer.channel != web)
    UserCustomerGroupFactory(customer=elsewhere, group=UserGroup.objects.get(code="retail"))
    client = api_client_for(superuser if who == "superuser" else api_user)
    params = {"expand": "memberships", "per_page": 100}
    fast = _answer(client, URL, params)
    plain_drf()
    plain = _answer(client, URL, params)

    members = UserCustomerGroup.objects.all()
    if who != "superuser":
        members = members.filter(customer__channel=web)
    shown = {
        membership["group"]["code"]: membership["group"]["member_count"]
        for customer in orjson.loads(fast[0])["results"]
        for membership in customer["memberships"]
    }
    assert fast == plain
    assert shown == {code: members.filter(group__code=code).count() for code in shown}
    everyone = UserCustomerGroup.objects.filter(group__code="retail").count()
    assert (shown["retail"] == everyone) is (who == "superuser")


ORDERS_URL = "/api/v1/orders/"
ORDER_PARAMS = {
    "plain": {},
    "per_page=200": {"per_page": 200},
    "fields subset": {"fields": "id,number,items,customer"},
    "fields snapshots": {"fields": "billing_address,id,shipping_address"},
    "ordering": {"ordering": "total,id", "per_page": 7, "page": 2},
    "filtered": {"channel": "store-é", "status__in": "paid,pending,refunded"},
}


@pytest.fixture
def varied_orders(varied_customers):
    """The varied customers' orders with 0–3 items each, custom data on some items and
    orders (names and values of every kind of text, catalogue numbers or none)."""
    pick = random.Random(34).choice
    orders = list(Order.objects.order_by("pk"))
    for n, order in enumerate(orders):
        for _ in range(n % 4):
            item = OrderItemFactory(
                order=order,
                name=pick(TEXTS),
                quantity=pick([1, 2, 2_147_483_647]),
                unit_price=pick(TOTALS[:3]),
            )
            if n % 3 == 0:
                OrderCustomDataFactory(order=order, item=item, value=pick(TEXTS[1:]))
        if n % 2 == 0:
            OrderCustomDataFactory(
                order=order,
                name=pick(["gift", "ñote", 'q"\\']) + str(n),
                value=pick(TEXTS[1:]),
                manufacturer_number=pick([None, 1, 2_147_483_647]),
            )
    assert len(orders) > 10
    return orders


@pytest.mark.parametrize("params", list(ORDER_PARAMS.values()), ids=list(ORDER_PARAMS))
def test_order_pages_are_byte_identical_to_plain_drf(api_client, varied_orders, plain_drf, params):
    fast = _answer(api_client, ORDERS_URL, params)
    plain_drf()
    plain = _answer(api_client, ORDERS_URL, params)

    assert fast == plain
    assert b'"results":[{' in fast[0]


@pytest.mark.parametrize("params", list(ORDER_PARAMS.values())[:4], ids=list(ORDER_PARAMS)[:4])
def test_order_details_are_byte_identical_to_plain_drf(
    api_client, varied_orders, plain_drf, params
):
    params = {name: value for name, value in params.items() if name == "fields"}
    urls = [f"{ORDERS_URL}{order.pk}/" for order in varied_orders]
    fast = [_answer(api_client, url, params) for url in urls]
    plain_drf()
    plain = [_answer(api_client, url, params) for url in urls]

    assert fast == plain
    assert all(headers["ETag"] for _, headers in fast)


@pytest.mark.skipif(not POSTGRESQL, reason="pages are written by PostgreSQL only")
def test_order_pages_and_details_are_written_without_a_serializer_on_postgresql(
    api_client, varied_orders, monkeypatch
):
    def refuse(self, instance):
        raise AssertionError("an order was represented in Python")

    monkeypatch.setattr(OrderOutputSerializer, "to_representation", refuse)

    page = api_client.get(ORDERS_URL, {"per_page": 200})
    detail = api_client.get(f"{ORDERS_URL}{varied_orders[3].pk}/")

    assert page.status_code == 200
    assert len(page.json()["results"]) == len(varied_orders)
    assert detail.status_code == 200
    assert detail.json()["id"] == varied_orders[3].pk
