"""The merge's statements do not grow with the merged customers' orders (set-based UPDATEs)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Channel, Customer
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/merge/"


def _merge_queries(client, orders: int, *, dry_run: bool = False) -> int:
    channel = Channel.objects.create(code=f"c{orders}", name="C")
    kept = Customer.objects.create(channel=channel, email=f"k{orders}@example.com")
    other = Customer.objects.create(channel=channel, email=f"o{orders}@example.com")
    OrderFactory.create_batch(orders, customer=other, channel=channel)
    with CaptureQueriesContext(connection) as queries:
        body = {"keep": kept.pk, "merge": [other.pk], "dry_run": dry_run}
        response = client.post(URL, body, format="json")
    assert response.status_code == 200, response.json()
    return len(queries.captured_queries)


@pytest.mark.parametrize("dry_run", [False, True], ids=["merge", "dry-run"])
def test_merge_queries_do_not_grow_with_orders(merger_client, dry_run):
    _merge_queries(merger_client, 1, dry_run=dry_run)  # the user's permissions, cached
    few = _merge_queries(merger_client, 2, dry_run=dry_run)
    many = _merge_queries(merger_client, 40, dry_run=dry_run)

    assert many == few
