"""Nothing sent is dropped: unknown names and bad values are a 400 naming them in Nuvemshop's
names, and nothing is written."""

import pytest

from compat.nuvemshop.mapping import NOT_STREET
from customers.imports.rows import ADDRESS_NOT_OWN, REQUIRED
from customers.models import Address, Customer
from customers.validation import INVALID_COUNTRY, INVALID_EMAIL, NOT_AN_OBJECT
from tests.compat.nuvemshop.conftest import BASE
from tests.customers.factories import AddressFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(store):
    customer = CustomerFactory(channel=store, email="ann@example.com", first_name="Ann")
    AddressFactory(customer=customer, is_default=True, country="BR")
    return customer


def _state():
    return (
        list(Customer.objects.order_by("pk").values_list("pk", "email", "first_name", "version")),
        list(Address.objects.order_by("pk").values_list("pk", "country", "is_default")),
    )


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        pytest.param(
            {"email": "b@example.com", "first_name": "Bo"},
            {"first_name": ["Unknown field 'first_name'. Did you mean 'name'?"]},
            id="patron-name",
        ),
        pytest.param(
            {"email": "b@example.com", "extra_field": {}},
            {"extra_field": ["Unknown field 'extra_field'. Did you mean 'extra'?"]},
            id="patron-extra_field",
        ),
        pytest.param(
            {"email": "b@example.com", "channel": "store"},
            {"channel": ["Unknown field 'channel'. Did you mean 'phone'?"]},
            id="channel-is-the-url's",
        ),
        pytest.param(
            {"email": "b@example.com", "addresses": [{"city": "X", "is_default": True}]},
            {
                "addresses": [
                    {"is_default": ["Unknown field 'is_default'. Did you mean 'default'?"]}
                ]
            },
            id="patron-address-flag",
        ),
        pytest.param(
            {"email": "b@example.com", "billing_zip": "1"},
            {"billing_zip": ["Unknown field 'billing_zip'. Did you mean 'billing_zipcode'?"]},
            id="misspelt-billing",
        ),
        pytest.param({"email": "not-an-email"}, {"email": [INVALID_EMAIL]}, id="email"),
        pytest.param({"name": "Bo"}, {"email": [REQUIRED]}, id="no-email"),
        pytest.param(
            {"email": "b@example.com", "extra": [1]},
            {"extra": [NOT_AN_OBJECT]},
            id="extra-not-object",
        ),
        pytest.param(
            {"email": "b@example.com", "name": "x" * 600},
            {"name": ["Ensure this field has no more than 511 characters."]},
            id="name-too-long",
        ),
        pytest.param(
            {"email": "b@example.com", "addresses": [{"country": "Brazil"}]},
            {"addresses": [{"country": [INVALID_COUNTRY]}]},
            id="address-country",
        ),
        pytest.param(
            {"email": "b@example.com", "addresses": [{"default": "maybe"}]},
            {"addresses": [{"default": ["Must be a valid boolean."]}]},
            id="address-default",
        ),
        pytest.param(
            {"email": "b@example.com", "billing_country": "Brazil"},
            {"billing_country": [INVALID_COUNTRY]},
            id="billing-country",
        ),
        pytest.param(
            {"email": "b@example.com", "billing_address": 742},
            {"billing_address": [NOT_STREET]},
            id="billing-street-not-text",
        ),
        pytest.param(
            {"email": "b@example.com", "send_email_invite": "perhaps"},
            {"send_email_invite": ["Must be a valid boolean."]},
            id="invite",
        ),
        pytest.param(
            {"email": "b@example.com", "addresses": {"city": "X"}},
            {"addresses": ['Expected a list of items but got type "dict".']},
            id="addresses-not-list",
        ),
        pytest.param(
            ["not", "an", "object"],
            {"non_field_errors": ["Expected a JSON object."]},
            id="body-not-object",
        ),
    ],
)
def test_post_refused(api_client, customer, body, errors):
    before = _state()

    response = api_client.post(f"{BASE}/customers", body, format="json")

    assert response.status_code == 400, response.content
    assert response.json() == errors
    assert _state() == before


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        pytest.param(
            {"username": "ann"},
            {"username": ["Unknown field 'username'. Did you mean 'name'?"]},
            id="patron-username",
        ),
        pytest.param(
            {"email": "ann@", "addresses": [{"id": 999999, "city": "X"}]},
            {
                "email": [INVALID_EMAIL],
                "addresses": [{"id": [ADDRESS_NOT_OWN]}],
            },
            id="bad-email-and-foreign-address",
        ),
    ],
)
def test_put_refused(api_client, customer, body, errors):
    before = _state()

    response = api_client.put(f"{BASE}/customers/{customer.pk}", body, format="json")

    assert response.status_code == 400, response.content
    assert response.json() == errors
    assert _state() == before


def test_email_taken_in_the_channel(api_client, customer):
    response = api_client.post(f"{BASE}/customers", {"email": "ANN@example.com"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("query", "name", "message"),
    [
        ("limit=10", "limit", "Unknown query parameter 'limit'."),
        ("sinceid=3", "sinceid", "Unknown query parameter 'sinceid'. Did you mean 'since_id'?"),
        ("email=ann@example.com", "email", "Unknown query parameter 'email'."),
        ("ordering=id", "ordering", "Unknown query parameter 'ordering'."),
        ("expand=phones", "expand", "Unknown query parameter 'expand'."),
    ],
)
def test_unknown_list_parameter(api_client, customer, query, name, message):
    response = api_client.get(f"{BASE}/customers?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [name]
    assert response.json()[name][0].startswith(message)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("since_id=abc", "since_id"),
        (f"since_id={2**70}", "since_id"),
        ("created_at_min=yesterday", "created_at_min"),
        ("created_at_max=2013-13-01", "created_at_max"),
        ("updated_at_min=x", "updated_at_min"),
        ("updated_at_max=x", "updated_at_max"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("per_page=201", "per_page"),
        ("per_page=0", "per_page"),
        ("fields=nmae", "fields"),
    ],
)
def test_bad_list_value(api_client, customer, query, name):
    response = api_client.get(f"{BASE}/customers?{query}")

    assert response.status_code == 400, response.content
    assert list(response.json()) == [name]


def test_unknown_field_in_fields_names_the_closest(api_client, customer):
    response = api_client.get(f"{BASE}/customers/{customer.pk}?fields=id,nmae")

    assert response.status_code == 400
    assert response.json() == {"fields": ["Unknown field 'nmae'. Did you mean 'name'?"]}


@pytest.mark.parametrize("query", ["q=ann", "page=1", "since_id=1"])
def test_detail_takes_only_fields(api_client, customer, query):
    response = api_client.get(f"{BASE}/customers/{customer.pk}?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [query.split("=")[0]]


def test_write_takes_no_query_parameter(api_client, customer):
    response = api_client.put(
        f"{BASE}/customers/{customer.pk}?fields=id", {"name": "X Y"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["fields"]
    assert Customer.objects.get().first_name == "Ann"
