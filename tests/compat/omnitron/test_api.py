"""Omnitron's customer routes: statuses, strict bodies, channel rules, auth and scoping."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from compat.omnitron.names import CUSTOMER_FIELDS
from customers.models import Customer
from tests.compat.omnitron.conftest import BASE, detail_url
from tests.conftest import api_client_for, api_key_for
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

TYPES = {
    "pk": int,
    "email": str,
    "first_name": str,
    "last_name": str,
    "phone_number": str,
    "is_active": bool,
    "channel_code": str,
    "erp_code": str,
    "attributes": dict,
    "extra_field": dict,
    "email_allowed": bool,
    "sms_allowed": bool,
    "call_allowed": bool,
    "date_joined": str,
    "gender": str,
    "user_type": str,
    "date_of_birth": (str, type(None)),
    "channel": int,
    "created_date": str,
    "modified_date": str,
}


def assert_omnitron_customer(body: dict) -> None:
    assert list(body) == list(CUSTOMER_FIELDS)
    for name, kind in TYPES.items():
        assert isinstance(body[name], kind), name


@pytest.fixture
def body(web):
    return {
        "email": "Ayse@Example.com",
        "first_name": "Ayşe",
        "last_name": "Yılmaz",
        "phone_number": "+905551112233",
        "is_active": True,
        "channel": web.pk,
        "channel_code": "web-42",
        "erp_code": "ERP-1",
        "attributes": {"logged_ip": "127.0.0.1"},
        "extra_field": {"loyalty": 100},
        "email_allowed": True,
        "sms_allowed": False,
        "call_allowed": True,
        "date_joined": "2023-01-15T10:30:00Z",
        "gender": "female",
        "user_type": "guest",
        "date_of_birth": "1985-08-25",
    }


def test_create_answers_201_with_the_omnitron_representation(client, body, web):
    response = client.post(BASE, body, format="json")

    assert response.status_code == 201, response.data
    assert_omnitron_customer(response.data)
    expected = {**body, "email": "ayse@example.com"}
    assert {name: response.data[name] for name in body} == expected
    assert response.headers["ETag"] == '"1"'
    assert Customer.objects.get(pk=response.data["pk"]).channel == web


@pytest.mark.parametrize("missing", ["channel", "email"])
def test_create_requires_channel_and_email(client, body, missing):
    del body[missing]

    response = client.post(BASE, body, format="json")

    assert response.status_code == 400
    assert list(response.data) == [missing]
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("channel", 987654, 'Invalid pk "987654" - object does not exist.'),
        ("channel", "web", 'Invalid pk "web" - object does not exist.'),
        ("channel", True, "Incorrect type. Expected pk value, received bool."),
        ("channel", None, "This field may not be null."),
        ("channel", 10**30, f'Invalid pk "{10**30}" - object does not exist.'),
        ("is_active", "maybe", "Must be a valid boolean."),
        ("email", "not-an-email", "Enter a valid email address."),
        ("phone_number", "9" * 129, "Ensure this field has no more than 128 characters."),
        ("gender", "robot", '"robot" is not a valid choice.'),
        ("date_of_birth", "25.08.1985", None),
        ("date_joined", "yesterday", None),
        ("attributes", [1, 2], None),
        ("email_allowed", "perhaps", "Must be a valid boolean."),
    ],
    ids=lambda value: str(value)[:20],
)
def test_bad_value_is_a_400_naming_the_omnitron_field(client, body, field, value, message):
    body[field] = value

    response = client.post(BASE, body, format="json")

    assert response.status_code == 400
    assert list(response.data) == [field]
    if message is not None:
        assert response.data[field] == [message]
    assert not Customer.objects.exists()


def test_unknown_fields_are_refused_naming_each_with_the_closest_name(client, body):
    body.update(phone="1", customer_email="x@example.com", localized_attributes={})

    response = client.post(BASE, body, format="json")

    assert response.status_code == 400
    assert response.data == {
        "phone": ["Unknown field 'phone'. Did you mean 'phone_number'?"],
        "customer_email": ["Unknown field 'customer_email'. Did you mean 'email'?"],
        "localized_attributes": [
            "Unknown field 'localized_attributes'. Did you mean 'attributes'?"
        ],
    }
    assert not Customer.objects.exists()


def test_every_bad_field_is_named_in_one_answer(client, body):
    body.update(channel=987654, email="nope", bogus=1)

    response = client.post(BASE, body, format="json")

    assert response.status_code == 400
    assert set(response.data) == {"channel", "email", "bogus"}


def test_a_body_that_is_not_an_object_is_a_400(client):
    response = client.post(BASE, [{"email": "a@example.com"}], format="json")

    assert response.status_code == 400
    assert response.data == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }


def test_read_only_fields_are_accepted_and_ignored(client, body):
    body.update(pk=999, created_date="2000-01-01T00:00:00Z", modified_date="x")

    response = client.post(BASE, body, format="json")

    assert response.status_code == 201, response.data
    assert response.data["pk"] != 999
    assert response.data["created_date"] != "2000-01-01T00:00:00Z"


def test_retrieve_answers_the_customer_with_its_etag(client, web):
    customer = CustomerFactory(channel=web, phone="555")

    response = client.get(detail_url(customer.pk))

    assert response.status_code == 200
    assert_omnitron_customer(response.data)
    assert response.data["phone_number"] == "555"
    assert response.data["channel"] == web.pk
    assert response.headers["ETag"] == f'"{customer.version}"'
    again = client.get(detail_url(customer.pk), HTTP_IF_NONE_MATCH=response.headers["ETag"])
    assert again.status_code == 304


@pytest.mark.parametrize("pk", ["987654", "abc", "9" * 30, "9" * 5000, "-1"], ids=str.__len__)
def test_unknown_customer_is_a_404(client, pk):
    response = client.get(detail_url(pk))

    assert response.status_code == 404
    assert response.data == {"detail": "Not found."}


def test_customer_of_another_channel_is_a_404_for_a_scoped_user(web_client, shop):
    customer = CustomerFactory(channel=shop)

    for method in ("get", "put", "patch"):
        response = getattr(web_client, method)(detail_url(customer.pk), {}, format="json")
        assert response.status_code == 404, method


def test_scoped_user_cannot_create_in_another_channel(web_client, body, shop):
    body["channel"] = shop.pk

    response = web_client.post(BASE, body, format="json")

    assert response.status_code == 400
    assert response.data == {"channel": [f'Invalid pk "{shop.pk}" - object does not exist.']}


def test_put_replaces_the_omnitron_fields(client, body, web):
    customer = CustomerFactory(channel=web, email="old@example.com", erp_code="OLD")
    body.update(email="new@example.com", erp_code="", is_active=False)

    response = client.put(detail_url(customer.pk), body, format="json")

    assert response.status_code == 200, response.data
    assert response.data["email"] == "new@example.com"
    assert response.data["erp_code"] == ""
    assert response.data["is_active"] is False
    customer.refresh_from_db()
    assert (customer.email, customer.status) == ("new@example.com", "inactive")


def test_patch_changes_only_what_is_sent(client, web):
    customer = CustomerFactory(channel=web, email="p@example.com", first_name="Kept")

    response = client.patch(detail_url(customer.pk), {"phone_number": "42"}, format="json")

    assert response.status_code == 200, response.data
    assert (response.data["phone_number"], response.data["first_name"]) == ("42", "Kept")
    assert response.data["email"] == "p@example.com"


def test_is_active_false_keeps_a_frozen_customer_frozen(client, web):
    customer = CustomerFactory(channel=web, status="frozen")

    response = client.patch(detail_url(customer.pk), {"is_active": False}, format="json")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.status == "frozen"


def test_stale_if_match_is_a_412_and_changes_nothing(client, web):
    customer = CustomerFactory(channel=web, first_name="Old")

    response = client.patch(
        detail_url(customer.pk), {"first_name": "New"}, format="json", HTTP_IF_MATCH='"99"'
    )

    assert response.status_code == 412
    customer.refresh_from_db()
    assert customer.first_name == "Old"


@pytest.mark.parametrize(
    ("method", "url"),
    [("delete", "detail"), ("post", "detail"), ("put", "list"), ("delete", "list")],
)
def test_methods_omnitron_does_not_route_are_a_405(client, web, method, url):
    customer = CustomerFactory(channel=web)
    path = detail_url(customer.pk) if url == "detail" else BASE

    response = getattr(client, method)(path, {}, format="json")

    assert response.status_code == 405
    assert Customer.objects.filter(pk=customer.pk).exists()


@pytest.mark.parametrize("accept", ["application/xml", "text/html", "text/csv"])
def test_an_accept_it_cannot_serve_is_a_406(client, accept):
    response = client.get(BASE, HTTP_ACCEPT=accept)

    assert response.status_code == 406


def test_paths_answer_without_the_trailing_slash(client, web):
    customer = CustomerFactory(channel=web)

    assert client.get(BASE.rstrip("/")).status_code == 200
    assert client.get(detail_url(customer.pk).rstrip("/")).status_code == 200


def test_page_and_limit_page_the_list(client, web):
    CustomerFactory.create_batch(5, channel=web)

    response = client.get(BASE, {"limit": 2, "page": 2})

    assert response.status_code == 200
    assert response.data["count"] == 5
    assert len(response.data["results"]) == 2
    assert "limit=2" in response.data["next"]
    assert "page=3" in response.data["next"]
    assert "page=1" in response.data["previous"]


def test_no_credentials_is_a_401(anon_client):
    assert anon_client.get(BASE).status_code == 401


def test_token_and_session_auth_both_work(api_user):
    token = api_key_for(api_user)
    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    by_session = APIClient()
    by_session.login(username="integrator", password="pw-integrator-123")

    assert by_token.get(BASE).status_code == 200
    assert by_session.get(BASE).status_code == 200


def test_model_permissions_apply(db, body):
    user = get_user_model().objects.create_user("nobody")
    client = api_client_for(user)

    assert client.get(BASE).status_code == 403
    assert client.post(BASE, body, format="json").status_code == 403


def test_options_describes_the_route(client):
    response = client.options(BASE)

    assert response.status_code == 200
    assert response.data["name"]


def test_an_email_taken_in_the_channel_is_a_400_naming_email(client, body, web):
    CustomerFactory(channel=web, email="ayse@example.com")

    response = client.post(BASE, body, format="json")

    assert response.status_code == 400
    assert response.data == {
        "email": ["A customer with this e-mail already exists in this channel."]
    }
    assert Customer.objects.count() == 1


def test_idempotency_key_replays_the_first_create(client, body):
    first = client.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="omnitron-1")
    again = client.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="omnitron-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Customer.objects.count() == 1
