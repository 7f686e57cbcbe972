"""Admin helpers shared by the apps' admins."""

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Changelists count at most this many rows; past it the count is "at least" this.
COUNT_CAP = 100_000


class EstimatedCountPaginator(Paginator):
    """Count rows without scanning a huge table on every changelist page.

    Unfiltered on PostgreSQL: the planner's row estimate (pg_class.reltuples), which is
    instant. Filtered or searched: an exact count up to COUNT_CAP rows, then COUNT_CAP + 1.
    """

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        if not queryset.query.where:
            estimate = _row_estimate(queryset)
            if estimate > COUNT_CAP:
                return estimate
        return queryset.order_by()[: COUNT_CAP + 1].count()


def _row_estimate(queryset: QuerySet) -> int:
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return -1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else -1
