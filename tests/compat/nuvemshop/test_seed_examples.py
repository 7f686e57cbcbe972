"""Every request and response example of the Nuvemshop seed, sent verbatim (only the base URL
changed: /compat/nuvemshop/v1/{channel} for the API's /v1/{store_id}).

The stored customers are the ones the examples show, with the examples' ids, except where the
seed contradicts itself or Patron's rules (each such place says so):
- its two listed customers share an e-mail and an address id (1234); Patron's e-mail is unique
  per channel and an address id is one address, so customer 112 is stored with
  ze.ninguem@example.com and address 1235;
- customer 112's billing fields differ from its one address: Patron keeps billing details as
  the customer's billing address, which `addresses` lists too (a second item);
- `GET /customers?since_id=105` answers customer 101 in the seed, which is not after 105:
  Patron answers customer 112, the one stored customer after 105 (same shape);
- POST's example answer is another customer's (John Doe, +modified): the answer has its
  shape, and the values the request sent.
"""

import pytest
from django.contrib.auth.hashers import check_password
from django.core import mail

from customers.models import Customer
from tests.compat.nuvemshop.conftest import (
    BASE,
    assert_like_seed,
    seed,
    seed_bytes,
    seed_customer_store,
)
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(superuser):
    return api_client_for(superuser)


@pytest.fixture
def listed(store):
    """Customers 101 (John Doe, last order 9001) and 112 (Zé Ninguém), as the list shows."""
    john, ze = seed("list_response")
    return [
        seed_customer_store(john, channel=store, pk=101, address_pk=1234),
        seed_customer_store(
            ze, channel=store, pk=112, address_pk=1235, email="ze.ninguem@example.com"
        ),
    ]


ZE_DIFFERS = ("1.email", "1.default_address.id", "1.addresses")


def test_get_customers(client, listed):
    response = client.get(f"{BASE}/customers")

    assert response.status_code == 200
    assert_like_seed(response.json(), seed("list_response"), skip=ZE_DIFFERS)
    ze = response.json()[1]
    assert ze["email"] == "ze.ninguem@example.com"
    assert [a["default"] for a in ze["addresses"]] == [True, False]
    assert ze["addresses"][0] == ze["default_address"]
    assert ze["addresses"][1]["address"] == ze["billing_address"] == "Evergreen Terrace"


def test_get_customers_since_id(client, listed):
    response = client.get(f"{BASE}/customers?since_id=105")

    assert response.status_code == 200
    assert_like_seed(response.json(), seed("since_id_response"), values=False)
    assert [customer["id"] for customer in response.json()] == [112]


def test_get_customer(client, listed):
    response = client.get(f"{BASE}/customers/101")

    assert response.status_code == 200
    assert_like_seed(response.json(), seed("get_response"))
    assert response.json()["active"] is False  # no password: not activated


def test_post_customers(client, store, django_capture_on_commit_callbacks):
    body = seed_bytes("post_request")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/customers", body, content_type="application/json")

    assert response.status_code == 201, response.content
    answer = response.json()
    # The example answer leaves `phone` out; Patron answers every field, always.
    assert_like_seed(answer, seed("post_response"), values=False, extra=("active", "phone"))
    sent = seed("post_request")
    assert (answer["name"], answer["email"]) == (sent["name"], sent["email"])
    [address] = sent["addresses"]
    for shown in (answer["default_address"], answer["addresses"][0]):
        assert {key: shown[key] for key in address} == address
        assert shown["default"] is True
    assert answer["active"] is True  # the password was set
    customer = Customer.objects.get(pk=answer["id"])
    assert check_password("mysupersecretpassword", customer.password)
    assert [message.to for message in mail.outbox] == [["first.last@example.com"]]


@pytest.fixture
def to_modify(store):
    """Customer 5123 with address 1234, as GET /customers/101 shows it before the change."""
    return seed_customer_store(seed("get_response"), channel=store, pk=5123, address_pk=1234)


def test_put_customer(client, to_modify):
    body = seed_bytes("put_request")

    response = client.put(f"{BASE}/customers/5123", body, content_type="application/json")

    assert response.status_code == 200, response.content
    # The customer is 5123 (the URL's; the body's id is read-only), and it just changed.
    assert_like_seed(response.json(), seed("put_response"), skip=("id", "updated_at"))
    assert response.json()["id"] == 5123
    customer = Customer.objects.get(pk=5123)
    assert (customer.email, customer.phone) == ("john.doe+modified@example.com", "911")
    assert list(customer.addresses.values_list("pk", "is_default", "is_billing")) == [
        (1234, True, True)
    ]
