"""Undo: the API answers the same bytes as before the merge; the window; kept changes."""

import datetime

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from customers.models import CUSTOMER_STATS_COLUMNS, Customer
from events.models import Event
from merges.models import Merge
from merges.services.undo import MERGE_UNDO_EXPIRED, MERGE_UNDONE_ALREADY
from orders.models import Order
from tests.merges.conftest import order_for

pytestmark = pytest.mark.django_db

MERGE_URL = "/api/v1/customers/merge/"


def _representations(client, customer_ids, order_ids) -> dict:
    """The GET bytes of every involved customer, its addresses and memberships, and order."""
    paths = [
        path
        for pk in customer_ids
        for path in (
            f"/api/v1/customers/{pk}/?expand=memberships",
            f"/api/v1/customers/{pk}/addresses/",
            f"/api/v1/customers/{pk}/memberships/",
        )
    ] + [f"/api/v1/orders/{pk}/" for pk in order_ids]
    answers = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.content)
        answers[path] = (response.content, response.headers.get("ETag"))
    return answers


def _stats(ids) -> dict:
    return {
        row["id"]: row
        for row in Customer.objects.filter(pk__in=ids).values("id", *CUSTOMER_STATS_COLUMNS)
    }


def _merge(client, kept, other, **extra):
    body = {"keep": kept.pk, "merge": [other.pk], **extra}
    response = client.post(MERGE_URL, body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["merge"]


def test_merge_then_undo_gives_back_identical_representations(merger_client, duo):
    # given
    kept, other = duo
    ids, order_ids = [kept.pk, other.pk], list(Order.objects.values_list("pk", flat=True))
    before = _representations(merger_client, ids, order_ids)
    merge_id = _merge(merger_client, kept, other, fields={"phone": other.pk, "note": other.pk})
    merged_stats = _stats(ids)
    call_command("recompute_customer_stats", stdout=__import__("io").StringIO())
    assert _stats(ids) == merged_stats

    # when
    response = merger_client.post(f"/api/v1/merges/{merge_id}/undo/")

    # then
    assert response.status_code == 200, response.json()
    assert response.json()["kept_changes"] == []
    assert response.json()["undone_at"] is not None
    assert _representations(merger_client, ids, order_ids) == before
    undone_stats = _stats(ids)
    call_command("recompute_customer_stats", stdout=__import__("io").StringIO())
    assert _stats(ids) == undone_stats
    assert set(
        Event.objects.filter(type="customer.unmerged").values_list("object_id", flat=True)
    ) == set(ids)


def test_undo_keeps_changes_made_since_and_new_orders(merger_client, duo):
    # given
    kept, other = duo
    merge_id = _merge(merger_client, kept, other, fields={"phone": other.pk})
    changed = merger_client.patch(
        f"/api/v1/customers/{kept.pk}/", {"first_name": "Ana Maria"}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    new_order = order_for(Customer.objects.get(pk=kept.pk), "K-2", "7.00", days=9)

    # when
    response = merger_client.post(f"/api/v1/merges/{merge_id}/undo/")

    # then
    assert response.status_code == 200, response.json()
    assert response.json()["kept_changes"] == ["first_name"]
    kept.refresh_from_db()
    other.refresh_from_db()
    assert (kept.first_name, kept.phone) == ("Ana Maria", "")
    assert other.merged_into_id is None
    assert Order.objects.get(pk=new_order.pk).customer_id == kept.pk
    assert set(other.orders.values_list("number", flat=True)) == {"O-1", "O-2"}
    assert (kept.orders_count, str(kept.total_spent)) == (2, "17.00")
    assert (other.orders_count, str(other.total_spent)) == (1, "20.00")


def test_undo_twice_is_a_conflict(merger_client, duo):
    kept, other = duo
    merge_id = _merge(merger_client, kept, other)
    assert merger_client.post(f"/api/v1/merges/{merge_id}/undo/").status_code == 200

    response = merger_client.post(f"/api/v1/merges/{merge_id}/undo/")

    assert response.status_code == 409
    assert response.json() == {"detail": MERGE_UNDONE_ALREADY}


@override_settings(MERGE_UNDO_DAYS=90)
def test_undo_after_the_window_is_gone(merger_client, duo):
    kept, other = duo
    merge_id = _merge(merger_client, kept, other)
    Merge.objects.filter(pk=merge_id).update(
        created_at=timezone.now() - datetime.timedelta(days=91)
    )

    response = merger_client.post(f"/api/v1/merges/{merge_id}/undo/")

    assert response.status_code == 410
    assert response.json() == {"detail": MERGE_UNDO_EXPIRED.format(days=90)}
    assert Customer.objects.get(pk=other.pk).merged_into_id == kept.pk


def test_merges_list_and_detail(merger_client, duo, django_assert_num_queries):
    kept, other = duo
    merge_id = _merge(merger_client, kept, other)

    listed = merger_client.get("/api/v1/merges/")
    detail = merger_client.get(f"/api/v1/merges/{merge_id}/")

    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["results"]] == [merge_id]
    assert detail.json()["kept"] == kept.pk
    assert detail.json()["merged"] == [other.pk]
    assert detail.json()["channel"] == "web"


def test_the_merges_list_runs_a_fixed_number_of_queries(
    merger_client, duo, django_assert_num_queries
):
    # given: three merges
    kept, other = duo
    for n in range(3):
        extra = Customer.objects.create(channel=kept.channel, email=f"extra{n}@example.com")
        _merge(merger_client, kept, extra)
    merger_client.get("/api/v1/merges/")  # the user's permissions, cached

    # when / then
    with django_assert_num_queries(QUERIES_MERGE_LIST):
        response = merger_client.get("/api/v1/merges/")
    assert len(response.json()["results"]) == 3


# The channel scope, the count, the page (with channels joined).
QUERIES_MERGE_LIST = 3
