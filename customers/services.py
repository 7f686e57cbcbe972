"""Every write to customers and addresses goes through here: API, admin and commands alike."""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.history import queryset_update_with_history, rows_update_with_history
from config.statistics import statistics_refresh
from config.versions import (
    EntityTags,
    version_check,
    version_next,
    version_save,
    versions_bump,
)
from customers.emails import customer_invite_email_send
from customers.event_sources import ADDRESS, CHANNEL, CUSTOMER
from customers.imports import import_context
from customers.imports.batches import customer_rows_save, retrying, usernames_refused
from customers.imports.rows import (
    CleanRow,
    RowContext,
    RowInvalid,
    address_clean_values,
    address_is_default,
    addresses_listed,
    row_clean,
)
from customers.imports.writers import CREATED, UPDATED
from customers.match_keys import (
    customer_match_groups,
    customer_match_keys_backfill,
    customer_match_keys_refresh,
)
from customers.match_pairs import candidate_pairs_rebuild, candidate_pairs_refresh
from customers.models import Address, Channel, Customer
from customers.selectors import channel_list
from customers.validation import (
    CHANNEL_IMMUTABLE,
    EMAIL_TAKEN,
    USERNAME_TAKEN,
    email_normalize,
)
from events import types
from events.services import events_emit, fields_changed, fields_stored
from groups.event_sources import MEMBERSHIP
from groups.models import UserCustomerGroup

UPSERT_ATTEMPTS = 3
UPSERT_MAX_ITEMS = 1000
STATUS_BATCH = 2000
CUSTOMER_HAS_ORDERS = _("This customer has orders and cannot be deleted; anonymize it instead.")
ANONYMIZED_EMAIL = "anonymized-{pk}@invalid.example"
ADDRESS_KEPT_FIELDS = ("country",)
# Hashed for unknown customers so that sign-in takes as long whether the e-mail exists or not.
_DUMMY_PASSWORD = "patron-dummy-password"


class CustomerHasOrders(ProtectedError):
    """Deleting a customer that has orders: anonymize it instead."""


class UpsertItemsInvalid(Exception):
    """Some items of a bulk upsert were refused; `errors` maps "<index>" to {field: [msgs]}."""

    def __init__(self, errors: dict[str, dict]):
        super().__init__(errors)
        self.errors = errors


def _context(*, channels, items: Sequence, default_channel: str | None = None) -> RowContext:
    """The channels and groups these API objects may name (groups: only those they name)."""
    codes = {
        str(code).strip()
        for item in items
        if isinstance(item, dict) and isinstance(item.get("groups"), list)
        for code in item["groups"]
    }
    return import_context(channels=channels, groups=codes, default_channel=default_channel)


def _target_errors(row: CleanRow, customer: Customer | None) -> dict[str, list[str]]:
    """A new customer's e-mail must be free; an edited one keeps its channel, and a new
    e-mail must be free in it."""
    if customer is not None and row.channel_id != customer.channel_id:
        return {"channel": [str(CHANNEL_IMMUTABLE)]}
    if customer is not None and row.email == customer.email:
        return {}
    others = Customer.objects.filter(channel_id=row.channel_id, email=row.email)
    if customer is not None:
        others = others.exclude(pk=customer.pk)
    return {"email": [str(EMAIL_TAKEN)]} if others.exists() else {}


def _edited(customer: Customer, data, *, partial: bool) -> dict:
    """What row_clean compares an edit with: the stored e-mail (kept by a partial edit), the
    names, and the address ids when `addresses` (the whole list) is sent."""
    listed = isinstance(data, dict) and addresses_listed(data)
    return {
        "email": customer.email if partial else None,
        "names": (customer.first_name, customer.last_name),
        "address_ids": frozenset(customer.addresses.values_list("pk", flat=True))
        if listed
        else None,
    }


