"""Kibo's custom order (item) data: limits, the name rule, strict input, scoping, statuses."""

import pytest
from django.contrib.auth.models import Permission

from orders.models import OrderCustomData
from orders.services import (
    CUSTOM_DATA_NAME_IMMUTABLE,
    CUSTOM_DATA_NAME_LENGTH,
    CUSTOM_DATA_NAME_TAKEN,
    CUSTOM_DATA_VALUE_LENGTH,
    order_custom_data_create,
)
from tests.conftest import api_client_for, api_key_for, patron_user_create
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.orders.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db

BODY = {"name": "Example Data", "value": "This is sample custom data."}


@pytest.fixture
def order(channel):
    return OrderFactory(customer=CustomerFactory(channel=channel))


@pytest.fixture
def item(order):
    return OrderItemFactory(order=order)


@pytest.fixture(params=["order", "item"])
def target(request, channel, order, item):
    """The same rules on an order's records and on an item's."""
    base = f"/compat/kibo/{channel.code}/api/v2/order/{order.pk}/"
    if request.param == "order":
        return {"url": base + "customData", "item": None, "order": order}
    return {"url": base + f"item/{item.pk}/customData", "item": item, "order": order}


def _create(target, **fields):
    return order_custom_data_create(
        order=target["order"], item=target["item"], **{**BODY, **fields}
    )


def test_post_stores_every_field_and_answers_the_record(token_client, target):
    body = {**BODY, "manufacturerID": 10101, "catalogID": 0, "orderID": target["order"].pk}
    response = token_client.post(target["url"], body, format="json")

    assert response.status_code == 201, response.json()
    record = OrderCustomData.objects.get()
    assert (record.name, record.value, record.manufacturer_number, record.catalog_number) == (
        BODY["name"],
        BODY["value"],
        10101,
        0,
    )
    assert record.item == target["item"]
    assert response.json()["orderCustomDataID"] == record.pk
    assert response.json()["manufacturerID"] == 10101
    if target["item"] is not None:
        assert response.json()["itemID"] == target["item"].pk


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", CUSTOM_DATA_NAME_LENGTH),
        ("name", "n" * 101, CUSTOM_DATA_NAME_LENGTH),
        ("value", "", CUSTOM_DATA_VALUE_LENGTH),
        ("value", "v" * 1001, CUSTOM_DATA_VALUE_LENGTH),
        ("value", None, CUSTOM_DATA_VALUE_LENGTH),
        ("manufacturerID", 0, "Ensure this value is a whole number from 1 to 2147483647."),
        ("manufacturerID", 2**31, "Ensure this value is a whole number from 1 to 2147483647."),
        ("catalogID", -1, "Ensure this value is a whole number from 0 to 2147483647."),
        ("catalogID", 10**30, "Ensure this value is a whole number from 0 to 2147483647."),
        ("manufacturerID", "abc", "A valid integer is required."),
        ("catalogID", 1.5, "A valid integer is required."),
        ("name", {"a": 1}, "Not a valid string."),
    ],
    ids=[
        "empty-name",
        "long-name",
        "empty-value",
        "long-value",
        "null-value",
        "manufacturer-0",
        "manufacturer-too-big",
        "catalog-negative",
        "catalog-huge",
        "manufacturer-text",
        "catalog-fraction",
        "name-object",
    ],
)
def test_bad_values_are_400_in_kibos_names(token_client, target, field, value, message):
    response = token_client.post(target["url"], {**BODY, field: value}, format="json")

    assert response.status_code == 400
    assert response.json() == {field: [message]}
    assert not OrderCustomData.objects.exists()


