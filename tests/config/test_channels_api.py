import pytest

from customers.models import Channel
from tests.customers.factories import ChannelFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/channels/"


def test_anonymous_calls_get_401(anon_client):
    assert anon_client.get(URL).status_code == 401


def test_user_without_permissions_gets_403(anon_client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="pw-nobody-123")
    anon_client.force_authenticate(user)
    assert anon_client.get(URL).status_code == 403


def test_create_channel_normalises_currency(api_client):
    response = api_client.post(URL, {"code": "web", "name": "Web store", "currency": "brl"})

    assert response.status_code == 201, response.data
    assert response.data["currency"] == "BRL"
    assert Channel.objects.get(code="web").currency == "BRL"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"code": "x", "name": "X", "currency": "XXXX"}, "currency", id="currency"),
        pytest.param({"code": "no spaces", "name": "X"}, "code", id="slug"),
        pytest.param({"code": "x" * 65, "name": "X"}, "code", id="too-long"),
        pytest.param({"name": "X"}, "code", id="missing-code"),
    ],
)
def test_invalid_channel_is_400_naming_the_field(api_client, body, field):
    response = api_client.post(URL, body)

    assert response.status_code == 400
    assert field in response.data


def test_duplicate_code_is_400(api_client):
    ChannelFactory(code="web")
    response = api_client.post(URL, {"code": "web", "name": "Again"})
    assert response.status_code == 400
    assert "code" in response.data


def test_code_is_immutable(api_client):
    ChannelFactory(code="web")
    response = api_client.patch(f"{URL}web/", {"code": "shop"})
    assert response.status_code == 400
    assert Channel.objects.filter(code="web").exists()


def test_list_is_paginated_with_headers(api_client, list_read_within):
    for code in ("a", "b", "c"):
        ChannelFactory(code=code)

    response = list_read_within(api_client, URL, queries=6, count=3, params={"per_page": 2})

    assert [row["code"] for row in response.data["results"]] == ["a", "b"]
    assert response["X-Total-Count"] == "3"
    assert 'rel="next"' in response["Link"]
    assert 'rel="last"' in response["Link"]


@pytest.mark.parametrize("params", [{"page": "x"}, {"per_page": "500"}, {"ordering": "nope"}])
def test_bad_paging_and_ordering_are_400(api_client, params):
    assert api_client.get(URL, params).status_code == 400


def test_sparse_fields(api_client):
    ChannelFactory(code="web")
    response = api_client.get(f"{URL}web/", {"fields": "code,currency"})
    assert response.data == {"code": "web", "currency": "USD"}


def test_delete_channel_with_customers_is_409(api_client):
    from tests.customers.factories import CustomerFactory

    CustomerFactory(channel=ChannelFactory(code="web"))
    assert api_client.delete(f"{URL}web/").status_code == 409
