import pytest

from groups.models import UserCustomerGroup, UserGroup
from groups.services import PARENT_CYCLE, UNKNOWN_PARENT
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory, group_chain

pytestmark = pytest.mark.django_db

URL = "/api/v1/groups/"


def test_anonymous_calls_get_401(anon_client):
    assert anon_client.get(URL).status_code == 401


def test_create_one_group(api_client):
    body = {
        "code": "newsletter",
        "title": "Newsletter",
        "visibility": "public",
        "subscribe_text": "Get our news",
    }
    response = api_client.post(URL, body)

    assert response.status_code == 201, response.data
    assert response.data == {
        **body,
        "description": "",
        "parent": None,
        "member_count": 0,
        "created_at": response.data["created_at"],
        "updated_at": response.data["updated_at"],
        "version": 1,
    }
    assert UserGroup.objects.get(code="newsletter").visibility == "public"


def test_create_several_groups_in_one_post(api_client):
    """The seed's example: jedis and storm-troopers in one request."""
    body = [
        {"code": "jedis", "title": "Jedis"},
        {"code": "storm-troopers", "title": "Storm Troopers"},
    ]
    response = api_client.post(URL, body)

    assert response.status_code == 201, response.data
    assert [row["code"] for row in response.data] == ["jedis", "storm-troopers"]
    assert [row["title"] for row in response.data] == ["Jedis", "Storm Troopers"]
    assert response.data[0]["visibility"] == "private"
    assert set(UserGroup.objects.values_list("code", flat=True)) == {"jedis", "storm-troopers"}


def test_list_post_may_name_a_parent_created_earlier_in_the_list(api_client):
    body = [
        {"code": "galaxy", "title": "Galaxy"},
        {"code": "jedis", "title": "Jedis", "parent": "galaxy"},
        {"code": "padawans", "title": "Padawans", "parent": "jedis"},
    ]
    response = api_client.post(URL, body)

    assert response.status_code == 201, response.data
    assert [row["parent"] for row in response.data] == [None, "galaxy", "jedis"]
    assert UserGroup.objects.get(code="padawans").parent.parent.code == "galaxy"


@pytest.mark.parametrize(
    ("second", "field"),
    [
        pytest.param({"code": "bad code", "title": "X"}, "code", id="slug"),
        pytest.param({"code": "x"}, "title", id="missing-title"),
        pytest.param({"code": "x", "title": "X", "visibility": "secret"}, "visibility", id="vis"),
        pytest.param({"code": "jedis", "title": "Again"}, "code", id="duplicate-in-list"),
        pytest.param({"code": "x", "title": "X", "parent": "nope"}, "parent", id="unknown-parent"),
        pytest.param({"code": "taken", "title": "X"}, "code", id="duplicate-in-db"),
    ],
)
def test_list_post_is_all_or_nothing(api_client, second, field):
    UserGroupFactory(code="taken")
    body = [{"code": "jedis", "title": "Jedis"}, second, {"code": "sith", "title": "Sith"}]

    response = api_client.post(URL, body)

    assert response.status_code == 400
    assert list(response.data["items"]) == ["1"]
    assert field in response.data["items"]["1"]
    assert list(UserGroup.objects.values_list("code", flat=True)) == ["taken"]


def test_list_post_names_every_invalid_item(api_client):
    body = [{"code": "a b", "title": "X"}, {"code": "ok", "title": "Ok"}, {"title": "No code"}]
    response = api_client.post(URL, body)
    assert response.status_code == 400
    assert sorted(response.data["items"]) == ["0", "2"]


def test_empty_list_post_is_400(api_client):
    assert api_client.post(URL, [], format="json").status_code == 400


def test_unknown_parent_is_400(api_client):
    response = api_client.post(URL, {"code": "x", "title": "X", "parent": "nope"})
    assert response.status_code == 400
    assert response.data == {"parent": [UNKNOWN_PARENT.format(code="nope")]}


def test_detail_by_code(api_client):
    parent = UserGroupFactory(code="dealers")
    UserGroupFactory(code="gold-dealers", title="Gold", parent=parent)
    response = api_client.get(f"{URL}gold-dealers/")
    assert response.status_code == 200
    assert response.data["parent"] == "dealers"
    assert response.data["title"] == "Gold"


def test_unknown_code_is_404(api_client):
    assert api_client.get(f"{URL}nope/").status_code == 404


def test_patch_changes_only_what_is_sent(api_client):
    UserGroupFactory(code="vip", title="VIP", description="Best")
    response = api_client.patch(f"{URL}vip/", {"visibility": "public"})
    assert response.status_code == 200, response.data
    group = UserGroup.objects.get(code="vip")
    assert (group.visibility, group.title, group.description) == ("public", "VIP", "Best")


def test_put_replaces_the_group(api_client):
    UserGroupFactory(code="vip", title="VIP", description="Best")
    UserGroupFactory(code="top")
    response = api_client.put(f"{URL}vip/", {"code": "vip", "title": "V", "parent": "top"})
    assert response.status_code == 200, response.data
    assert response.data["parent"] == "top"
    assert response.data["title"] == "V"


def test_put_requires_title(api_client):
    UserGroupFactory(code="vip")
    response = api_client.put(f"{URL}vip/", {"code": "vip"})
    assert response.status_code == 400
    assert "title" in response.data