def customer_validate(
    *, data, channels: QuerySet[Channel], customer: Customer | None = None, partial: bool = False
) -> CleanRow:
    """Check one API customer object for a create (no `customer`) or an edit; return the
    row to write. Raise RowInvalid naming every bad field ({dotted path: [messages]}).

    `channels`: the channels the caller may write to. A partial edit need not send the
    channel or the e-mail; a full one must, like a create.
    """
    default_channel = customer.channel.code if customer is not None and partial else None
    context = _context(channels=channels, items=[data], default_channel=default_channel)
    if customer is None:
        row = row_clean(0, data, context)
    else:
        row = row_clean(0, data, context, **_edited(customer, data, partial=partial))
    errors = _target_errors(row, customer)
    if customer is not None:
        row.pk = customer.pk
    if not errors and usernames_refused([row]):
        errors["username"] = [str(USERNAME_TAKEN)]
    if errors:
        raise RowInvalid(errors)
    return row


def _row_write(row: CleanRow, *, user_id: int | None) -> tuple[Customer, str]:
    """Write one checked row through the bulk writer, as a batch of one; queue its invitation
    for the commit. Return the customer and what the writer did (CREATED, UPDATED...)."""
    batch = retrying(
        lambda: customer_rows_save([row], user_id=user_id, reason=""), attempts=UPSERT_ATTEMPTS
    )
    ((_, pk, status),) = batch.customers
    customer = Customer.objects.select_related("channel").get(pk=pk)
    if row.invite:
        customer_invite_send(customer=customer)
    return customer, status


@transaction.atomic
def customer_write(
    *, row: CleanRow, user_id: int | None, if_match: EntityTags | None = None
) -> Customer:
    """Write one row checked by customer_validate; return the customer.

    An edit with `if_match` raises PreconditionFailed, writing nothing, unless the customer
    is still at a version it names."""
    if row.pk is not None:
        version_check(Customer, row.pk, if_match)
    customer, status = _row_write(row, user_id=user_id)
    if row.pk is None and status != CREATED:
        # Another request created this e-mail after customer_validate looked; the rollback
        # also drops the queued invitation.
        raise RowInvalid({"email": [str(EMAIL_TAKEN)]})
    return customer


def customer_create(*, data, user) -> Customer:
    """Create a customer from an API object in a channel the user may write to."""
    row = customer_validate(data=data, channels=channel_list(user=user))
    return customer_write(row=row, user_id=user.pk)


def customer_update(
    *,
    customer: Customer,
    data,
    user,
    partial: bool = False,
    if_match: EntityTags | None = None,
) -> Customer:
    """Change a customer from an API object (PUT; PATCH with partial); the channel stays.
    With `if_match`, only from a version it names (else PreconditionFailed)."""
    row = customer_validate(
        data=data, channels=channel_list(user=user), customer=customer, partial=partial
    )
    return customer_write(row=row, user_id=user.pk, if_match=if_match)


def customer_upsert(*, data, channel: Channel, user_id: int | None = None) -> Customer:
    """Create or update, by e-mail, the customer an API object describes in this channel
    (an order's buyer). Raise RowInvalid naming bad fields; the object may name no other
    channel."""
    context = _context(
        channels=Channel.objects.filter(pk=channel.pk), items=[data], default_channel=channel.code
    )
    row = row_clean(0, data, context)
    if usernames_refused([row]):
        raise RowInvalid({"username": [str(USERNAME_TAKEN)]})
    customer, _ = _row_write(row, user_id=user_id)
    return customer


@transaction.atomic
def customers_status_set(*, customers: QuerySet[Customer], status: str, user_id) -> int:
    """Set the status of many customers, set-based; return how many changed."""
    changed = 0
    rows = (
        CleanRow(0, channel_id, email, {"status": status}, pk=pk)
        for pk, channel_id, email in customers.exclude(status=status)
        .order_by("pk")
        .values_list("pk", "channel_id", "email")
        .iterator(chunk_size=STATUS_BATCH)
    )
    while batch := list(itertools.islice(rows, STATUS_BATCH)):
        written = customer_rows_save(batch, user_id=user_id, reason="")
        changed += sum(1 for *_, status_ in written.customers if status_ == UPDATED)
    return changed


