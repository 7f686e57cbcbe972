"""customer_merge: fold customers into a kept one, in one transaction, keeping what undo needs.

The merged customers' rows stay (with `merged_into` set), so an undo gives them back with their
own ids; their orders, addresses and memberships move to the kept customer. Every involved
customer is locked first (in id order, like every writer of customer rows), so an order written
for a merged customer meanwhile waits for the merge and then lands on the kept customer
(orders.services).
"""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.history import history_record_ids
from config.versions import version_next
from customers.event_sources import ADDRESS, CUSTOMER
from customers.imports.batches import customer_rows_save
from customers.imports.rows import CleanRow
from customers.match_keys import customer_match_keys_refresh
from customers.models import CUSTOMER_EDITABLE_FIELDS, Address, Customer
from customers.selectors import (
    ADDRESSES_ATTR,
    MEMBERSHIPS_ATTR,
    channel_scope,
)
from events import types
from events.services import events_emit
from groups.event_sources import MEMBERSHIP
from groups.models import UserCustomerGroup
from merges.event_sources import CUSTOMER_MERGED
from merges.models import Merge
from merges.rows import rows_stored, value_jsonable
from orders.event_sources import ORDER
from orders.models import Order
from orders.services import customer_stats_refresh

CONSENT_FIELDS = ("email_allowed", "sms_allowed", "call_allowed")
JSON_FIELDS = ("attributes", "extra_field")
# What a merge may take from another customer: every written field but the username (unique
# per channel, and the merged customer keeps it) and consent (always the most restrictive).
CHOOSABLE_FIELDS = tuple(
    name for name in CUSTOMER_EDITABLE_FIELDS if name not in ("username", *CONSENT_FIELDS)
)
MERGE_MAX = 20
FLAGS = ("is_default", "is_billing")

CUSTOMER_UNKNOWN = _("No customer with id {pk}.")
CUSTOMER_ALREADY_MERGED = _("Customer {pk} was already merged into customer {into}.")
CUSTOMER_OTHER_CHANNEL = _("Customer {pk} belongs to another channel than the kept customer.")
KEEP_IN_MERGE = _("The kept customer cannot be merged into itself.")
MERGE_REPEATED = _("Customer {pk} is listed more than once.")
MERGE_COUNT = _("Give 1 to {max} customer ids to merge.")
FIELD_UNKNOWN = _("Unknown field: {name}. Fields to choose from: {allowed}.")
FIELD_CHOICE_OUTSIDE = _("Customer {pk} is not part of this merge.")
MERGE_REASON = "Merge {merge}: customers {merged} merged into {kept}."


@dataclass
class MergePlan:
    """What a merge writes, worked out before anything is written (the dry run's answer)."""

    kept: Customer
    merged: list[Customer]
    values: dict  # the kept customer's fields that change
    orders: dict[int, list[list]]  # merged id: [[order id, version, updated_at], ...]
    addresses_moved: dict[int, dict]  # address id: the flags it keeps {is_default, is_billing}
    addresses_deduplicated: list[int]
    memberships_moved: list[int]
    memberships_folded: list[int]  # the merged customers' memberships of the kept one's groups
    memberships_subscribed: list[int]  # the kept customer's memberships now subscribed
    snapshot: dict = field(default_factory=dict)

    @property
    def merged_ids(self) -> list[int]:
        return [customer.pk for customer in self.merged]

    def moves(self) -> dict:
        """What moves to the kept customer, as the API reports it."""
        order_ids = sorted(row[0] for rows in self.orders.values() for row in rows)
        return {
            "orders": {"count": len(order_ids), "ids": order_ids},
            "addresses": {
                "moved": sorted(self.addresses_moved),
                "deduplicated": self.addresses_deduplicated,
            },
            "memberships": {
                "moved": self.memberships_moved,
                "folded": self.memberships_folded,
                "subscribed": self.memberships_subscribed,
            },
            "custom_data": {
                name: sorted(set(self.values.get(name, {})) - set(getattr(self.kept, name)))
                for name in JSON_FIELDS
            },
            "fields": sorted(self.values),
        }


