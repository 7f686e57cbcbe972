"""Hostile input gets a 4xx naming the problem, never a 5xx (on SQLite and on PostgreSQL)."""

import json
import logging

import pytest

from config.filtering import DATE_OUT_OF_RANGE, NUMBER_OUT_OF_RANGE
from config.middleware import NUL_IN_URL
from config.parsers import MAX_DEPTH, MAX_KEYS, TOO_DEEP, TOO_LARGE, TOO_MANY_KEYS
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.groups.factories import UserGroupFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


@pytest.fixture
def client(api_client, caplog):
    ChannelFactory(code="web")
    UserGroupFactory(code="vip")
    caplog.set_level(logging.WARNING, logger="config.exceptions")
    yield api_client
    # The exception handler's DataError/OverflowError fallback must never have been needed.
    assert "Unstorable value" not in caplog.text


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def _nested(depth: int):
    value = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


def _customer(**fields):
    return {"channel": "web", "email": "ann@example.com", **fields}


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (_customer(first_name="a\x00b"), "first_name"),
        (_customer(attributes={"size": "a\x00b"}), "attributes.size"),
        (_customer(attributes={"a": [{"b": "\x00"}]}), "attributes.a.0.b"),
        (_customer(extra_field={"k\x00": 1}), "extra_field.k\x00"),
        (_customer(addresses=[{"city": "\x00"}]), "addresses.0.city"),
        (_customer(password="pw\x00pw"), "password"),
    ],
    ids=["field", "json-value", "nested-json", "json-key", "nested-serializer", "password"],
)
def test_nul_characters_in_bodies_are_refused(client, body, where):
    response = _post(client, "/api/v1/customers/", body)

    assert response.status_code == 400
    assert response.json() == {"detail": f"Null characters are not allowed (at {where})."}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers/?email=a%00b",
        "/api/v1/customers/?q=%00",
        "/api/v1/customers/?attributes__size=a%00",
        "/api/v1/customers/?fields=id%00",
        "/api/v1/customers/?a%00=1",
        "/api/v1/orders/?number=%00",
        "/api/v1/channels/we%00b/",
        "/api/v1/groups/?code=%00",
        "/admin/customers/customer/?q=%00",
    ],
)
def test_nul_characters_in_urls_are_refused(client, url):
    response = client.get(url)

    assert response.status_code == 400
    assert response.json() == {"detail": NUL_IN_URL}


@pytest.mark.parametrize(
    ("url", "status", "param"),
    [
        (f"/api/v1/customers/{HUGE}/", 404, None),
        (f"/api/v1/customers/{HUGE}/addresses/", 404, None),
        (f"/api/v1/customers/1/addresses/{HUGE}/", 404, None),
        (f"/api/v1/customers/{HUGE}/memberships/", 404, None),
        (f"/api/v1/orders/{HUGE}/", 404, None),
        (f"/api/v1/orders/{HUGE}/custom-data/", 404, None),
        (f"/api/v1/orders/1/items/{HUGE}/custom-data/", 404, None),
        (f"/api/v1/customers/?page={HUGE}", 404, None),
        (f"/api/v1/customers/?per_page={HUGE}", 400, "per_page"),
        ("/api/v1/customers/?id__gt=1e30", 400, "id__gt"),
        (f"/api/v1/customers/?id={HUGE}", 400, "id"),
        (f"/api/v1/customers/?id__in=1,{HUGE}", 400, "id__in"),
        ("/api/v1/customers/?orders_count=9999999999999999999", 400, "orders_count"),
        (f"/api/v1/customers/?since_id={HUGE}", 400, "since_id"),
        (f"/api/v1/customers/?id__lt=-{HUGE}", 400, "id__lt"),
        (f"/api/v1/orders/?customer={HUGE}", 400, "customer"),
        (f"/api/v1/orders/?customer__in={HUGE}", 400, "customer__in"),
        (f"/api/v1/groups/vip/members/?id__gte={HUGE}", 400, "id__gte"),
    ],
)
def test_integers_past_64_bits_are_a_400_or_a_404(client, url, status, param):
    response = client.get(url)

    assert response.status_code == status
    if param:
        if param == "per_page":
            assert param in response.json()
        else:
            assert response.json() == {param: [NUMBER_OUT_OF_RANGE]}


@pytest.mark.parametrize(
    "item",
    [
        {"sku": "S", "quantity": 2**31, "unit_price": "0.00"},
        {"sku": "S", "quantity": int(HUGE), "unit_price": "0.00"},
        {"id": int(HUGE), "sku": "S"},
        {"id": -1, "sku": "S"},
    ],
    ids=["quantity-past-32-bits", "quantity-past-64-bits", "item-id-past-64-bits", "negative-id"],
)
def test_out_of_range_item_numbers_are_a_400_naming_the_items(client, item):
    customer = CustomerFactory(channel=ChannelFactory(code="web"))
    order = {"channel": "web", "number": "N1", "customer": customer.pk, "total": "0.00"}

    response = _post(client, "/api/v1/orders/", {**order, "items": [item]})

    assert response.status_code == 400
    assert "items" in response.json()


