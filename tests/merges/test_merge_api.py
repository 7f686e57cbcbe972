"""POST /api/v1/customers/merge/ and the merged customer's aliases."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Address, Customer
from events.models import Event
from groups.models import UserCustomerGroup
from merges.models import Merge
from orders.models import Order
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/merge/"


def _counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Customer, Address, UserCustomerGroup, Order, Merge, Event)
    } | {"history": Customer.history.count()}


def test_dry_run_answers_the_result_and_writes_nothing(merger_client, duo):
    # given
    kept, other = duo
    before = _counts()
    body = {"keep": kept.pk, "merge": [other.pk], "fields": {"phone": other.pk}, "dry_run": True}

    # when
    with CaptureQueriesContext(connection) as queries:
        response = merger_client.post(URL, body, format="json")

    # then
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["merge"] is None
    assert data["dry_run"] is True
    assert data["customer"]["phone"] == "+1 555 0100"
    assert data["customer"]["email_allowed"] is False
    assert data["customer"]["orders_count"] == 2
    assert data["customer"]["total_spent"] == "30.00"
    assert data["customer"]["groups"] == ["news", "vip"]
    assert len(data["customer"]["addresses"]) == 2
    assert data["moves"]["orders"]["count"] == 2
    assert len(data["moves"]["addresses"]["deduplicated"]) == 1
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert _counts() == before


def test_merge_moves_everything_to_the_kept_customer(merger_client, duo):
    # given
    kept, other = duo

    # when
    response = merger_client.post(
        URL, {"keep": kept.pk, "merge": [other.pk], "fields": {"phone": other.pk}}, format="json"
    )

    # then
    assert response.status_code == 200, response.json()
    data = response.json()
    assert Merge.objects.get().pk == data["merge"]
    kept.refresh_from_db()
    other.refresh_from_db()
    assert other.merged_into_id == kept.pk
    assert kept.phone == "+1 555 0100"
    assert (kept.email_allowed, kept.sms_allowed) == (False, True)
    assert kept.attributes == {"tier": "gold", "a": 1, "b": 2}
    assert kept.extra_field == {"x": "y"}
    assert set(Order.objects.values_list("customer_id", flat=True)) == {kept.pk}
    assert Address.objects.filter(customer=kept).count() == 2
    assert not Address.objects.filter(customer=other).exists()
    memberships = {m.group.code: m.subscribed for m in kept.memberships.select_related("group")}
    assert memberships == {"news": True, "vip": True}
    assert (kept.orders_count, str(kept.total_spent)) == (2, "30.00")
    assert data["customer"]["id"] == kept.pk
    types = list(Event.objects.filter(type="customer.merged").values_list("object_id", "payload"))
    assert {pk for pk, _ in types} == {kept.pk, other.pk}
    tombstone = next(payload for pk, payload in types if pk == other.pk)
    assert tombstone == {"id": other.pk, "channel_id": kept.channel_id, "merged_into_id": kept.pk}


def test_two_merged_customers_in_one_group_fold_subscribed_if_either_was(merger_client, duo):
    # given: a second merged customer in the "vip" group, subscribed, the first one not
    kept, other = duo
    UserCustomerGroup.objects.filter(customer=other, group__code="vip").update(subscribed=False)
    third = CustomerFactory(channel=kept.channel, email="third@example.com")
    vip = UserCustomerGroup.objects.get(customer=other, group__code="vip").group
    UserCustomerGroup.objects.create(customer=third, group=vip, subscribed=True)

    # when
    response = merger_client.post(
        URL, {"keep": kept.pk, "merge": [other.pk, third.pk]}, format="json"
    )

    # then
    assert response.status_code == 200, response.json()
    memberships = {m.group.code: m.subscribed for m in kept.memberships.select_related("group")}
    assert memberships == {"news": True, "vip": True}


@pytest.mark.parametrize(
    ("kept_flags", "other_flags", "expected"),
    [
        ((True, True, True), (True, True, True), (True, True, True)),
        ((True, False, True), (True, True, False), (True, False, False)),
        ((False, False, False), (True, True, True), (False, False, False)),
    ],
    ids=["all-allowed", "mixed", "kept-refused"],
)
def test_consent_is_the_most_restrictive(merger_client, kept_flags, other_flags, expected):
    names = ("email_allowed", "sms_allowed", "call_allowed")
    kept = CustomerFactory(**dict(zip(names, kept_flags, strict=True)))
    other = CustomerFactory(channel=kept.channel, **dict(zip(names, other_flags, strict=True)))

    response = merger_client.post(URL, {"keep": kept.pk, "merge": [other.pk]}, format="json")

    assert response.status_code == 200, response.json()
    kept.refresh_from_db()
    assert tuple(getattr(kept, name) for name in names) == expected


def test_the_merge_writes_history_with_its_reason(merger_client, duo):
    kept, other = duo

    merge_id = merger_client.post(
        URL, {"keep": kept.pk, "merge": [other.pk], "fields": {"phone": other.pk}}, format="json"
    ).json()["merge"]

    reasons = set(
        Customer.history.filter(id__in=[kept.pk, other.pk]).values_list(
            "history_change_reason", flat=True
        )
    )
    assert f"Merge {merge_id}: customers {other.pk} merged into {kept.pk}." in reasons