@dataclass
class MergeOutcome:
    """A merge's answer: the Merge (None for a dry run), the resulting customer and the moves."""

    merge: Merge | None
    customer: Customer
    moves: dict


# --- checks ---------------------------------------------------------------------------------


def _request_check(*, keep: int, merge: list[int], fields: dict) -> None:
    """Refuse what needs no database: repeated ids, the kept one merged, unknown fields."""
    errors: dict[str, list[str]] = {}
    if not 1 <= len(merge) <= MERGE_MAX:
        errors["merge"] = [MERGE_COUNT.format(max=MERGE_MAX)]
    repeated = sorted({pk for pk in merge if merge.count(pk) > 1})
    if repeated:
        errors["merge"] = [MERGE_REPEATED.format(pk=pk) for pk in repeated]
    if keep in merge:
        errors.setdefault("merge", []).append(KEEP_IN_MERGE)
    involved = {keep, *merge}
    for name, pk in fields.items():
        if name not in CHOOSABLE_FIELDS:
            allowed = ", ".join(CHOOSABLE_FIELDS)
            errors[f"fields.{name}"] = [FIELD_UNKNOWN.format(name=name, allowed=allowed)]
        elif pk not in involved:
            errors[f"fields.{name}"] = [FIELD_CHOICE_OUTSIDE.format(pk=pk)]
    if errors:
        raise ValidationError(errors)


def _customers_lock(*, keep: int, merge: list[int], user) -> dict[int, Customer]:
    """Lock the involved customers the user may see, in id order; refuse unknown, merged or
    other-channel ones, naming `keep` or `merge`."""
    ids = [keep, *merge]
    visible = channel_scope(Customer.objects.filter(pk__in=ids), user=user)
    visible_ids = list(visible.values_list("pk", flat=True))
    # Only the customers' rows: locking the joined channel too would hold up every order
    # insert of the channel (its foreign key check) for the whole merge.
    locked = (
        Customer.objects.select_for_update(of=("self",))
        .select_related("channel")
        .filter(pk__in=visible_ids)
        .order_by("pk")
    )
    customers = {customer.pk: customer for customer in locked}
    errors: dict[str, list[str]] = {}
    for name, pk in [("keep", keep), *(("merge", pk) for pk in merge)]:
        customer = customers.get(pk)
        if customer is None:
            message = CUSTOMER_UNKNOWN.format(pk=pk)
        elif customer.merged_into_id is not None:
            message = CUSTOMER_ALREADY_MERGED.format(pk=pk, into=customer.merged_into_id)
        elif keep in customers and customer.channel_id != customers[keep].channel_id:
            message = CUSTOMER_OTHER_CHANNEL.format(pk=pk)
        else:
            continue
        errors.setdefault(name, []).append(message)
    if errors:
        raise ValidationError(errors)
    return customers


# --- the plan -------------------------------------------------------------------------------


def _values(kept: Customer, merged: list[Customer], fields: dict, by_id: dict) -> dict:
    """The kept customer's fields after the merge, where they change: the chosen customers'
    values, the most restrictive consent, and the custom data (attributes, extra_field) of
    all, the kept customer's keys winning (or the chosen customer's, when one is chosen)."""
    values = {name: getattr(by_id[pk], name) for name, pk in fields.items()}
    everyone = [kept, *merged]
    for name in CONSENT_FIELDS:
        values[name] = all(getattr(customer, name) for customer in everyone)
    for name in JSON_FIELDS:
        first = [by_id[fields[name]]] if name in fields else []
        combined: dict = {}
        # Later updates win: the chosen customer last, then the kept one, then the merged
        # ones in the order given.
        for customer in reversed([*first, kept, *merged]):
            combined.update(getattr(customer, name) or {})
        values[name] = combined
    return {name: value for name, value in values.items() if getattr(kept, name) != value}


