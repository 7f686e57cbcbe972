import pytest

from groups.models import UserCustomerGroup
from groups.services import MEMBERSHIP_EXISTS, MEMBERSHIP_GROUP_IMMUTABLE, UNKNOWN_GROUP
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return CustomerFactory(channel=ChannelFactory(code="web"))


@pytest.fixture
def vip():
    return UserGroupFactory(code="vip")


def url(customer_id, code=None):
    base = f"/api/v1/customers/{customer_id}/memberships/"
    return f"{base}{code}/" if code else base


def test_add_membership(api_client, customer, vip):
    body = {"group": "vip", "subscribed": False, "attributes": {"tier": "gold"}}
    response = api_client.post(url(customer.pk), body)

    assert response.status_code == 201, response.data
    assert {key: response.data[key] for key in body} == body
    membership = UserCustomerGroup.objects.get(customer=customer, group=vip)
    assert (membership.subscribed, membership.attributes) == (False, {"tier": "gold"})


def test_add_membership_defaults_to_subscribed(api_client, customer, vip):
    response = api_client.post(url(customer.pk), {"group": "vip"})
    assert response.status_code == 201
    assert response.data["subscribed"] is True
    assert response.data["attributes"] == {}


def test_duplicate_membership_is_400(api_client, customer, vip):
    UserCustomerGroupFactory(customer=customer, group=vip)
    response = api_client.post(url(customer.pk), {"group": "vip"})
    assert response.status_code == 400
    assert response.data == {"group": [MEMBERSHIP_EXISTS.format(code="vip")]}
    assert UserCustomerGroup.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"group": "nope"}, "group", id="unknown-group"),
        pytest.param({}, "group", id="missing-group"),
        pytest.param({"group": "vip", "subscribed": "maybe"}, "subscribed", id="bad-flag"),
        pytest.param({"group": "vip", "attributes": [1, 2]}, "attributes", id="attrs-not-object"),
    ],
)
def test_bad_membership_is_400(api_client, customer, vip, body, field):
    response = api_client.post(url(customer.pk), body)
    assert response.status_code == 400
    assert field in response.data
    assert not UserCustomerGroup.objects.exists()


def test_unknown_group_message(api_client, customer):
    response = api_client.post(url(customer.pk), {"group": "nope"})
    assert response.data == {"group": [UNKNOWN_GROUP.format(code="nope")]}


def test_unknown_customer_is_404(api_client, vip):
    assert api_client.post(url(999999), {"group": "vip"}).status_code == 404
    assert api_client.get(url(999999)).status_code == 404


def test_other_channels_customer_is_404(api_client, api_user, customer, vip):
    ChannelFactory(code="shop").api_users.add(api_user)
    UserCustomerGroupFactory(customer=customer, group=vip)

    assert api_client.get(url(customer.pk)).status_code == 404
    assert api_client.post(url(customer.pk), {"group": "vip"}).status_code == 404
    assert api_client.delete(url(customer.pk, "vip")).status_code == 404
    assert UserCustomerGroup.objects.count() == 1


def test_list_memberships(api_client, customer, django_assert_num_queries):
    for code in ("a", "b", "c"):
        UserCustomerGroupFactory(customer=customer, group=UserGroupFactory(code=code))
    UserCustomerGroupFactory(group=UserGroupFactory(code="someone-elses"))

    # customer + channel scoping, permissions (2), count, page (groups joined)
    with django_assert_num_queries(6):
        response = api_client.get(url(customer.pk))

    assert response.status_code == 200
    assert [row["group"] for row in response.data["results"]] == ["a", "b", "c"]
    assert response.data["count"] == 3


def test_get_one_membership(api_client, customer, vip):
    UserCustomerGroupFactory(customer=customer, group=vip, attributes={"x": 1})
    response = api_client.get(url(customer.pk, "vip"))
    assert response.status_code == 200
    assert response.data["attributes"] == {"x": 1}


def test_patch_subscribed_and_attributes(api_client, customer, vip):
    UserCustomerGroupFactory(customer=customer, group=vip, attributes={"x": 1})

    response = api_client.patch(url(customer.pk, "vip"), {"subscribed": False})
    assert response.status_code == 200, response.data
    assert response.data["subscribed"] is False
    assert response.data["attributes"] == {"x": 1}

    response = api_client.patch(url(customer.pk, "vip"), {"attributes": {"y": 2}})
    assert response.data["attributes"] == {"y": 2}
    assert response.data["subscribed"] is False
    membership = UserCustomerGroup.objects.get()
    assert (membership.subscribed, membership.attributes) == (False, {"y": 2})


def test_patch_cannot_move_membership_to_another_group(api_client, customer, vip):
    UserCustomerGroupFactory(customer=customer, group=vip)
    UserGroupFactory(code="other")
    response = api_client.patch(url(customer.pk, "vip"), {"group": "other"})
    assert response.status_code == 400
    assert response.data == {"group": [MEMBERSHIP_GROUP_IMMUTABLE]}


def test_patch_unknown_membership_is_404(api_client, customer, vip):
    assert api_client.patch(url(customer.pk, "vip"), {"subscribed": False}).status_code == 404


def test_delete_membership(api_client, customer, vip):
    UserCustomerGroupFactory(customer=customer, group=vip)
    response = api_client.delete(url(customer.pk, "vip"))
    assert response.status_code == 204
    assert not UserCustomerGroup.objects.exists()
    assert api_client.delete(url(customer.pk, "vip")).status_code == 404


def test_user_without_permission_gets_403(anon_client, django_user_model, customer, vip):
    user = django_user_model.objects.create_user("nobody", password="pw-nobody-123")
    anon_client.force_authenticate(user)
    assert anon_client.post(url(customer.pk), {"group": "vip"}).status_code == 403