def test_patch_can_clear_the_parent(api_client):
    UserGroupFactory(code="child", parent=UserGroupFactory(code="top"))
    response = api_client.patch(f"{URL}child/", {"parent": None})
    assert response.status_code == 200
    assert UserGroup.objects.get(code="child").parent is None


def test_rename_keeps_memberships(api_client):
    membership = UserCustomerGroupFactory(group=UserGroupFactory(code="old"))
    response = api_client.patch(f"{URL}old/", {"code": "new"})
    assert response.status_code == 200
    membership.refresh_from_db()
    assert membership.group.code == "new"
    assert response.data["member_count"] == 1


@pytest.mark.parametrize(
    ("code", "parent", "cycle"),
    [
        pytest.param("a", "a", "a → a", id="self"),
        pytest.param("a", "b", "a → b → a", id="child"),
        pytest.param("a", "c", "a → c → b → a", id="grandchild"),
    ],
)
def test_parent_cycles_are_400_naming_the_cycle(api_client, code, parent, cycle):
    group_chain("a", "b", "c")

    response = api_client.patch(f"{URL}{code}/", {"parent": parent})

    assert response.status_code == 400
    assert response.data == {"parent": [PARENT_CYCLE.format(cycle=cycle)]}
    assert UserGroup.objects.get(code="a").parent is None


def test_moving_a_group_under_a_sibling_is_fine(api_client):
    a = UserGroupFactory(code="a")
    UserGroupFactory(code="b", parent=a)
    UserGroupFactory(code="c", parent=a)
    response = api_client.patch(f"{URL}c/", {"parent": "b"})
    assert response.status_code == 200
    assert response.data["parent"] == "b"


def test_delete_removes_memberships_and_reparents_children(api_client):
    # given top > middle > (leaf-1, leaf-2), middle has a member
    _, middle = group_chain("top", "middle")
    UserGroupFactory(code="leaf-1", parent=middle)
    UserGroupFactory(code="leaf-2", parent=middle)
    membership = UserCustomerGroupFactory(group=middle)

    response = api_client.delete(f"{URL}middle/")

    assert response.status_code == 204
    assert not UserGroup.objects.filter(code="middle").exists()
    assert not UserCustomerGroup.objects.filter(pk=membership.pk).exists()
    assert membership.customer.__class__.objects.filter(pk=membership.customer_id).exists()
    parents = dict(UserGroup.objects.values_list("code", "parent__code"))
    assert parents == {"top": None, "leaf-1": "top", "leaf-2": "top"}


def test_delete_root_makes_children_roots(api_client):
    UserGroupFactory(code="child", parent=UserGroupFactory(code="root"))
    assert api_client.delete(f"{URL}root/").status_code == 204
    assert UserGroup.objects.get(code="child").parent is None


def test_list_with_member_counts_costs_constant_queries(api_client, django_assert_num_queries):
    # given 6 groups, some with parents and members
    top = UserGroupFactory(code="top")
    for index in range(5):
        group = UserGroupFactory(code=f"g{index}", parent=top)
        UserCustomerGroupFactory.create_batch(index, group=group)

    # channel scoping (2: permission check and list) + user and group permissions (2)
    # + count (1) + page (1); member_count is a subquery of the page query
    with django_assert_num_queries(6):
        response = api_client.get(URL)

    assert response.status_code == 200
    counts = {row["code"]: row["member_count"] for row in response.data["results"]}
    assert counts == {"top": 0, "g0": 0, "g1": 1, "g2": 2, "g3": 3, "g4": 4}
    assert response["X-Total-Count"] == "6"


def test_member_count_only_counts_visible_channels(api_client, api_user):
    web, shop = ChannelFactory(code="web"), ChannelFactory(code="shop")
    web.api_users.add(api_user)
    group = UserGroupFactory(code="vip")
    UserCustomerGroupFactory(group=group, customer=CustomerFactory(channel=web))
    UserCustomerGroupFactory(group=group, customer=CustomerFactory(channel=shop))
    assert api_client.get(f"{URL}vip/").data["member_count"] == 1


@pytest.mark.parametrize(
    ("params", "codes"),
    [
        pytest.param({"visibility": "public"}, ["pub"], id="visibility"),
        pytest.param({"parent": "pub"}, ["kid"], id="parent"),
        pytest.param({"is_root": "true"}, ["priv", "pub"], id="roots"),
        pytest.param({"code__in": "kid,priv"}, ["kid", "priv"], id="code-in"),
        pytest.param({"ordering": "-member_count,code"}, ["kid", "priv", "pub"], id="order"),
    ],
)
def test_filters_and_ordering(api_client, params, codes):
    pub = UserGroupFactory(code="pub", visibility="public")
    UserGroupFactory(code="priv")
    UserCustomerGroupFactory(group=UserGroupFactory(code="kid", parent=pub))
    response = api_client.get(URL, params)
    assert response.status_code == 200, response.data
    assert [row["code"] for row in response.data["results"]] == codes


def test_sparse_fields(api_client):
    UserGroupFactory(code="vip", title="VIP")
    response = api_client.get(f"{URL}vip/", {"fields": "code,member_count"})
    assert response.data == {"code": "vip", "member_count": 0}
