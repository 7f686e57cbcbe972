"""ETag, If-Match and If-None-Match on every resource with a detail route."""

from dataclasses import dataclass

import pytest

from config.versions import VERSION_CHANGED
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory
from tests.orders.factories import OrderCustomDataFactory, OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


@dataclass
class Resource:
    """One object behind a detail route: where it lives, two different changes to it and
    how to reread it."""

    detail: str
    listing: str
    change: dict
    other: dict
    row: object  # the model instance, reread to see what is stored

    def stored(self) -> tuple:
        """The changed fields and the version as stored."""
        self.row.refresh_from_db()
        return (*(getattr(self.row, name) for name in self.change), self.row.version)


def _channel():
    channel = ChannelFactory(code="web")
    return Resource(
        f"{API}/channels/web/", f"{API}/channels/", {"name": "New"}, {"name": "Other"}, channel
    )


def _top_level(instance, collection: str, change: dict, other: dict) -> Resource:
    """A resource at /api/v1/<collection>/<id>/."""
    url = f"{API}/{collection}/"
    return Resource(f"{url}{instance.pk}/", url, change, other, instance)


def _customer():
    return _top_level(CustomerFactory(), "customers", {"first_name": "Zoe"}, {"first_name": "Yan"})


def _address():
    address = AddressFactory()
    addresses = f"{API}/customers/{address.customer_id}/addresses/"
    return Resource(
        f"{addresses}{address.pk}/", addresses, {"city": "Lima"}, {"city": "Cusco"}, address
    )


def _group():
    group = UserGroupFactory(code="vip")
    return Resource(
        f"{API}/groups/vip/", f"{API}/groups/", {"title": "Very"}, {"title": "Most"}, group
    )


def _membership():
    membership = UserCustomerGroupFactory(group=UserGroupFactory(code="vip"))
    memberships = f"{API}/customers/{membership.customer_id}/memberships/"
    return Resource(
        f"{memberships}vip/", memberships, {"subscribed": False}, {"subscribed": True}, membership
    )


def _order():
    return _top_level(OrderFactory(), "orders", {"status": "fulfilled"}, {"status": "cancelled"})


def _order_custom_data():
    record = OrderCustomDataFactory()
    records = f"{API}/orders/{record.order_id}/custom-data/"
    return Resource(f"{records}{record.pk}/", records, {"value": "new"}, {"value": "x"}, record)


def _item_custom_data():
    item = OrderItemFactory()
    record = OrderCustomDataFactory(order=item.order, item=item)
    records = f"{API}/orders/{item.order_id}/items/{item.pk}/custom-data/"
    return Resource(f"{records}{record.pk}/", records, {"value": "new"}, {"value": "x"}, record)


RESOURCES = {
    "channel": _channel,
    "customer": _customer,
    "address": _address,
    "group": _group,
    "membership": _membership,
    "order": _order,
    "order-custom-data": _order_custom_data,
    "item-custom-data": _item_custom_data,
}


@pytest.fixture(params=RESOURCES.values(), ids=RESOURCES.keys())
def resource(request, db):
    return request.param()


def _etag(version: int) -> str:
    return f'"{version}"'


def test_detail_answers_the_version_as_etag_and_list_items_carry_it(api_client, resource):
    # when
    detail = api_client.get(resource.detail)
    listed = api_client.get(resource.listing).json()["results"]

    # then
    assert detail.status_code == 200
    assert detail["ETag"] == _etag(detail.json()["version"]) == _etag(resource.row.version)
    (item,) = listed
    assert item["version"] == detail.json()["version"]


def test_if_none_match_with_the_current_etag_is_304_without_body(api_client, resource):
    # given
    etag = api_client.get(resource.detail)["ETag"]

    # when
    unchanged = api_client.get(resource.detail, HTTP_IF_NONE_MATCH=etag)
    api_client.patch(resource.detail, resource.change, format="json")
    changed = api_client.get(resource.detail, HTTP_IF_NONE_MATCH=etag)

    # then
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == etag
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_a_write_with_the_current_etag_proceeds_and_answers_the_new_one(api_client, resource):
    # given
    etag = api_client.get(resource.detail)["ETag"]

    # when
    response = api_client.patch(resource.detail, resource.change, format="json", HTTP_IF_MATCH=etag)

    # then
    assert response.status_code == 200, response.content
    assert response["ETag"] == _etag(response.json()["version"]) != etag
    assert resource.stored() == (*resource.change.values(), response.json()["version"])


def test_a_write_with_a_stale_etag_is_412_and_changes_nothing(api_client, resource):
    # given: the object changed after this client read it
    stale = api_client.get(resource.detail)["ETag"]
    api_client.patch(resource.detail, resource.change, format="json")
    before = resource.stored()

    # when
    patched = api_client.patch(resource.detail, resource.other, format="json", HTTP_IF_MATCH=stale)
    deleted = api_client.delete(resource.detail, HTTP_IF_MATCH=stale)

    # then
    assert (patched.status_code, patched.json()) == (412, {"detail": VERSION_CHANGED})
    assert (deleted.status_code, deleted.json()) == (412, {"detail": VERSION_CHANGED})
    assert resource.stored() == before


def test_if_match_star_matches_any_version(api_client, resource):
    response = api_client.patch(resource.detail, resource.change, format="json", HTTP_IF_MATCH="*")

    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "header", [pytest.param('W/"{v}"', id="weak"), pytest.param('"0", "{v}"', id="list")]
)
def test_delete_with_a_matching_etag_deletes(api_client, resource, header):
    version = resource.row.version

    response = api_client.delete(resource.detail, HTTP_IF_MATCH=header.format(v=version))

    assert response.status_code == 204, response.content
    assert not type(resource.row).objects.filter(pk=resource.row.pk).exists()
