"""Every write to groups and memberships goes through here."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from customers.models import Customer
from groups.models import UserCustomerGroup, UserGroup

UNKNOWN_GROUPS = "Unknown group code(s): {codes}."


def groups_by_codes(codes: Iterable[str]) -> dict[str, UserGroup]:
    """Return {code: group} for the codes; raise ValidationError naming any unknown code."""
    wanted = set(codes)
    found = {group.code: group for group in UserGroup.objects.filter(code__in=wanted)}
    missing = sorted(wanted - set(found))
    if missing:
        raise ValidationError({"groups": [UNKNOWN_GROUPS.format(codes=", ".join(missing))]})
    return found


@transaction.atomic
def customer_groups_set(*, customer: Customer, codes: Iterable[str]) -> None:
    """Make the customer's groups exactly `codes`; kept memberships keep their flags and data."""
    wanted = groups_by_codes(codes)
    current = set(
        UserCustomerGroup.objects.filter(customer=customer).values_list("group__code", flat=True)
    )
    UserCustomerGroup.objects.filter(customer=customer).exclude(group__code__in=wanted).delete()
    UserCustomerGroup.objects.bulk_create(
        UserCustomerGroup(customer=customer, group=group)
        for code, group in wanted.items()
        if code not in current
    )
