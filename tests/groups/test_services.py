import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.imports.rows import RowInvalid
from customers.services import customer_update
from groups.models import UserCustomerGroup, UserGroup
from groups.services import (
    PARENT_CYCLE,
    UNKNOWN_GROUPS,
    ItemsValidationError,
    group_create,
    group_delete,
    group_update,
    groups_create,
)
from tests.customers.factories import CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory, group_chain

pytestmark = pytest.mark.django_db


# Replacing a customer's groups is a customer edit: it goes through the write pipeline.
def _editor():
    return get_user_model().objects.get_or_create(username="groups-editor", is_superuser=True)[0]


def _groups_set(customer, codes):
    user = _editor()
    customer_update(customer=customer, data={"groups": codes}, user=user, partial=True)


def _codes(customer):
    return sorted(customer.memberships.values_list("group__code", flat=True))


def test_groups_set_replaces_the_set_and_keeps_kept_memberships():
    # given a customer in a (unsubscribed, with data) and b
    customer = CustomerFactory()
    a, b = UserGroupFactory(code="a"), UserGroupFactory(code="b")
    UserGroupFactory(code="c")
    kept = UserCustomerGroupFactory(
        customer=customer, group=a, subscribed=False, attributes={"k": 1}
    )
    UserCustomerGroupFactory(customer=customer, group=b)

    # when
    _groups_set(customer, ["a", "c", "c"])

    # then
    assert _codes(customer) == ["a", "c"]
    kept.refresh_from_db()
    assert (kept.subscribed, kept.attributes) == (False, {"k": 1})


def test_groups_set_with_unknown_codes_writes_nothing():
    customer = CustomerFactory()
    UserCustomerGroupFactory(customer=customer, group=UserGroupFactory(code="a"))

    with pytest.raises(RowInvalid) as error:
        _groups_set(customer, ["nope", "b-nope", "a"])

    assert error.value.errors == {"groups": [UNKNOWN_GROUPS.format(codes="b-nope, nope")]}
    assert _codes(customer) == ["a"]


def test_groups_set_to_empty_removes_all():
    customer = CustomerFactory()
    UserCustomerGroupFactory(customer=customer)
    _groups_set(customer, [])
    assert _codes(customer) == []


def test_groups_set_query_count_does_not_grow_with_groups():
    """Replacing 2 memberships or 21 costs the same statements (on either database)."""
    few, many = CustomerFactory(), CustomerFactory()
    codes = [UserGroupFactory(code=f"g{i}").code for i in range(20)]
    old = UserGroupFactory(code="old")
    for customer in (few, many):
        UserCustomerGroupFactory(customer=customer, group=UserGroup.objects.get(code="g0"))
        UserCustomerGroupFactory(customer=customer, group=old)
    _editor()

    with CaptureQueriesContext(connection) as two:
        _groups_set(few, codes[:2])
    with CaptureQueriesContext(connection) as twenty:
        _groups_set(many, codes)

    assert len(twenty) == len(two)
    assert (len(_codes(few)), len(_codes(many))) == (2, 20)


def test_group_update_refuses_cycles():
    a, b = group_chain("a", "b")
    with pytest.raises(ValidationError) as error:
        group_update(group=a, data={"parent": b.code})
    assert error.value.message_dict == {"parent": [PARENT_CYCLE.format(cycle="a → b → a")]}


def test_groups_create_rolls_back_everything_on_any_error():
    with pytest.raises(ItemsValidationError) as error:
        groups_create(
            items=[{"code": "x", "title": "X"}, {"code": "y", "title": "Y", "parent": "zzz"}]
        )
    assert list(error.value.items) == ["1"]
    assert "parent" in error.value.items["1"]
    assert not UserGroup.objects.exists()


def test_group_delete_reparents_and_removes_memberships():
    root = group_create(data={"code": "root", "title": "Root"})
    middle = group_create(data={"code": "middle", "title": "M", "parent": "root"})
    group_create(data={"code": "leaf", "title": "L", "parent": "middle"})
    UserCustomerGroupFactory(group=middle)

    group_delete(group=middle)

    assert UserGroup.objects.get(code="leaf").parent == root
    assert not UserCustomerGroup.objects.exists()
