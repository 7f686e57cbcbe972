"""The pairs' upkeep reads a key group no further than its threshold (PostgreSQL).

After a write, `candidate_pairs_refresh` widens the touched customers to the other members of
the key groups they are in, but only of groups with at most GROUP_MAX untouched members. A
group far over the threshold (a shared placeholder phone) must cost a read of at most
GROUP_MAX + 1 + touched of its members, whatever plan the planner picks: the import calls
this for every batch, often before the table it fills has statistics.
"""

import json

import pytest
from django.db import connection

from customers.match_pairs import GROUP_MAX, SAME_PHONE, _widened
from tests.customers.factories import ChannelFactory, CustomerFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="its planner"),
]
MEMBERS = 300
KEY = "+5511000000000"


class _StatementsKept:
    """A cursor that runs statements and keeps them, to explain them afterwards."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.statements = []

    def execute(self, sql, params=None):
        self.statements.append((sql, params))
        return self.cursor.execute(sql, params)

    def fetchall(self):
        return self.cursor.fetchall()


def _customer_rows_read(plan: dict) -> int:
    """Rows the plan's nodes read from the customer table, over all their loops."""
    read = 0
    if plan.get("Relation Name") == "customers_customer":
        read += plan["Actual Rows"] * plan["Actual Loops"]
    for child in plan.get("Plans", ()):
        read += _customer_rows_read(child)
    return read


def test_a_group_over_the_threshold_is_read_no_further_than_it():
    channel = ChannelFactory()
    members = CustomerFactory.create_batch(MEMBERS, channel=channel)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET phone_key = %s WHERE channel_id = %s", [KEY, channel.pk]
        )
        # Whatever the plan: a planner without statistics of a table an import is filling
        # picks scans, so the bound must hold with the key indexes out of its reach too.
        cursor.execute("SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off")
        kept = _StatementsKept(cursor)
        touched = members[0].pk

        widened, pairless = _widened(
            kept, "postgresql", [touched], {SAME_PHONE: {(channel.pk, KEY): 1}}
        )

        ((sql, params),) = kept.statements
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        (explained,) = cursor.fetchone()
    (plan,) = json.loads(explained) if isinstance(explained, str) else explained
    assert widened == [touched]  # the group is a placeholder: nobody else is widened to
    assert pairless == {SAME_PHONE: {(channel.pk, KEY)}}  # and its pairs are not looked for
    assert _customer_rows_read(plan["Plan"]) <= GROUP_MAX + 2
