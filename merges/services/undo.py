"""merge_undo: give back what a merge changed, from its snapshot, within MERGE_UNDO_DAYS.

Restored exactly (every column, version and updated_at included, so the API answers the same
bytes as before the merge): the merged customers, their addresses and memberships, the kept
customer's memberships the merge changed, and each moved order that was not changed since
(a changed one goes back to its customer one version higher). The kept customer comes back
exactly when nothing touched it since the merge (its version tells); otherwise its fields
return to their pre-merge values except those changed since, which stay and are listed
(`kept_changes`). Orders created for the kept customer after the merge stay with it.
"""

from dataclasses import dataclass
from datetime import timedelta

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.history import history_record_ids
from customers.event_sources import ADDRESS, CUSTOMER
from customers.imports.batches import customer_rows_save
from customers.imports.rows import CleanRow
from customers.match_keys import customer_match_keys_refresh
from customers.models import CUSTOMER_EDITABLE_FIELDS, CUSTOMER_STATS_COLUMNS, Address, Customer
from events import types
from events.services import events_emit
from groups.event_sources import MEMBERSHIP
from groups.models import UserCustomerGroup
from merges.models import Merge
from merges.rows import rows_restore, rows_stored, sql_datetime, value_jsonable
from orders.event_sources import ORDER
from orders.models import Order
from orders.services import customer_stats_refresh

MERGE_UNDONE_ALREADY = _("This merge was undone already.")
MERGE_UNDO_EXPIRED = _("This merge is older than {days} days and can no longer be undone.")
KEPT_MERGED_SINCE = _("The kept customer was merged into customer {into} since; undo that first.")
UNDO_REASON = "Undo of merge {merge}."


class MergeUndoRefused(Exception):
    """The merge cannot be undone: `gone` (410) once out of the window, else a conflict (409)."""

    def __init__(self, message: str, *, gone: bool = False):
        super().__init__(message)
        self.message, self.gone = message, gone


@dataclass
class UndoOutcome:
    merge: Merge
    kept_changes: list[str]


def _undo_check(merge: Merge) -> None:
    if merge.undone_at is not None:
        raise MergeUndoRefused(MERGE_UNDONE_ALREADY)
    days = settings.MERGE_UNDO_DAYS
    if merge.created_at < timezone.now() - timedelta(days=days):
        raise MergeUndoRefused(MERGE_UNDO_EXPIRED.format(days=days), gone=True)


# Orders moved back in one statement: those not changed since the merge (one version above
# the snapshot's) get their version and updated_at back, others one version more.
_ORDERS_POSTGRESQL = """
UPDATE orders_order o SET customer_id = s.customer_id,
       version = CASE WHEN o.version = s.version + 1 THEN s.version ELSE o.version + 1 END,
       updated_at = CASE WHEN o.version = s.version + 1 THEN s.updated_at ELSE %s END
  FROM jsonb_to_recordset(%s::jsonb)
       AS s(id bigint, customer_id bigint, version integer, updated_at timestamptz)
 WHERE o.id = s.id AND o.customer_id = %s
"""
_ORDERS_SQLITE = """
UPDATE orders_order SET customer_id = s.customer_id,
       version = CASE WHEN orders_order.version = s.version + 1 THEN s.version
                      ELSE orders_order.version + 1 END,
       updated_at = CASE WHEN orders_order.version = s.version + 1 THEN s.updated_at
                         ELSE %s END
  FROM (SELECT json_extract(value, '$.id') AS id,
               json_extract(value, '$.customer_id') AS customer_id,
               json_extract(value, '$.version') AS version,
               json_extract(value, '$.updated_at') AS updated_at
          FROM json_each(%s)) s
 WHERE orders_order.id = s.id AND orders_order.customer_id = %s
"""


