"""Credentials (Patron's token, the session, Nuvemshop's `Authentication: bearer`), model
permissions and channel scoping, on every route of the dialect, with or without a slash."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from rest_framework.test import APIClient

from customers.models import Customer
from tests.compat.nuvemshop.conftest import BASE, CHANNEL
from tests.conftest import api_client_for, api_key_for, patron_user_create
from tests.customers.factories import ChannelFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(store):
    return CustomerFactory(channel=store, email="ann@example.com")


@pytest.fixture
def token(api_user):
    return api_key_for(api_user)


@pytest.mark.parametrize(
    "path", ["/customers", "/customers/", "/customers/{id}", "/customers/{id}/"]
)
def test_no_credentials_is_401(anon_client, customer, path):
    response = anon_client.get(BASE + path.format(id=customer.pk))

    assert response.status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("bearer {token}", id="nuvemshop-lowercase"),
        pytest.param("Bearer {token}", id="nuvemshop-capitalized"),
    ],
)
def test_nuvemshop_authentication_header(customer, token, header):
    client = APIClient()

    response = client.get(
        f"{BASE}/customers/{customer.pk}", HTTP_AUTHENTICATION=header.format(token=token)
    )

    assert response.status_code == 200, response.content
    assert response.json()["email"] == "ann@example.com"


@pytest.mark.parametrize(
    "header", ["bearer wrong-token", "bearer", "bearer a b"], ids=["wrong", "empty", "spaces"]
)
def test_bad_nuvemshop_header_is_401(customer, header):
    response = APIClient().get(f"{BASE}/customers", HTTP_AUTHENTICATION=header)

    assert response.status_code == 401


def test_patron_token_header(customer, token):
    response = APIClient().get(f"{BASE}/customers", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [customer.pk]


def test_session(customer, api_user):
    client = Client()
    client.force_login(api_user)

    response = client.get(f"{BASE}/customers/{customer.pk}")

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("get", "/customers", "view_customer"),
        ("get", "/customers/{id}", "view_customer"),
        ("post", "/customers", "add_customer"),
        ("put", "/customers/{id}", "change_customer"),
    ],
)
def test_missing_model_permission_is_403(customer, method, path, permission):
    user = patron_user_create("limited")
    user.user_permissions.remove(Permission.objects.get(codename=permission))
    client = api_client_for(user)

    response = getattr(client, method)(
        BASE + path.format(id=customer.pk), {"email": "new@example.com"}, format="json"
    )

    assert response.status_code == 403
    assert Customer.objects.get().email == "ann@example.com"


@pytest.fixture
def scoped_client(store):
    """A user limited to another channel."""
    user = patron_user_create("scoped")
    ChannelFactory(code="other").api_users.add(user)
    return api_client_for(user)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/customers"),
        ("get", "/customers/"),
        ("post", "/customers"),
        ("get", "/customers/{id}"),
        ("put", "/customers/{id}"),
    ],
)
def test_channel_outside_scope_is_404(scoped_client, customer, method, path):
    response = getattr(scoped_client, method)(
        BASE + path.format(id=customer.pk), {"email": "new@example.com"}, format="json"
    )

    assert response.status_code == 404
    assert list(Customer.objects.values_list("email", flat=True)) == ["ann@example.com"]


def test_unknown_channel_is_404(api_client, customer):
    response = api_client.get(f"/compat/nuvemshop/v1/nowhere/customers/{customer.pk}")

    assert response.status_code == 404


def test_customer_of_another_channel_is_404(api_client, store):
    elsewhere = CustomerFactory(channel=ChannelFactory(code="elsewhere"))

    response = api_client.get(f"{BASE}/customers/{elsewhere.pk}")

    assert response.status_code == 404
    assert (
        api_client.get(f"/compat/nuvemshop/v1/elsewhere/customers/{elsewhere.pk}").json()["id"]
        == elsewhere.pk
    )


def test_scoped_user_sees_its_channel(store, customer):
    user = patron_user_create("own")
    store.api_users.add(user)

    response = api_client_for(user).get(f"{BASE}/customers")

    assert [item["id"] for item in response.json()] == [customer.pk]


@pytest.mark.parametrize("slash", ["", "/"], ids=["no-slash", "slash"])
def test_writes_with_or_without_slash(api_client, customer, slash):
    created = api_client.post(f"{BASE}/customers{slash}", {"email": "b@example.com"}, format="json")
    changed = api_client.put(
        f"{BASE}/customers/{customer.pk}{slash}", {"name": "Ann Lee"}, format="json"
    )

    assert (created.status_code, changed.status_code) == (201, 200)
    assert Customer.objects.get(pk=customer.pk).name == "Ann Lee"
    assert Customer.objects.get(email="b@example.com").channel.code == CHANNEL


def test_huge_id_is_404(api_client, store):
    assert api_client.get(f"{BASE}/customers/{2**64}").status_code == 404


def test_delete_is_not_offered(api_client, customer):
    """The seed has no DELETE: 405, and the customer stays."""
    response = api_client.delete(f"{BASE}/customers/{customer.pk}")

    assert response.status_code == 405
    assert Customer.objects.filter(pk=customer.pk).exists()


@pytest.mark.parametrize(
    "path",
    [
        "/compat/nuvemshop/v1/no such store/customers",
        f"{BASE}/customers/abc",
        f"{BASE}/customers/-1",
    ],
    ids=["channel-not-a-code", "id-not-a-number", "negative-id"],
)
def test_unusable_path_is_a_json_404(api_client, store, path):
    response = api_client.get(path)

    assert response.status_code == 404
    assert list(response.json()) == ["detail"]