@dataclass
class UpsertResult:
    """What a bulk upsert did: one (id, email, created) per item, in order."""

    rows: list[tuple[int, str, bool]] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for *_, created in self.rows if created)

    @property
    def updated(self) -> int:
        return len(self.rows) - self.created


@transaction.atomic
def customers_upsert(*, items: Sequence, user) -> UpsertResult:
    """Create or update customers by (channel, email) from API objects, all-or-nothing.

    The bulk import's checks and writer: a list of a thousand is a few set-based statements,
    not a thousand saves. Items may only name channels the user sees. An e-mail given twice
    is upserted twice in order (the later item's fields win; the first may create it). Raises
    UpsertItemsInvalid naming every refused item ({"<index>": {field: [messages]}}); nothing
    is written then. A list that changes a tenth of a table ANALYZEs it (config.statistics).
    """
    context = _context(channels=channel_list(user=user), items=items)
    rows, errors = [], {}
    for index, item in enumerate(items):
        try:
            rows.append(row_clean(index, item, context))
        except RowInvalid as invalid:
            errors[str(index)] = invalid.errors
    merged = _upsert_rows_merge(rows)
    keys = [row.key for row in rows]
    for row in usernames_refused(list(merged.values())):
        errors[str(row.line)] = {"username": [str(USERNAME_TAKEN)]}
    if errors:
        raise UpsertItemsInvalid(dict(sorted(errors.items(), key=lambda pair: int(pair[0]))))
    batch = retrying(
        lambda: customer_rows_save(list(merged.values()), user_id=user.pk, reason=""),
        attempts=UPSERT_ATTEMPTS,
    )
    # By row object: the write re-keys a row naming a merged customer's e-mail (an alias).
    written = {id(row): (pk, status == CREATED) for row, pk, status in batch.customers}
    statistics_refresh(
        models=(Customer, Address, UserCustomerGroup),
        rows=sum(status in (CREATED, UPDATED) for _, _, status in batch.customers),
    )
    result, seen = UpsertResult(), set()
    for row, key in zip(rows, keys, strict=True):
        pk, created = written[id(merged[key])]
        result.rows.append((pk, row.email, created and key not in seen))
        seen.add(key)
    invited = [result.rows[index][0] for index, row in enumerate(rows) if row.invite]
    for customer in Customer.objects.filter(pk__in=invited):
        customer_invite_send(customer=customer)
    return result


def _upsert_rows_merge(rows: list) -> dict:
    """One row per (channel, email): a repeated e-mail's items applied in order."""
    merged: dict = {}
    for row in rows:
        earlier = merged.get(row.key)
        if earlier is not None:
            row = CleanRow(
                row.line,
                row.channel_id,
                row.email,
                {**earlier.values, **row.values},
                row.groups if row.groups is not None else earlier.groups,
                [*earlier.addresses, *row.addresses],
                invite=row.invite or earlier.invite,
            )
        merged[row.key] = row
    return merged


def customer_invite_send(*, customer: Customer) -> None:
    """Send the invitation e-mail with a set-password link once the transaction commits."""
    transaction.on_commit(lambda: customer_invite_email_send(customer))


def customer_authenticate(*, channel: str, email: str, password: str) -> Customer | None:
    """Return the active customer whose password matches, recording the sign-in; else None.

    Unknown, wrong password, inactive and frozen all answer None, in about the same time.
    """
    try:
        email = email_normalize(email)
    except ValidationError:
        email = ""
    customer = (
        Customer.objects.select_related("channel")
        .filter(channel__code=channel, email=email)
        .first()
    )
    if customer is None or not customer.has_password:
        make_password(_DUMMY_PASSWORD)
        return None
    if not check_password(password, customer.password) or not customer.is_active:
        return None
    customer.last_login_at = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(
        last_login_at=customer.last_login_at, version=version_next()
    )
    return customer


