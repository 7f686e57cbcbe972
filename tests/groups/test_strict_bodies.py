"""Groups and memberships: unknown body fields are a 400 naming them, a read body can be sent
back as it is, and GET → one change → PUT leaves exactly that change."""

import pytest

from groups.api.serializers import GroupInputSerializer, MembershipUpdateInputSerializer
from groups.models import UserCustomerGroup, UserGroup
from groups.services import MEMBERSHIP_GROUP_IMMUTABLE
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory
from tests.round_trips import changed, stable, writable_paths

pytestmark = pytest.mark.django_db

URL = "/api/v1/groups/"
PARENT_CODE = "Unknown field 'parent_code'. Did you mean 'parent'?"
SUBSCRIBE = "Unknown field 'subscribe'. Did you mean 'subscribed'?"
ATTRS = "Unknown field 'attrs'. Did you mean 'attributes'?"
GROUP = {"code": "jedis", "title": "Jedis"}


def _memberships_url(customer, code=""):
    return f"/api/v1/customers/{customer.pk}/memberships/" + (f"{code}/" if code else "")


@pytest.fixture
def customer():
    return CustomerFactory(channel=ChannelFactory(code="web"))


# --- groups -----------------------------------------------------------------------------------


def test_post_with_an_unknown_field_is_400_naming_it_and_writes_nothing(api_client):
    response = api_client.post(URL, {**GROUP, "parent_code": "galaxy"}, format="json")

    assert response.status_code == 400
    assert response.data == {"parent_code": [PARENT_CODE]}
    assert not UserGroup.objects.exists()


def test_unknown_fields_are_named_next_to_the_other_errors(api_client):
    body = {"code": "bad code", "title": "X", "parent_code": "a", "Title": "Y"}
    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert set(response.data) == {"code", "parent_code", "Title"}
    assert response.data["Title"] == ["Unknown field 'Title'. Did you mean 'title'?"]


def test_list_post_names_the_unknown_field_of_its_item_and_writes_nothing(api_client):
    body = [{"code": "galaxy", "title": "Galaxy"}, {**GROUP, "parent_code": "galaxy"}]
    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.data == {"items": {"1": {"parent_code": [PARENT_CODE]}}}
    assert not UserGroup.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_edit_with_an_unknown_field_is_400_and_changes_nothing(api_client, method):
    UserGroupFactory(**GROUP)
    body = {**GROUP, "title": "Renamed", "parent_code": "x"}

    response = getattr(api_client, method)(f"{URL}jedis/", body, format="json")

    assert response.status_code == 400
    assert response.data == {"parent_code": [PARENT_CODE]}
    assert UserGroup.objects.get().title == "Jedis"


def test_a_read_group_posted_as_it_is_creates_it_ignoring_read_only_fields(api_client):
    UserGroupFactory(code="galaxy")
    read = api_client.get(f"{URL}galaxy/").data
    body = {**read, "code": "galaxy-2", "member_count": 99, "version": "stale", "created_at": "x"}

    response = api_client.post(URL, body, format="json")

    assert response.status_code == 201, response.data
    assert response.data["member_count"] == 0
    assert response.data["created_at"] != "x"


def test_null_for_a_text_field_that_reads_blank_means_blank(api_client):
    UserGroupFactory(**GROUP, description="Old", subscribe_text="Join")
    body = {**api_client.get(f"{URL}jedis/").data, "description": None, "subscribe_text": None}

    response = api_client.put(f"{URL}jedis/", body, format="json")

    assert response.status_code == 200, response.data
    assert (response.data["description"], response.data["subscribe_text"]) == ("", "")
    assert UserGroup.objects.get().description == ""


def test_null_for_a_required_text_field_is_still_400(api_client):
    UserGroupFactory(**GROUP)
    response = api_client.patch(f"{URL}jedis/", {"title": None}, format="json")
    assert response.status_code == 400
    assert "title" in response.data