def test_integers_past_64_bits_in_bodies_are_a_400(client):
    customer = CustomerFactory(channel=ChannelFactory(code="web"))
    order = {"channel": "web", "number": "N1", "customer": int(HUGE)}
    item = {"sku": "S", "name": "N", "quantity": int(HUGE), "unit_price": "1.00"}

    assert _post(client, "/api/v1/orders/", order).status_code == 400
    assert (
        _post(client, "/api/v1/customers/", _customer(discount_percent=int(HUGE))).status_code
        == 400
    )
    response = _post(client, "/api/v1/orders/", {**order, "customer": customer.pk, "items": [item]})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("url", "param", "message"),
    [
        ("/api/v1/customers/?created_at__gt=99999-01-01", "created_at__gt", None),
        ("/api/v1/customers/?date_of_birth__lt=0000-01-01", "date_of_birth__lt", None),
        ("/api/v1/customers/?created_at_max=9999-12-31", "created_at_max", DATE_OUT_OF_RANGE),
        ("/api/v1/customers/?created_at__lte=9999-12-31T23:59:59-05:00", "created_at__lte", None),
        ("/api/v1/customers/?date_of_birth=0001-01-01", "date_of_birth", DATE_OUT_OF_RANGE),
        ("/api/v1/orders/?placed_at__date=9999-12-31", "placed_at__date", DATE_OUT_OF_RANGE),
        ("/api/v1/orders/?placed_at__gt=0001-01-01T00:00:00%2B05:00", "placed_at__gt", None),
    ],
)
def test_dates_out_of_range_are_a_400(client, url, param, message):
    response = client.get(url)

    assert response.status_code == 400
    assert param in response.json()
    if message:
        assert response.json()[param] == [message]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers/?updated_at__lt=0244-07-21T11:41:51-17:49",
        "/api/v1/customers/?created_at_max=2024-01-01T00:00:00%2B23:59",
        "/api/v1/orders/?placed_at=0175-09-16T15:26:37-20:04",
    ],
)
def test_utc_offsets_postgresql_cannot_take_are_accepted(client, url):
    assert client.get(url).status_code == 200


def test_dates_at_the_edge_of_the_range_are_accepted(client):
    assert client.get("/api/v1/customers/?created_at_max=9998-12-31").status_code == 200
    assert client.get("/api/v1/orders/?placed_at__gte=0002-01-01").status_code == 200


@pytest.mark.parametrize("size", [20_001, 50_000])
def test_oversize_bodies_are_a_413_naming_the_limit(client, settings, size):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20_000
    body = json.dumps(_customer(note="x" * size))

    response = client.post("/api/v1/customers/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": TOO_LARGE.format(limit=20_000)}