def _orders_restore(merge: Merge) -> list[int]:
    """Move the merged customers' orders back (one statement); return their ids."""
    rows = [
        {"id": pk, "customer_id": int(customer_id), "version": version, "updated_at": updated}
        for customer_id, orders in merge.snapshot["orders"].items()
        for pk, version, updated in orders
    ]
    if not rows:
        return []
    for row in rows:
        row["updated_at"] = sql_datetime(row["updated_at"])
    sql = _ORDERS_POSTGRESQL if connection.vendor == "postgresql" else _ORDERS_SQLITE
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, orjson.dumps(rows).decode(), merge.kept_id])
    ids = [row["id"] for row in rows]
    back = list(
        Order.objects.filter(pk__in=ids)
        .exclude(customer_id=merge.kept_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    events_emit(ORDER, types.ORDER_UPDATED, dict.fromkeys(back, ["customer"]))
    return back


def _children_restore(merge: Merge, *, user_id, reason: str) -> None:
    """The merged customers' addresses and the memberships the merge changed, as they were."""
    snapshot = merge.snapshot
    addresses = rows_restore(Address, snapshot["addresses"], user_id=user_id, reason=reason)
    events_emit(ADDRESS, types.ADDRESS_CREATED, addresses["created"])
    events_emit(ADDRESS, types.ADDRESS_UPDATED, dict.fromkeys(addresses["updated"], ["customer"]))
    memberships = rows_restore(
        UserCustomerGroup, snapshot["memberships"], user_id=user_id, reason=reason
    )
    events_emit(MEMBERSHIP, types.MEMBERSHIP_ADDED, memberships["created"])
    changed = dict.fromkeys(memberships["updated"], ["customer", "subscribed"])
    events_emit(MEMBERSHIP, types.MEMBERSHIP_UPDATED, changed)


def _kept_restore(merge: Merge, kept: Customer, before: dict, *, user_id, reason: str) -> list:
    """Give the kept customer its pre-merge fields; return the names changed since the merge
    (kept as they are). Untouched since (same version as the merge left), it is restored
    exactly, row for row."""
    after = merge.snapshot["kept_after"]
    if kept.version == after["version"]:
        rows_restore(Customer, [before], user_id=user_id, reason=reason)
        return []
    changed, values = [], {}
    for name in CUSTOMER_EDITABLE_FIELDS:
        now = value_jsonable(getattr(kept, name))
        if now != after[name]:
            changed.append(name)
        elif now != before[name]:
            values[name] = Customer._meta.get_field(name).to_python(before[name])
    if values:
        row = CleanRow(0, kept.channel_id, kept.email, values, pk=kept.pk)
        customer_rows_save([row], user_id=user_id, reason=reason)
    else:
        history_record_ids(Customer, [kept.pk], user_id=user_id, reason=reason)
    return changed


def _stats_settle(ids: list[int], before: dict[int, dict], exact: set[int]) -> None:
    """Recompute the statistics (orders may have changed since the merge); a customer
    restored exactly whose statistics are again the snapshot's gets its version back too."""
    customer_stats_refresh(customer_ids=ids)
    for row in rows_stored(Customer, pk__in=sorted(exact)):
        old = before[row["id"]]
        if all(row[column] == old[column] for column in CUSTOMER_STATS_COLUMNS):
            Customer.objects.filter(pk=row["id"]).update(version=old["version"])


@transaction.atomic
def merge_undo(*, merge: Merge, user) -> UndoOutcome:
    """Undo a merge (see the module's docstring); return it with the kept customer's fields
    changed since the merge, which stay. Raises MergeUndoRefused when undone already, when
    the kept customer was merged since (409), or out of MERGE_UNDO_DAYS (410)."""
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    _undo_check(merge)
    user_id = user.pk if user is not None else None
    ids = sorted([merge.kept_id, *merge.merged_ids])
    locked = Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    customers = {customer.pk: customer for customer in locked}
    kept = customers[merge.kept_id]
    if kept.merged_into_id is not None:
        raise MergeUndoRefused(KEPT_MERGED_SINCE.format(into=kept.merged_into_id))
    before = {row["id"]: row for row in merge.snapshot["customers"]}
    reason = UNDO_REASON.format(merge=merge.pk)
    _orders_restore(merge)
    merged_rows = [before[pk] for pk in merge.merged_ids]
    rows_restore(Customer, merged_rows, user_id=user_id, reason=reason)
    _children_restore(merge, user_id=user_id, reason=reason)
    kept_changes = _kept_restore(merge, kept, before[kept.pk], user_id=user_id, reason=reason)
    exact = set(merge.merged_ids)
    if not kept_changes and not _kept_touched(merge, kept):
        exact.add(kept.pk)
    _stats_settle(ids, before, exact)
    # The restored customers are candidates again, with the keys their fields give.
    customer_match_keys_refresh(ids, merged=True)
    events_emit(CUSTOMER, types.CUSTOMER_UNMERGED, ids)
    merge.undone_at, merge.undone_by_id, merge.kept_changes = timezone.now(), user_id, kept_changes
    merge.save(update_fields=["undone_at", "undone_by", "kept_changes"])
    return UndoOutcome(merge, kept_changes)


def _kept_touched(merge: Merge, kept: Customer) -> bool:
    return kept.version != merge.snapshot["kept_after"]["version"]