@transaction.atomic
def customer_anonymize(*, customer: Customer) -> Customer:
    """Erase the personal data of the customer and its addresses; orders and statistics stay."""
    blank = ("first_name", "last_name", "company", "phone", "phone_secondary")
    for name in (*blank, "identification", "note", "erp_code", "preferred_shipping_method"):
        setattr(customer, name, "")
    customer.email = ANONYMIZED_EMAIL.format(pk=customer.pk)
    customer.username = None
    customer.password = make_password(None)
    customer.date_of_birth = None
    customer.gender = Customer.Gender.UNKNOWN
    customer.status = Customer.Status.INACTIVE
    customer.email_allowed = customer.sms_allowed = customer.call_allowed = False
    customer.attributes, customer.extra_field = {}, {}
    customer.last_login_at = None
    version_save(customer)
    erased = {
        f.name: ""
        for f in Address._meta.concrete_fields
        if f.get_internal_type() == "CharField" and f.name not in ADDRESS_KEPT_FIELDS
    }
    queryset_update_with_history(
        Address.objects.filter(customer=customer),
        **erased,
        updated_at=timezone.now(),
        version=version_next(),
    )
    customer_match_keys_refresh([customer.pk])
    # One event without personal data; it stands for the erased addresses too.
    events_emit(CUSTOMER, types.CUSTOMER_ANONYMIZED, [customer.pk], tombstone=True)
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer, if_match: EntityTags | None = None) -> None:
    """Delete a customer with its addresses and memberships; one with orders cannot go.
    With `if_match`, only at a version it names (else PreconditionFailed)."""
    version_check(Customer, customer.pk, if_match)
    if customer.orders.exists():
        raise CustomerHasOrders(CUSTOMER_HAS_ORDERS, set())
    # The cascade's rows first: a reader keeping addresses or memberships apart drops them.
    addresses = customer.addresses.order_by("pk").values_list("pk", flat=True)
    events_emit(ADDRESS, types.ADDRESS_DELETED, addresses, tombstone=True)
    memberships = customer.memberships.order_by("pk").values_list("pk", flat=True)
    events_emit(MEMBERSHIP, types.MEMBERSHIP_REMOVED, memberships, tombstone=True)
    events_emit(CUSTOMER, types.CUSTOMER_DELETED, [customer.pk], tombstone=True)
    # Its pairs go with it; a key group it leaves may fall under the placeholder threshold.
    groups = customer_match_groups([customer.pk])
    pk = customer.pk
    customer.delete()
    candidate_pairs_refresh([pk], groups)


def _clear_flags_for(address: Address) -> None:
    """Clear the default/billing flag of the customer's other addresses before setting it."""
    others = Address.objects.filter(customer_id=address.customer_id).exclude(pk=address.pk)
    for flag in ("is_default", "is_billing"):
        if getattr(address, flag):
            holders = list(others.filter(**{flag: True}).values_list("pk", flat=True))
            if not holders:
                continue
            rows_update_with_history(Address, holders, **{flag: False}, version=version_next())
            events_emit(ADDRESS, types.ADDRESS_UPDATED, dict.fromkeys(holders, [flag]))


def _address_customer_touch(address: Address, if_match: EntityTags | None) -> None:
    """Count a change of the customer (its answer shows its addresses), which locks it, so two
    concurrent writers cannot both set a default address; then check the address's If-Match.

    The customer first, as every writer of a customer's rows locks them."""
    versions_bump(Customer.objects.filter(pk=address.customer_id))
    if address.pk is not None:
        version_check(Address, address.pk, if_match)


