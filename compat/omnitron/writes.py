"""Omnitron's customer writes: the body translated, then Patron's customer services."""

from compat.omnitron.names import (
    OmnitronInvalid,
    customer_data_from_omnitron,
    errors_to_omnitron,
)
from config.versions import EntityTags
from customers.imports.rows import RowInvalid
from customers.models import Customer
from customers.selectors import channel_list
from customers.services import customer_create, customer_update, customer_validate


def _refuse(errors: dict, patron: dict, *, user, customer=None, partial=False):
    """Raise OmnitronInvalid with the translation's errors and the validator's for the rest
    of the body, so one answer names every bad field. Nothing is written."""
    try:
        customer_validate(
            data=patron, channels=channel_list(user=user), customer=customer, partial=partial
        )
        found = {}
    except RowInvalid as invalid:
        found = errors_to_omnitron(invalid.errors)
    raise OmnitronInvalid({**found, **errors})


def omnitron_customer_create(*, data, user) -> Customer:
    """Create a customer from an Omnitron body (channel id and email required)."""
    patron, errors = customer_data_from_omnitron(data, user=user)
    if errors:
        _refuse(errors, patron, user=user)
    try:
        return customer_create(data=patron, user=user)
    except RowInvalid as invalid:
        raise OmnitronInvalid(errors_to_omnitron(invalid.errors)) from invalid


def omnitron_customer_update(
    *, customer: Customer, data, user, partial: bool, if_match: EntityTags | None = None
) -> Customer:
    """Change a customer from an Omnitron body: PUT (partial False) or PATCH."""
    patron, errors = customer_data_from_omnitron(data, user=user, customer=customer)
    if errors:
        _refuse(errors, patron, user=user, customer=customer, partial=partial)
    try:
        return customer_update(
            customer=customer, data=patron, user=user, partial=partial, if_match=if_match
        )
    except RowInvalid as invalid:
        raise OmnitronInvalid(errors_to_omnitron(invalid.errors)) from invalid