def test_limits_themselves_are_accepted(token_client, target):
    body = {"name": "n" * 100, "value": "v" * 1000, "manufacturerID": 1, "catalogID": 0}
    response = token_client.post(target["url"], body, format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("body", [{"value": "x"}, {"name": "x"}], ids=["no-name", "no-value"])
def test_name_and_value_are_required(token_client, target, body):
    response = token_client.post(target["url"], body, format="json")

    assert response.status_code == 400
    [missing] = {"name", "value"} - set(body)
    assert response.json() == {missing: ["This field is required."]}


def test_unknown_fields_are_refused_with_the_closest_kibo_name(token_client, target):
    response = token_client.post(target["url"], {**BODY, "manufacturerId": 3}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "manufacturerId": ["Unknown field 'manufacturerId'. Did you mean 'manufacturerID'?"]
    }
    assert not OrderCustomData.objects.exists()


def test_unknown_query_parameters_are_refused(token_client, target):
    response = token_client.get(target["url"], {"pageSize": 5})

    assert response.status_code == 400
    assert list(response.json()) == ["pageSize"]


def test_a_taken_name_is_400(token_client, target):
    _create(target)
    response = token_client.post(target["url"], BODY, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": [CUSTOM_DATA_NAME_TAKEN]}


def test_an_order_id_other_than_the_paths_is_400(token_client, target):
    response = token_client.post(target["url"], {**BODY, "orderID": 999999}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["orderID"]
    assert not OrderCustomData.objects.exists()


def test_put_cannot_change_the_name_and_changes_nothing(token_client, target):
    record = _create(target, manufacturer_number=5)
    response = token_client.put(
        f"{target['url']}/{record.pk}", {"name": "Other", "value": "new"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"name": [CUSTOM_DATA_NAME_IMMUTABLE]}
    record.refresh_from_db()
    assert (record.name, record.value) == (BODY["name"], BODY["value"])


def test_put_changes_value_and_numbers_and_keeps_numbers_left_out(token_client, target):
    record = _create(target, manufacturer_number=5, catalog_number=7)
    url = f"{target['url']}/{record.pk}"
    response = token_client.put(url, {**BODY, "value": "new", "catalogID": 8}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["value"], response.json()["catalogID"]) == ("new", 8)
    record.refresh_from_db()
    assert (record.value, record.manufacturer_number, record.catalog_number) == ("new", 5, 8)


def test_put_with_another_record_id_in_the_body_is_400(token_client, target):
    record = _create(target)
    response = token_client.put(
        f"{target['url']}/{record.pk}",
        {**BODY, "orderCustomDataID": record.pk + 1},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["orderCustomDataID"]


def test_delete_is_204_and_then_404(token_client, target):
    record = _create(target)
    url = f"{target['url']}/{record.pk}"

    assert token_client.delete(url).status_code == 204
    assert token_client.delete(url).status_code == 404
    assert token_client.get(url).status_code == 404


def test_records_of_the_order_and_of_its_items_stay_apart(token_client, channel, order, item):
    order_custom_data_create(order=order, name="on-order", value="1")
    order_custom_data_create(order=order, item=item, name="on-item", value="2")
    base = f"/compat/kibo/{channel.code}/api/v2/order/{order.pk}/"

    on_order = token_client.get(base + "customData").json()["collection"]
    on_item = token_client.get(base + f"item/{item.pk}/customData").json()["collection"]

    assert [row["name"] for row in on_order] == ["on-order"]
    assert [row["name"] for row in on_item] == ["on-item"]
    on_item_id = on_item[0]["orderCustomDataID"]
    assert token_client.get(base + f"customData/{on_item_id}").status_code == 404


def test_an_item_of_another_order_is_404(token_client, channel, order):
    other_item = OrderItemFactory(order=OrderFactory(customer=order.customer))
    url = f"/compat/kibo/{channel.code}/api/v2/order/{order.pk}/item/{other_item.pk}/customData"

    assert token_client.get(url).status_code == 404
    assert token_client.post(url, BODY, format="json").status_code == 404


def test_an_order_of_another_channel_is_404(token_client, order):
    other = ChannelFactory(code="other")
    url = f"/compat/kibo/{other.code}/api/v2/order/{order.pk}/customData"

    assert token_client.get(url).status_code == 404
    assert token_client.post(url, BODY, format="json").status_code == 404
    assert not OrderCustomData.objects.exists()


def test_unknown_channel_is_404(token_client, order):
    url = f"/compat/kibo/nope/api/v2/order/{order.pk}/customData"
    assert token_client.get(url).status_code == 404


def test_a_channel_outside_the_users_scope_is_404(channel, order):
    user = patron_user_create("scoped")
    ChannelFactory(code="mine").api_users.add(user)
    client = api_client_for(user)
    url = f"/compat/kibo/{channel.code}/api/v2/order/{order.pk}/customData"

    assert client.get(url).status_code == 404
    assert client.post(url, BODY, format="json").status_code == 404


def test_bearer_header_and_no_credentials(api_user, channel, order):

    from rest_framework.test import APIClient

    url = f"/compat/kibo/{channel.code}/api/v2/order/{order.pk}/customData"
    client = APIClient()
    assert client.get(url).status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Bearer wrong")
    assert client.get(url).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(api_user)}")
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("method", "codename"),
    [
        ("get", "view_ordercustomdata"),
        ("post", "add_ordercustomdata"),
        ("put", "change_ordercustomdata"),
        ("delete", "delete_ordercustomdata"),
    ],
)
def test_routes_need_the_native_model_permission(channel, order, method, codename):
    user = patron_user_create("limited")
    user.user_permissions.remove(Permission.objects.get(codename=codename))
    record = order_custom_data_create(order=order, **BODY)
    client = api_client_for(type(user).objects.get(pk=user.pk))
    url = f"/compat/kibo/{channel.code}/api/v2/order/{order.pk}/customData"
    if method != "post":
        url += f"/{record.pk}"

    response = getattr(client, method)(url, BODY, format="json")

    assert response.status_code == 403
    assert OrderCustomData.objects.get().value == BODY["value"]


def test_malformed_json_is_400(token_client, target):
    response = token_client.post(target["url"], "{name", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_the_list_costs_the_same_queries_for_1_and_30_records(
    token_client, target, django_assert_num_queries
):
    _create(target)
    # the token, the user's permissions (2), channel scoping + the channel, scoping + the
    # order, (its item), the records
    queries = 8 + (target["item"] is not None)
    # + the key's last use, recorded on its first request (then at most once a minute)
    with django_assert_num_queries(queries + 1):
        assert len(token_client.get(target["url"]).json()["collection"]) == 1
    for index in range(29):
        _create(target, name=f"key-{index}")
    with django_assert_num_queries(queries):
        assert len(token_client.get(target["url"]).json()["collection"]) == 30


@pytest.mark.parametrize("body", [[BODY], "text", 5], ids=["list", "string", "number"])
def test_a_body_that_is_no_object_is_400(token_client, target, body):
    response = token_client.post(target["url"], body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
    assert not OrderCustomData.objects.exists()


def test_only_json_is_served(token_client, target):
    response = token_client.get(target["url"], HTTP_ACCEPT="text/html")
    assert response.status_code == 406


def test_options_describes_the_body(token_client, target):
    record = _create(target)
    response = token_client.options(target["url"])
    detail = token_client.options(f"{target['url']}/{record.pk}")
    missing = token_client.options(f"{target['url']}/{record.pk + 1}")

    assert response.status_code == detail.status_code == missing.status_code == 200
    assert set(response.json()["actions"]["POST"]) >= {"name", "value", "manufacturerID"}
    assert set(detail.json()["actions"]["PUT"]) >= {"name", "value", "catalogID"}
    assert "actions" not in missing.json()


def test_conditional_requests_as_on_the_native_routes(token_client, target):
    record = _create(target)
    url = f"{target['url']}/{record.pk}"

    read = token_client.get(url)
    assert read["ETag"] == '"1"'
    assert token_client.get(url, HTTP_IF_NONE_MATCH='"1"').status_code == 304
    stale = token_client.put(url, {**BODY, "value": "x"}, format="json", HTTP_IF_MATCH='"9"')
    assert stale.status_code == 412
    fresh = token_client.put(url, {**BODY, "value": "x"}, format="json", HTTP_IF_MATCH='"1"')
    assert (fresh.status_code, fresh["ETag"]) == (200, '"2"')
    assert token_client.delete(url, HTTP_IF_MATCH='"1"').status_code == 412
    assert token_client.delete(url, HTTP_IF_MATCH='"2"').status_code == 204


def test_a_post_retried_with_its_idempotency_key_writes_once(token_client, target):
    first = token_client.post(target["url"], BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = token_client.post(target["url"], BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = token_client.post(
        target["url"], {**BODY, "value": "other"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert OrderCustomData.objects.count() == 1