def _save_address(
    address: Address, if_match: EntityTags | None = None, before: dict | None = None
) -> Address:
    """Save a new address (`before` None) or a changed one, and record its event."""
    _address_customer_touch(address, if_match)
    _clear_flags_for(address)
    version_save(address)
    customer_match_keys_refresh([address.customer_id])
    if before is None:
        events_emit(ADDRESS, types.ADDRESS_CREATED, [address.pk])
    elif changed := fields_changed(before, address):
        events_emit(ADDRESS, types.ADDRESS_UPDATED, {address.pk: changed})
    return address


def address_values_clean(data) -> dict:
    """Check an API address object with the customer rows' address check; return its stored
    values. Raise RowInvalid naming every bad field."""
    errors: dict[str, list[str]] = {}
    values = address_clean_values(data, errors, "")
    if errors:
        raise RowInvalid(errors)
    return values


@transaction.atomic
def address_create(*, customer: Customer, data) -> Address:
    """Add an address; the customer's first address becomes the default one."""
    values = address_values_clean(data)
    has_default = customer.addresses.filter(is_default=True).exists()
    address = Address(customer=customer, **values)
    address.is_default = address_is_default(values, customer_has_default=has_default)
    return _save_address(address)


@transaction.atomic
def address_update(*, address: Address, data, if_match: EntityTags | None = None) -> Address:
    """Change an address; setting is_default or is_billing moves that flag to it. With
    `if_match`, only from a version it names (else PreconditionFailed)."""
    before = fields_stored(address)
    for name, value in address_values_clean(data).items():
        setattr(address, name, value)
    return _save_address(address, if_match, before)


@transaction.atomic
def address_delete(*, address: Address, if_match: EntityTags | None = None) -> None:
    """Delete an address; when it was the default, the newest remaining one takes over.
    With `if_match`, only at a version it names (else PreconditionFailed)."""
    _address_customer_touch(address, if_match)
    customer_id, was_default = address.customer_id, address.is_default
    events_emit(ADDRESS, types.ADDRESS_DELETED, [address.pk], tombstone=True)
    address.delete()
    if was_default:
        successor = Address.objects.filter(customer_id=customer_id).order_by("-created_at").first()
        if successor is not None:
            queryset_update_with_history(
                Address.objects.filter(pk=successor.pk), is_default=True, version=version_next()
            )
            events_emit(ADDRESS, types.ADDRESS_UPDATED, {successor.pk: ["is_default"]})
    customer_match_keys_refresh([customer_id])


@transaction.atomic
def channel_create(*, data: dict) -> Channel:
    """Create a sales channel."""
    channel = Channel(**data)
    channel.full_clean()
    channel.save()
    events_emit(CHANNEL, types.CHANNEL_CREATED, [channel.pk])
    return channel


@transaction.atomic
def channel_update(*, channel: Channel, data: dict, if_match: EntityTags | None = None) -> Channel:
    """Change a channel's name, currency or active flag (its code never changes). With
    `if_match`, only from a version it names (else PreconditionFailed). The admin saves a
    new channel through here too."""
    version_check(Channel, channel.pk, if_match)
    before = fields_stored(channel)
    for name, value in data.items():
        if name != "code":
            setattr(channel, name, value)
    channel.full_clean()
    version_save(channel)
    if before is None:
        events_emit(CHANNEL, types.CHANNEL_CREATED, [channel.pk])
    elif changed := fields_changed(before, channel):
        events_emit(CHANNEL, types.CHANNEL_UPDATED, {channel.pk: changed})
        if {"country", "currency"} & set(changed):
            # The channel's phones are read in its region: their keys follow it.
            customer_match_keys_backfill(channel_id=channel.pk)
            candidate_pairs_rebuild(channel_id=channel.pk)
    return channel


@transaction.atomic
def channel_delete(*, channel: Channel, if_match: EntityTags | None = None) -> None:
    """Delete a channel that nothing refers to (else ProtectedError). With `if_match`, only
    at a version it names (else PreconditionFailed)."""
    version_check(Channel, channel.pk, if_match)
    events_emit(CHANNEL, types.CHANNEL_DELETED, [channel.pk], tombstone=True)
    channel.delete()
