import pytest

from customers.api.serializers import CODE_IMMUTABLE, ChannelSerializer
from customers.models import Channel
from tests.customers.factories import ChannelFactory
from tests.round_trips import changed, stable, writable_paths

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


def test_post_with_an_unknown_field_is_400_naming_it_and_writes_nothing(api_client):
    body = {"code": "web", "name": "Web", "currency_code": "BRL", "active": False}

    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.data == {
        "currency_code": ["Unknown field 'currency_code'. Did you mean 'currency'?"],
        "active": ["Unknown field 'active'. Did you mean 'is_active'?"],
    }
    assert not Channel.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_edit_with_an_unknown_field_is_400_and_changes_nothing(api_client, method):
    ChannelFactory(code="web", name="Web")
    body = {"code": "web", "name": "Renamed", "title": "Renamed"}

    response = getattr(api_client, method)(f"{URL}web/", body, format="json")

    assert response.status_code == 400
    assert response.data == {"title": ["Unknown field 'title'."]}
    assert Channel.objects.get().name == "Web"


def test_a_read_channel_posted_as_it_is_creates_it_ignoring_read_only_fields(api_client):
    ChannelFactory(code="web", currency="BRL")
    read = api_client.get(f"{URL}web/").data

    response = api_client.post(URL, {**read, "code": "shop", "version": "1"}, format="json")

    assert response.status_code == 201, response.data
    assert response.data["currency"] == "BRL"
    assert response.data["created_at"] != read["created_at"]


# The code names the channel (it is in the URL): changing it is a 400 (below).
CHANNEL_WRITE_ONCE = ("code",)
# What a channel field changes to when its type alone does not make a valid value.
CHANNEL_OVERRIDES = {
    "currency": lambda _: "EUR",
    "time_zone": lambda _: "America/Sao_Paulo",
    "set_password_url": lambda _: "https://shop.example/set-password?uid={uid}&token={token}",
}


@pytest.mark.parametrize("path", list(writable_paths(ChannelSerializer(), skip=CHANNEL_WRITE_ONCE)))
def test_channel_round_trip_changes_exactly_one_field(api_client, path):
    # given
    ChannelFactory(code="web", name="Web", currency="USD")
    read = api_client.get(f"{URL}web/").data
    field = ChannelSerializer().fields[path]
    body = {**read, path: CHANNEL_OVERRIDES.get(path, lambda old: changed(field, old))(read[path])}

    # when
    response = api_client.put(f"{URL}web/", body, format="json")

    # then
    assert response.status_code == 200, response.data
    assert stable(response.data) == stable(body)
    assert stable(api_client.get(f"{URL}web/").data) == stable(body)


def test_channel_put_with_another_code_is_400_naming_it(api_client):
    ChannelFactory(code="web")
    body = {**api_client.get(f"{URL}web/").data, "code": "shop"}

    response = api_client.put(f"{URL}web/", body, format="json")

    assert response.status_code == 400
    assert response.data == {"code": [CODE_IMMUTABLE]}
    assert list(Channel.objects.values_list("code", flat=True)) == ["web"]