_SPACES = re.compile(r"\s+")
_ADDRESS_KEY_FIELDS = (
    "address",
    "number",
    "floor",
    "address2",
    "address3",
    "locality",
    "city",
    "province",
    "zipcode",
    "country",
)


def address_key(address: Address) -> tuple[str, ...]:
    """An address's place, normalized (case and spacing ignored): two addresses of a merge
    with the same key are one."""
    return tuple(
        _SPACES.sub(" ", str(getattr(address, name))).strip().casefold()
        for name in _ADDRESS_KEY_FIELDS
    )


def _addresses_plan(kept: Customer, merged_ids: list[int]) -> tuple[dict[int, dict], list[int]]:
    """Which of the merged customers' addresses move (with the flags they keep: the kept
    customer's default and billing addresses stay so) and which duplicate one already there."""
    own = list(Address.objects.filter(customer=kept))
    seen = {address_key(address) for address in own}
    flags_taken = {flag for flag in FLAGS for address in own if getattr(address, flag)}
    moved, duplicates = {}, []
    others = Address.objects.filter(customer_id__in=merged_ids).order_by("customer_id", "pk")
    for address in sorted(others, key=lambda a: (merged_ids.index(a.customer_id), a.pk)):
        key = address_key(address)
        if key in seen:
            duplicates.append(address.pk)
            continue
        seen.add(key)
        flags = {flag: getattr(address, flag) and flag not in flags_taken for flag in FLAGS}
        flags_taken |= {flag for flag, value in flags.items() if value}
        moved[address.pk] = flags
    return moved, duplicates


def _memberships_plan(kept: Customer, merged_ids: list[int]) -> tuple[list, list, list]:
    """(moved, folded, now subscribed): a merged customer's membership of a group the kept
    customer (or an earlier merged one) is in folds into that one, subscribed if either was."""
    own = {m.group_id: m for m in UserCustomerGroup.objects.filter(customer=kept)}
    moved, folded, subscribed = [], [], set()
    subscribed_groups = {group for group, m in own.items() if m.subscribed}
    others = UserCustomerGroup.objects.filter(customer_id__in=merged_ids)
    for membership in sorted(others, key=lambda m: (merged_ids.index(m.customer_id), m.pk)):
        group = membership.group_id
        if group in own:
            folded.append(membership.pk)
            if membership.subscribed and group not in subscribed_groups:
                # The kept customer's membership, or one moved from an earlier merged one.
                subscribed.add(own[group].pk)
                subscribed_groups.add(group)
            continue
        own[group] = membership
        moved.append(membership.pk)
        if membership.subscribed:
            subscribed_groups.add(group)
    return moved, folded, sorted(subscribed)


def _orders_plan(merged_ids: list[int]) -> dict[int, list[list]]:
    orders: dict[int, list[list]] = {pk: [] for pk in merged_ids}
    rows = Order.objects.filter(customer_id__in=merged_ids).order_by("pk")
    for pk, customer_id, version, updated_at in rows.values_list(
        "pk", "customer_id", "version", "updated_at"
    ):
        orders[customer_id].append([pk, version, value_jsonable(updated_at)])
    return orders


def _plan(customers: dict[int, Customer], *, keep: int, merge: list[int], fields: dict):
    kept, merged = customers[keep], [customers[pk] for pk in merge]
    moved, duplicates = _addresses_plan(kept, merge)
    memberships_moved, folded, subscribed = _memberships_plan(kept, merge)
    plan = MergePlan(
        kept=kept,
        merged=merged,
        values=_values(kept, merged, fields, customers),
        orders=_orders_plan(merge),
        addresses_moved=moved,
        addresses_deduplicated=duplicates,
        memberships_moved=memberships_moved,
        memberships_folded=folded,
        memberships_subscribed=subscribed,
    )
    plan.snapshot = {
        "customers": rows_stored(Customer, pk__in=[keep, *merge]),
        "addresses": rows_stored(Address, customer_id__in=merge),
        "memberships": rows_stored(
            UserCustomerGroup, pk__in=[*memberships_moved, *folded, *subscribed]
        ),
        "orders": {str(pk): rows for pk, rows in plan.orders.items()},
    }
    return plan