def test_the_configured_limit_is_ten_megabytes(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 10 * 1024 * 1024


@pytest.mark.parametrize("depth", [MAX_DEPTH, 10_000, 100_000])
def test_deeply_nested_json_is_a_400(client, depth):
    body = '{"channel": "web", "email": "a@example.com", "attributes": ' + (
        '{"k": ' * depth + "1" + "}" * depth + "}"
    )

    response = client.post("/api/v1/customers/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP.format(max=MAX_DEPTH)}


def test_json_nested_within_the_limit_is_stored(client):
    response = _post(client, "/api/v1/customers/", _customer(attributes=_nested(MAX_DEPTH - 2)))

    assert response.status_code == 201
    assert response.json()["attributes"] == _nested(MAX_DEPTH - 2)


def test_json_objects_with_too_many_keys_are_a_400(client):
    attributes = {f"k{n}": n for n in range(MAX_KEYS + 1)}

    response = _post(client, "/api/v1/customers/", _customer(attributes=attributes))

    assert response.status_code == 400
    assert response.json() == {"detail": TOO_MANY_KEYS.format(path="attributes", max=MAX_KEYS)}


def test_json_objects_with_many_keys_within_the_limit_are_stored(client):
    attributes = {f"k{n}": n for n in range(MAX_KEYS)}

    response = _post(client, "/api/v1/customers/", _customer(attributes=attributes))

    assert response.status_code == 201
    assert len(response.json()["attributes"]) == MAX_KEYS


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ('{"channel": "web",}', "application/json", 400),
        ('{"a": NaN}', "application/json", 400),
        ('{"a": Infinity}', "application/json", 400),
        (b"\xff\xfe{}", "application/json", 400),
        ("{}", "application/json; charset=no-such-charset", 400),
        ("1" * 5000, "application/json", 400),
        ("channel=web&email=a@example.com", "application/x-www-form-urlencoded", 415),
        ("<xml/>", "application/xml", 415),
    ],
    ids=[
        "garbage",
        "trailing-comma",
        "nan",
        "infinity",
        "bad-utf8",
        "unknown-charset",
        "5000-digit-number",
        "form",
        "xml",
    ],
)
def test_malformed_bodies_are_a_4xx(client, body, content_type, status):
    response = client.post("/api/v1/customers/", body, content_type=content_type)

    assert response.status_code == status
    assert response.json()


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/customers/", _customer(email=123), "email"),
        ("/api/v1/customers/", _customer(channel=["web"]), "channel"),
        ("/api/v1/customers/", _customer(attributes="text"), "attributes"),
        ("/api/v1/customers/", _customer(attributes=[1, 2]), "attributes"),
        ("/api/v1/customers/", _customer(groups="vip"), "groups"),
        ("/api/v1/customers/", _customer(groups=[{"code": "vip"}]), "groups"),
        ("/api/v1/customers/", _customer(addresses={"city": "X"}), "addresses"),
        ("/api/v1/customers/", _customer(addresses=["x"]), "addresses"),
        ("/api/v1/customers/", _customer(discount_percent="lots"), "discount_percent"),
        ("/api/v1/customers/", _customer(discount_percent=101), "discount_percent"),
        ("/api/v1/customers/", _customer(date_of_birth=5), "date_of_birth"),
        ("/api/v1/customers/", _customer(date_of_birth="99999-01-01"), "date_of_birth"),
        ("/api/v1/customers/", _customer(email_allowed="perhaps"), "email_allowed"),
        ("/api/v1/customers/", _customer(status={"a": 1}), "status"),
        ("/api/v1/customers/", _customer(password=12345678), "password"),
        ("/api/v1/customers/", _customer(first_name="x" * 10_000), "first_name"),
        ("/api/v1/customers/upsert/", [1, 2], "items"),
        ("/api/v1/customers/upsert/", [], "items"),
        ("/api/v1/customers/authenticate/", {"channel": 1, "email": [], "password": {}}, "email"),
        ("/api/v1/orders/", {"channel": "web", "number": "N", "customer": True}, "customer"),
        ("/api/v1/orders/", {"channel": "web", "number": "N", "customer": "1; DROP"}, "customer"),
        ("/api/v1/orders/", {"channel": "web", "number": "N", "items": "x"}, "items"),
        ("/api/v1/orders/", {"channel": "web", "number": ["N"]}, "number"),
        ("/api/v1/orders/", {"channel": "web", "number": "N", "total": "1e400"}, "total"),
        (
            "/api/v1/orders/",
            {"channel": "web", "number": "N", "placed_at": "yesterday"},
            "placed_at",
        ),
        ("/api/v1/groups/", {"code": "a b", "title": "T"}, "code"),
        ("/api/v1/groups/", {"code": "g", "title": "T", "parent": 5}, "parent"),
        ("/api/v1/groups/", [{"code": "g"}, "x"], "items"),
        ("/api/v1/channels/", {"code": "c", "name": "C", "currency": 7}, "currency"),
        ("/api/v1/channels/", {"code": "c", "name": "C", "is_active": "maybe"}, "is_active"),
    ],
    ids=lambda value: value if isinstance(value, str) and not value.startswith("/") else None,
)
def test_wrong_types_are_a_400_naming_the_field(client, url, body, field):
    response = _post(client, url, body)

    assert response.status_code == 400, response.content
    assert field in json.dumps(response.json())


@pytest.mark.parametrize(
    "body", [None, 1, "text", [], True], ids=["null", "number", "string", "list", "bool"]
)
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers/",
        "/api/v1/customers/authenticate/",
        "/api/v1/orders/",
        "/api/v1/channels/",
        "/api/v1/customers/1/addresses/",
    ],
)
def test_bodies_that_are_not_objects_are_a_4xx(client, url, body):
    CustomerFactory(pk=1, channel=ChannelFactory(code="web"))

    response = _post(client, url, body)

    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers/?ordering=password",
        "/api/v1/customers/?ordering=channel__api_users__password",
        "/api/v1/orders/?ordering=customer__password",
        "/api/v1/groups/?ordering=nope",
        "/api/v1/customers/?fields=password",
        "/api/v1/customers/?expand=password",
        "/api/v1/customers/?is_active=perhaps",
        "/api/v1/customers/?status__in=active,gone",
        "/api/v1/orders/?total__gt=lots",
    ],
)
def test_unknown_or_wrong_parameters_are_a_400(client, url):
    OrderFactory(customer=CustomerFactory(channel=ChannelFactory(code="web")))

    response = client.get(url)

    assert response.status_code == 400


def test_too_many_query_parameters_are_a_json_400(client):
    query = "&".join(f"p{n}=1" for n in range(10_001))

    response = client.get(f"/api/v1/customers/?{query}")

    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}