# What a group field changes to when its type alone does not make a valid value.
GROUP_OVERRIDES = {"parent": lambda _: "galaxy"}


@pytest.mark.parametrize("path", list(writable_paths(GroupInputSerializer())))
def test_group_round_trip_changes_exactly_one_field(api_client, path):
    # given
    UserGroupFactory(code="galaxy")
    UserGroupFactory(**GROUP, description="The order", subscribe_text="Join")
    read = api_client.get(f"{URL}jedis/").data
    field = GroupInputSerializer().fields[path]
    value = GROUP_OVERRIDES.get(path, lambda old: changed(field, old))(read[path])
    body = {**read, path: value}

    # when
    response = api_client.put(f"{URL}jedis/", body, format="json")

    # then
    assert response.status_code == 200, response.data
    assert stable(response.data) == stable(body)
    assert stable(api_client.get(f"{URL}{body['code']}/").data) == stable(body)


# --- memberships ------------------------------------------------------------------------------


def test_membership_post_with_an_unknown_field_is_400_and_writes_nothing(api_client, customer):
    UserGroupFactory(code="vip")
    body = {"group": "vip", "subscribe": False}

    response = api_client.post(_memberships_url(customer), body, format="json")

    assert response.status_code == 400
    assert response.data == {"subscribe": [SUBSCRIBE]}
    assert not UserCustomerGroup.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_membership_edit_with_an_unknown_field_is_400_and_changes_nothing(
    api_client, customer, method
):
    UserCustomerGroupFactory(customer=customer, group=UserGroupFactory(code="vip"))
    body = {"subscribed": False, "attrs": {"tier": "gold"}}

    response = getattr(api_client, method)(_memberships_url(customer, "vip"), body, format="json")

    assert response.status_code == 400
    assert response.data == {"attrs": [ATTRS]}
    assert UserCustomerGroup.objects.get().subscribed is True


def test_a_read_membership_posted_to_another_customer_adds_it(api_client, customer):
    UserCustomerGroupFactory(
        customer=customer, group=UserGroupFactory(code="vip"), attributes={"tier": "gold"}
    )
    read = api_client.get(_memberships_url(customer, "vip")).data
    other = CustomerFactory(channel=customer.channel)

    response = api_client.post(_memberships_url(other), read, format="json")

    assert response.status_code == 201, response.data
    assert response.data["attributes"] == {"tier": "gold"}


# `group` names the membership (it is in the URL): sending another one is refused.
MEMBERSHIP_WRITE_ONCE = ("group",)


@pytest.mark.parametrize(
    "path", list(writable_paths(MembershipUpdateInputSerializer(), skip=MEMBERSHIP_WRITE_ONCE))
)
def test_membership_round_trip_changes_exactly_one_field(api_client, customer, path):
    # given
    UserCustomerGroupFactory(
        customer=customer, group=UserGroupFactory(code="vip"), attributes={"tier": "gold"}
    )
    read = api_client.get(_memberships_url(customer, "vip")).data
    field = MembershipUpdateInputSerializer().fields[path]
    body = {**read, path: changed(field, read[path])}

    # when
    response = api_client.put(_memberships_url(customer, "vip"), body, format="json")

    # then
    assert response.status_code == 200, response.data
    assert stable(response.data) == stable(body)
    assert stable(api_client.get(_memberships_url(customer, "vip")).data) == stable(body)


def test_membership_put_with_another_group_is_400_naming_it(api_client, customer):
    UserCustomerGroupFactory(customer=customer, group=UserGroupFactory(code="vip"))
    UserGroupFactory(code="other")
    body = {**api_client.get(_memberships_url(customer, "vip")).data, "group": "other"}

    response = api_client.put(_memberships_url(customer, "vip"), body, format="json")

    assert response.status_code == 400
    assert response.data == {"group": [MEMBERSHIP_GROUP_IMMUTABLE]}
    assert UserCustomerGroup.objects.get().group.code == "vip"