# --- the preview ----------------------------------------------------------------------------


def _preview(plan: MergePlan) -> Customer:
    """The kept customer as the merge would leave it, unsaved, with its addresses and
    memberships attached as the serializers read them (customers.selectors)."""
    kept = plan.kept
    preview = Customer(**{f.attname: getattr(kept, f.attname) for f in Customer._meta.fields})
    preview.channel = kept.channel
    for name, value in plan.values.items():
        setattr(preview, name, value)
    _preview_stats(preview, plan)
    addresses = list(Address.objects.filter(customer=kept))
    for address in Address.objects.filter(pk__in=plan.addresses_moved):
        address.customer_id = kept.pk
        for flag, value in plan.addresses_moved[address.pk].items():
            setattr(address, flag, value)
        addresses.append(address)
    setattr(preview, ADDRESSES_ATTR, sorted(addresses, key=lambda a: a.pk))
    memberships = list(
        UserCustomerGroup.objects.select_related("group")
        .filter(Q(customer=kept) | Q(pk__in=plan.memberships_moved))
        .order_by("pk")
    )
    for membership in memberships:
        membership.subscribed |= membership.pk in plan.memberships_subscribed
    setattr(preview, MEMBERSHIPS_ATTR, memberships)
    return preview


def _preview_stats(preview: Customer, plan: MergePlan) -> None:
    """The statistics the merged orders give: the same rule as orders.services, combined."""
    everyone = [plan.kept, *plan.merged]
    counted = [customer for customer in everyone if customer.orders_count]
    preview.orders_count = sum(customer.orders_count for customer in everyone)
    preview.total_spent = sum(customer.total_spent for customer in everyone)
    if not counted:
        return
    preview.total_spent_currency = plan.kept.channel.currency
    preview.first_order_at = min(customer.first_order_at for customer in counted)
    last = max(counted, key=lambda customer: (customer.last_order_at, customer.last_order_id))
    preview.last_order_at, preview.last_order_id = last.last_order_at, last.last_order_id


# --- the writes -----------------------------------------------------------------------------


def _orders_move(plan: MergePlan) -> None:
    """Move the merged customers' orders in one set-based UPDATE (one version more each)."""
    ids = [row[0] for rows in plan.orders.values() for row in rows]
    if not ids:
        return
    Order.objects.filter(customer_id__in=plan.merged_ids).update(
        customer_id=plan.kept.pk, version=version_next(), updated_at=timezone.now()
    )
    events_emit(ORDER, types.ORDER_UPDATED, dict.fromkeys(ids, ["customer"]))


def _addresses_move(plan: MergePlan, *, user_id, reason: str) -> None:
    if plan.addresses_deduplicated:
        events_emit(ADDRESS, types.ADDRESS_DELETED, plan.addresses_deduplicated, tombstone=True)
        Address.objects.filter(pk__in=plan.addresses_deduplicated).delete()
    changed = {}
    for pk, flags in plan.addresses_moved.items():
        Address.objects.filter(pk=pk).update(
            customer_id=plan.kept.pk, **flags, version=version_next(), updated_at=timezone.now()
        )
        changed[pk] = ["customer", *flags]
    history_record_ids(Address, sorted(changed), user_id=user_id, reason=reason)
    events_emit(ADDRESS, types.ADDRESS_UPDATED, changed)


def _memberships_move(plan: MergePlan, *, user_id, reason: str) -> None:
    if plan.memberships_folded:
        events_emit(MEMBERSHIP, types.MEMBERSHIP_REMOVED, plan.memberships_folded, tombstone=True)
        UserCustomerGroup.objects.filter(pk__in=plan.memberships_folded).delete()
    memberships = UserCustomerGroup.objects.filter(pk__in=plan.memberships_moved)
    memberships.update(customer_id=plan.kept.pk, version=version_next())
    subscribed = UserCustomerGroup.objects.filter(pk__in=plan.memberships_subscribed)
    subscribed.update(subscribed=True, version=version_next())
    changed = dict.fromkeys(plan.memberships_moved, ["customer"])
    changed.update(dict.fromkeys(plan.memberships_subscribed, ["subscribed"]))
    history_record_ids(UserCustomerGroup, sorted(changed), user_id=user_id, reason=reason)
    events_emit(MEMBERSHIP, types.MEMBERSHIP_UPDATED, changed)


