"""Every write to customers and addresses goes through here: API, admin and commands alike."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from config.history import queryset_update_with_history
from customers.emails import customer_invite_email_send
from customers.imports import import_context
from customers.imports.batches import customer_rows_save, retrying, usernames_refused
from customers.imports.rows import CleanRow, RowInvalid, boolean_clean, row_clean
from customers.imports.writers import CREATED
from customers.models import Address, Channel, Customer
from customers.selectors import channel_list
from customers.validation import (
    CHANNEL_IMMUTABLE,
    EMAIL_TAKEN_CODE,
    USERNAME_TAKEN,
    address_clean,
    customer_clean,
    email_normalize,
    password_check,
)
from groups.services import customer_groups_set

UPSERT_ATTEMPTS = 3
UPSERT_MAX_ITEMS = 1000
CUSTOMER_HAS_ORDERS = "This customer has orders and cannot be deleted; anonymize it instead."
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


def _apply_customer_data(customer: Customer, data: dict) -> None:
    for name, value in data.items():
        setattr(customer, name, value)


def _save_customer(customer: Customer, *, password: str | None) -> Customer:
    if password:
        password_check(password)
        customer.password = make_password(password)
    customer_clean(customer)
    customer.save()
    return customer


def _after_save(customer: Customer, *, groups: Iterable[str] | None, send_invite: bool) -> None:
    if groups is not None:
        customer_groups_set(customer=customer, codes=groups)
    if send_invite:
        customer_invite_send(customer=customer)


@transaction.atomic
def customer_create(
    *,
    channel: Channel,
    data: dict,
    addresses: Iterable[dict] = (),
    password: str | None = None,
    groups: Iterable[str] | None = None,
    send_invite: bool = False,
) -> Customer:
    """Create a customer in the channel, with its addresses and groups; validate every field.

    Raises ValidationError naming the bad fields; nothing is written then.
    """
    customer = Customer(channel=channel)
    _apply_customer_data(customer, {k: v for k, v in data.items() if k != "channel"})
    _save_customer(customer, password=password)
    for address_data in addresses:
        address_create(customer=customer, data=address_data)
    _after_save(customer, groups=groups, send_invite=send_invite)
    return customer


def _check_channel_unchanged(customer: Customer, data: dict) -> None:
    if "channel" not in data:
        return
    value = data["channel"]
    if isinstance(value, Channel):
        same = value.pk == customer.channel_id
    else:
        same = value in (customer.channel_id, customer.channel.code)
    if not same:
        raise ValidationError({"channel": [CHANNEL_IMMUTABLE]})


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    data: dict,
    password: str | None = None,
    groups: Iterable[str] | None = None,
    send_invite: bool = False,
) -> Customer:
    """Change the given fields of a customer; the channel never changes (ValidationError)."""
    _check_channel_unchanged(customer, data)
    _apply_customer_data(customer, {k: v for k, v in data.items() if k != "channel"})
    _save_customer(customer, password=password)
    _after_save(customer, groups=groups, send_invite=send_invite)
    return customer


def _address_add_unless_known(*, customer: Customer, data: dict) -> None:
    """Add the address unless the customer already has one with exactly these values."""
    candidate = Address(customer=customer, **data)
    address_clean(candidate)
    values = {name: getattr(candidate, name) for name in data}
    if not Address.objects.filter(customer=customer, **values).exists():
        address_create(customer=customer, data=data)


def customer_upsert(
    *,
    channel: Channel,
    email: str,
    data: dict,
    addresses: Iterable[dict] = (),
    password: str | None = None,
    groups: Iterable[str] | None = None,
    send_invite: bool = False,
) -> tuple[Customer, bool]:
    """Create or update the customer keyed by (channel, email); return (customer, created).

    The row is locked while it is updated; when two callers create the same e-mail at once,
    the loser's unique violation is retried as an update. On update, addresses the customer
    already has (same values) are not added again.
    """
    email = email_normalize(email)
    data = {**data, "email": email}
    extra = {"password": password, "groups": groups, "send_invite": send_invite}
    for attempt in range(UPSERT_ATTEMPTS):
        try:
            with transaction.atomic():
                customer = (
                    Customer.objects.select_for_update()
                    .filter(channel=channel, email=email)
                    .first()
                )
                if customer is not None:
                    customer_update(customer=customer, data=data, **extra)
                    for address_data in addresses:
                        _address_add_unless_known(customer=customer, data=address_data)
                    return customer, False
                customer = customer_create(channel=channel, data=data, addresses=addresses, **extra)
                return customer, True
        except IntegrityError:
            if attempt == UPSERT_ATTEMPTS - 1:
                raise
        except ValidationError as error:
            # Another caller created the e-mail after the lookup above: update it instead.
            if not _lost_email_race(error) or attempt == UPSERT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _lost_email_race(error: ValidationError) -> bool:
    email_errors = getattr(error, "error_dict", {}).get("email", [])
    return any(item.code == EMAIL_TAKEN_CODE for item in email_errors)


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
    is written then.
    """
    context = import_context(channels=channel_list(user=user))
    rows, errors, invites = [], {}, set()
    for index, item in enumerate(items):
        try:
            rows.append(row_clean(index, item, context))
            if boolean_clean(item.get("send_email_invite", False)):
                invites.add(index)
        except RowInvalid as invalid:
            errors[str(index)] = invalid.errors
        except ValueError as error:
            errors[str(index)] = {"send_email_invite": [str(error)]}
    merged = _upsert_rows_merge(rows)
    for row in usernames_refused(list(merged.values())):
        errors[str(row.line)] = {"username": [USERNAME_TAKEN]}
    if errors:
        raise UpsertItemsInvalid(dict(sorted(errors.items(), key=lambda pair: int(pair[0]))))
    batch = retrying(
        lambda: customer_rows_save(list(merged.values()), user_id=user.pk, reason=""),
        attempts=UPSERT_ATTEMPTS,
    )
    written = {row.key: (pk, status == CREATED) for row, pk, status in batch.customers}
    result, seen = UpsertResult(), set()
    for row in rows:
        pk, created = written[row.key]
        result.rows.append((pk, row.email, created and row.key not in seen))
        seen.add(row.key)
    for customer in Customer.objects.filter(pk__in=[result.rows[i][0] for i in invites]):
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
    Customer.objects.filter(pk=customer.pk).update(last_login_at=customer.last_login_at)
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
    customer.save()
    erased = {
        f.name: ""
        for f in Address._meta.concrete_fields
        if f.get_internal_type() == "CharField" and f.name not in ADDRESS_KEPT_FIELDS
    }
    queryset_update_with_history(
        Address.objects.filter(customer=customer), **erased, updated_at=timezone.now()
    )
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer) -> None:
    """Delete a customer with its addresses and memberships; one with orders cannot go."""
    if customer.orders.exists():
        raise CustomerHasOrders(CUSTOMER_HAS_ORDERS, set())
    customer.delete()


