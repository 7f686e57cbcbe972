import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from groups.models import UserCustomerGroup, UserGroup
from groups.selectors import (
    customer_filter_group,
    group_ancestors,
    group_list,
    group_paths,
    group_subtree_ids,
)
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory, group_chain

pytestmark = pytest.mark.django_db

LEVELS = ["l1", "l2", "l3", "l4", "l5"]


@pytest.fixture
def chain():
    """A five-level hierarchy l1 > l2 > l3 > l4 > l5, plus an unrelated group."""
    groups = group_chain(*LEVELS)
    UserGroupFactory(code="other")
    return groups


def _count_queries(build):
    """Queries to build the queryset (the group ids are read first) and to read its rows."""
    with CaptureQueriesContext(connection) as context:
        rows = list(build())
    return len(context.captured_queries), rows


def test_subtree_holds_the_group_and_every_descendant(chain):
    ids = set(group_subtree_ids("l2").values_list("id", flat=True))
    assert ids == {group.pk for group in chain[1:]}


def test_subtree_of_unknown_code_is_empty(chain):
    assert not group_subtree_ids("nope").exists()


def test_ancestors_walk_up_to_the_root(chain):
    assert [code for _, code in group_ancestors(group_id=chain[-1].pk)] == LEVELS[::-1]


def test_paths_for_a_page_of_groups(chain, django_assert_num_queries):
    with django_assert_num_queries(1):
        paths = group_paths(group_ids=[chain[0].pk, chain[4].pk])
    assert paths == {chain[0].pk: "l1", chain[4].pk: "l1 / l2 / l3 / l4 / l5"}


def test_group_tree_costs_the_same_queries_as_group(chain):
    # given: a few thousand memberships spread over the five levels
    channel = ChannelFactory(code="web")
    customers = Customer.objects.bulk_create(
        Customer(channel=channel, email=f"member{i}@example.com") for i in range(2500)
    )
    UserCustomerGroup.objects.bulk_create(
        UserCustomerGroup(customer=customer, group=chain[i % 5])
        for i, customer in enumerate(customers)
    )
    outsider = CustomerFactory(channel=channel)
    UserCustomerGroupFactory(customer=outsider, group=UserGroup.objects.get(code="other"))

    # when
    group_queries, direct = _count_queries(
        lambda: customer_filter_group(Customer.objects.all(), code="l1").values_list(
            "id", flat=True
        )
    )
    tree_queries, tree = _count_queries(
        lambda: customer_filter_group(
            Customer.objects.all(), code="l1", include_subgroups=True
        ).values_list("id", flat=True)
    )
    deep_queries, deep = _count_queries(
        lambda: customer_filter_group(
            Customer.objects.all(), code="l4", include_subgroups=True
        ).values_list("id", flat=True)
    )

    # then: the group ids (the subtree's in one recursive query), then the members
    assert group_queries == tree_queries == deep_queries == 2
    assert len(direct) == 500
    assert len(tree) == 2500
    assert outsider.pk not in tree
    assert len(deep) == 1000


def test_group_tree_of_a_leaf_is_its_direct_members(chain):
    member = UserCustomerGroupFactory(group=chain[-1]).customer
    UserCustomerGroupFactory(group=chain[0])
    rows = customer_filter_group(Customer.objects.all(), code="l5", include_subgroups=True)
    assert list(rows) == [member]


def test_member_count_is_annotated(chain):
    UserCustomerGroupFactory.create_batch(3, group=chain[0])
    counts = dict(group_list().values_list("code", "member_count"))
    assert counts["l1"] == 3
    assert counts["l2"] == 0
