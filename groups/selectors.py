"""Named reads of groups and their members."""

from django.db.models import QuerySet

from customers.models import Customer
from groups.models import UserCustomerGroup, UserGroup


def group_subtree_ids(code: str) -> QuerySet:
    """Return a subquery of the ids of the group `code` and of every group below it."""
    # A recursive CTE would do this in one statement; kept simple until the groups issue.
    ids = set(UserGroup.objects.filter(code=code).values_list("id", flat=True))
    frontier = set(ids)
    while frontier:
        frontier = (
            set(UserGroup.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - ids
        )
        ids |= frontier
    return UserGroup.objects.filter(id__in=ids).values("id")


def customer_filter_group(
    customers: QuerySet[Customer], *, code: str, include_subgroups: bool = False
) -> QuerySet[Customer]:
    """Keep the customers that are members of the group (or, optionally, of its sub-groups)."""
    groups = (
        group_subtree_ids(code)
        if include_subgroups
        else UserGroup.objects.filter(code=code).values("id")
    )
    members = UserCustomerGroup.objects.filter(group_id__in=groups).values("customer_id")
    return customers.filter(id__in=members)