def _kept_write(plan: MergePlan, *, user_id, reason: str) -> None:
    """The kept customer's new field values, through the customers' one write pipeline
    (history, customer.updated)."""
    kept = plan.kept
    if plan.values:
        row = CleanRow(0, kept.channel_id, kept.email, dict(plan.values), pk=kept.pk)
        customer_rows_save([row], user_id=user_id, reason=reason)


def _merged_mark(plan: MergePlan, *, user_id, reason: str) -> None:
    Customer.objects.filter(pk__in=plan.merged_ids).update(
        merged_into_id=plan.kept.pk, version=version_next(), updated_at=timezone.now()
    )
    history_record_ids(Customer, sorted(plan.merged_ids), user_id=user_id, reason=reason)


def _apply(plan: MergePlan, *, fields: dict, user) -> Merge:
    user_id = user.pk if user is not None else None
    merge = Merge.objects.create(
        channel_id=plan.kept.channel_id,
        kept=plan.kept,
        merged_ids=plan.merged_ids,
        fields=fields,
        snapshot=plan.snapshot,
        created_by_id=user_id,
    )
    reason = MERGE_REASON.format(
        merge=merge.pk, merged=", ".join(map(str, plan.merged_ids)), kept=plan.kept.pk
    )
    _orders_move(plan)
    _addresses_move(plan, user_id=user_id, reason=reason)
    _memberships_move(plan, user_id=user_id, reason=reason)
    _merged_mark(plan, user_id=user_id, reason=reason)
    _kept_write(plan, user_id=user_id, reason=reason)
    # The kept customer may have a new default address; the merged ones are no candidates.
    customer_match_keys_refresh([plan.kept.pk, *plan.merged_ids], merged=True)
    customer_stats_refresh(customer_ids=[plan.kept.pk, *plan.merged_ids])
    if not plan.values:
        history_record_ids(Customer, [plan.kept.pk], user_id=user_id, reason=reason)
    events_emit(CUSTOMER, types.CUSTOMER_MERGED, [plan.kept.pk])
    events_emit(CUSTOMER_MERGED, types.CUSTOMER_MERGED, plan.merged_ids, tombstone=True)
    after = rows_stored(Customer, pk__in=[plan.kept.pk, *plan.merged_ids])
    merge.snapshot["after"] = {str(row["id"]): row["version"] for row in after}
    merge.snapshot["kept_after"] = next(row for row in after if row["id"] == plan.kept.pk)
    merge.save(update_fields=["snapshot"])
    return merge


@transaction.atomic
def customer_merge(
    *, keep: int, merge: list[int], fields: dict | None = None, dry_run: bool = False, user
) -> MergeOutcome:
    """Merge the `merge` customers into `keep`; return the Merge, the customer and the moves.

    `fields` maps a field name to the id of the customer (kept or merged) whose value the
    kept customer takes. Raises ValidationError naming `keep`, `merge` or `fields.<name>`;
    nothing is written then. A dry run only reads: it answers the customer as the merge would
    leave it (unsaved) and what would move.
    """
    fields = dict(fields or {})
    _request_check(keep=keep, merge=merge, fields=fields)
    customers = _customers_lock(keep=keep, merge=merge, user=user)
    plan = _plan(customers, keep=keep, merge=merge, fields=fields)
    if dry_run:
        return MergeOutcome(None, _preview(plan), plan.moves())
    merge_row = _apply(plan, fields=fields, user=user)
    customer = Customer.objects.select_related("channel").get(pk=keep)
    return MergeOutcome(merge_row, customer, plan.moves())