def _clear_flags_for(address: Address) -> None:
    """Clear the default/billing flag of the customer's other addresses before setting it."""
    others = Address.objects.filter(customer_id=address.customer_id).exclude(pk=address.pk)
    if address.is_default:
        queryset_update_with_history(others.filter(is_default=True), is_default=False)
    if address.is_billing:
        queryset_update_with_history(others.filter(is_billing=True), is_billing=False)


def _save_address(address: Address) -> Address:
    # Lock the customer so two concurrent writers cannot both set a default address.
    Customer.objects.select_for_update().filter(pk=address.customer_id).values("pk").first()
    address_clean(address)
    _clear_flags_for(address)
    address.save()
    return address


@transaction.atomic
def address_create(*, customer: Customer, data: dict) -> Address:
    """Add an address; the customer's first address becomes the default one."""
    address = Address(customer=customer, **data)
    if "is_default" not in data and not customer.addresses.filter(is_default=True).exists():
        address.is_default = True
    return _save_address(address)


@transaction.atomic
def address_update(*, address: Address, data: dict) -> Address:
    """Change an address; setting is_default or is_billing moves that flag to it."""
    for name, value in data.items():
        setattr(address, name, value)
    return _save_address(address)


@transaction.atomic
def address_delete(*, address: Address) -> None:
    """Delete an address; when it was the default, the newest remaining one takes over."""
    customer_id, was_default = address.customer_id, address.is_default
    address.delete()
    if was_default:
        successor = Address.objects.filter(customer_id=customer_id).order_by("-created_at").first()
        if successor is not None:
            queryset_update_with_history(Address.objects.filter(pk=successor.pk), is_default=True)


@transaction.atomic
def channel_create(*, data: dict) -> Channel:
    """Create a sales channel."""
    channel = Channel(**data)
    channel.full_clean()
    channel.save()
    return channel


@transaction.atomic
def channel_update(*, channel: Channel, data: dict) -> Channel:
    """Change a channel's name, currency or active flag (its code never changes)."""
    for name, value in data.items():
        if name != "code":
            setattr(channel, name, value)
    channel.full_clean()
    channel.save()
    return channel
