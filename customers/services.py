"""Every write to customers and addresses goes through here: API, admin and commands alike."""

from collections.abc import Iterable

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction

from customers.models import Address, Channel, Customer
from customers.validation import country_normalize, email_normalize

UPSERT_ATTEMPTS = 3


def _apply_customer_data(customer: Customer, data: dict) -> None:
    for field, value in data.items():
        setattr(customer, field, value)
    customer.email = email_normalize(customer.email)
    customer.username = (customer.username or "").strip() or None


def _save_customer(customer: Customer, *, password: str | None) -> Customer:
    if password:
        customer.password = make_password(password)
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def customer_create(
    *,
    channel: Channel,
    data: dict,
    addresses: Iterable[dict] = (),
    password: str | None = None,
) -> Customer:
    """Create a customer in the channel, with its addresses; validate every field first."""
    customer = Customer(channel=channel)
    _apply_customer_data(customer, data)
    _save_customer(customer, password=password)
    for address_data in addresses:
        address_create(customer=customer, data=address_data)
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, data: dict, password: str | None = None) -> Customer:
    """Change the given fields of a customer (the channel never changes)."""
    data = {key: value for key, value in data.items() if key != "channel"}
    _apply_customer_data(customer, data)
    return _save_customer(customer, password=password)


def customer_upsert(
    *,
    channel: Channel,
    email: str,
    data: dict,
    addresses: Iterable[dict] = (),
    password: str | None = None,
) -> tuple[Customer, bool]:
    """Create or update the customer keyed by (channel, email); return (customer, created).

    The row is locked while it is updated; when two callers create the same e-mail at once,
    the loser's unique violation is retried as an update.
    """
    email = email_normalize(email)
    data = {**data, "email": email}
    for attempt in range(UPSERT_ATTEMPTS):
        try:
            with transaction.atomic():
                customer = (
                    Customer.objects.select_for_update()
                    .filter(channel=channel, email=email)
                    .first()
                )
                if customer is not None:
                    customer_update(customer=customer, data=data, password=password)
                    for address_data in addresses:
                        address_create(customer=customer, data=address_data)
                    return customer, False
                customer = customer_create(
                    channel=channel, data=data, addresses=addresses, password=password
                )
                return customer, True
        except IntegrityError:
            if attempt == UPSERT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _clear_flags_for(address: Address) -> None:
    """Clear the default/billing flag of the customer's other addresses before setting it."""
    others = Address.objects.filter(customer_id=address.customer_id).exclude(pk=address.pk)
    if address.is_default:
        others.filter(is_default=True).update(is_default=False)
    if address.is_billing:
        others.filter(is_billing=True).update(is_billing=False)


def _save_address(address: Address) -> Address:
    # Lock the customer so two concurrent writers cannot both set a default address.
    Customer.objects.select_for_update().filter(pk=address.customer_id).values("pk").first()
    address.country = country_normalize(address.country)
    _clear_flags_for(address)
    address.full_clean(validate_constraints=False)
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
    for field, value in data.items():
        setattr(address, field, value)
    return _save_address(address)


@transaction.atomic
def address_delete(*, address: Address) -> None:
    """Delete an address; when it was the default, the newest remaining one takes over."""
    customer_id, was_default = address.customer_id, address.is_default
    address.delete()
    if was_default:
        successor = Address.objects.filter(customer_id=customer_id).order_by("-created_at").first()
        if successor is not None:
            Address.objects.filter(pk=successor.pk).update(is_default=True)


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
    for field, value in data.items():
        if field != "code":
            setattr(channel, field, value)
    channel.full_clean()
    channel.save()
    return channel
