import re

import pytest

from groups.admin import MembershipInline
from groups.models import UserCustomerGroup, UserGroup
from groups.services import PARENT_CYCLE
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory, group_chain

pytestmark = pytest.mark.django_db

GROUPS = "/admin/groups/usergroup/"
MEMBERSHIPS = "/admin/groups/usercustomergroup/"


@pytest.fixture
def tree():
    top, middle = group_chain("top", "middle")
    for index in range(4):
        group = UserGroupFactory(code=f"leaf-{index}", parent=middle)
        UserCustomerGroupFactory.create_batch(index, group=group)
    return top


def test_group_changelist_shows_counts_and_paths_in_constant_queries(
    staff_client, tree, django_assert_num_queries
):
    # session + user + permissions (2) + whether the user is limited to some channels (the
    # sidebar's channel permissions) + parent filter choices + counts (2) + page + paths
    with django_assert_num_queries(10):
        response = staff_client.get(GROUPS)

    assert response.status_code == 200
    html = response.content.decode()
    assert "top / middle / leaf-3" in html
    assert '<td class="field-member_count">3</td>' in html


@pytest.mark.parametrize("params", [{"q": "leaf"}, {"visibility__exact": "private"}, {"o": "6"}])
def test_group_changelist_search_filter_order(staff_client, tree, params):
    assert staff_client.get(GROUPS, params).status_code == 200


def test_group_add_and_change_pages(staff_client, tree):
    assert staff_client.get(f"{GROUPS}add/").status_code == 200
    assert staff_client.get(f"{GROUPS}{tree.pk}/change/").status_code == 200


def test_admin_add_group_goes_through_the_service(staff_client, tree):
    response = staff_client.post(
        f"{GROUPS}add/",
        {"code": "new", "title": "New", "visibility": "public", "parent": tree.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert UserGroup.objects.get(code="new").parent == tree


def test_admin_refuses_a_cycle(staff_client, tree):
    leaf = UserGroup.objects.get(code="leaf-0")
    response = staff_client.post(
        f"{GROUPS}{tree.pk}/change/",
        {"code": "top", "title": "Top", "visibility": "private", "parent": leaf.pk},
    )
    assert response.status_code == 200
    cycle = PARENT_CYCLE.format(cycle="top → leaf-0 → middle → top")
    assert cycle in response.content.decode()
    assert UserGroup.objects.get(code="top").parent is None


def test_admin_delete_reparents_children(staff_client, tree):
    middle = UserGroup.objects.get(code="middle")
    response = staff_client.post(f"{GROUPS}{middle.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert UserGroup.objects.get(code="leaf-0").parent == tree


def test_membership_admin_pages(staff_client, tree):
    membership = UserCustomerGroup.objects.first()
    assert staff_client.get(MEMBERSHIPS).status_code == 200
    assert staff_client.get(MEMBERSHIPS, {"q": "leaf"}).status_code == 200
    assert staff_client.get(f"{MEMBERSHIPS}{membership.pk}/change/").status_code == 200


def test_customer_page_lists_memberships_by_group_with_a_group_picker(staff_client):
    # given
    membership = UserCustomerGroupFactory(group=UserGroupFactory(code="vip", title="VIP buyers"))

    # when
    response = staff_client.get(f"/admin/customers/customer/{membership.customer_id}/change/")

    # then
    html = response.content.decode()
    assert MembershipInline.model is UserCustomerGroup
    assert re.search(r'class="inline-heading">\s*Group memberships\s*</h2>', html)
    assert "VIP buyers (vip)" in html
    assert " in " + str(membership.group_id) not in html
    # the autocomplete picker, not a raw id box
    assert 'class="admin-autocomplete" data-ajax--cache="true"' in html
    assert 'name="memberships-0-group"' in html


def test_group_autocomplete_finds_groups_by_code_or_title(staff_client):
    UserGroupFactory(code="vip", title="VIP buyers")
    UserGroupFactory(code="wholesale", title="Wholesale")

    response = staff_client.get(
        "/admin/autocomplete/",
        {
            "term": "vip",
            "app_label": "groups",
            "model_name": "usercustomergroup",
            "field_name": "group",
        },
    )

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == ["vip"]


def test_admin_names_read_as_a_product(staff_client):
    html = staff_client.get("/admin/").content.decode()

    assert ">Customer groups</a>" in html
    assert ">Group memberships</a>" in html
    assert "User customer groups" not in html


def test_admin_bulk_delete_of_parent_and_child(staff_client, tree):
    middle = UserGroup.objects.get(code="middle")
    response = staff_client.post(
        GROUPS,
        {"action": "delete_selected", "_selected_action": [tree.pk, middle.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert set(UserGroup.objects.values_list("code", "parent")) == {
        (f"leaf-{index}", None) for index in range(4)
    }
