"""Nuvemshop's customer vocabulary, and the translation of its bodies and errors to Patron's.

Nuvemshop's names for what Patron names otherwise (`extra`, an address's `default`, the flat
`billing_*` fields, the single `name`) are already taken by the customers' one validator
(customers.imports.nuvemshop, customers.imports.rows): a body is handed to it as it is, with the
channel of the URL, once its names are checked against Nuvemshop's own list here, so an unknown
name is refused with the closest Nuvemshop name instead of a Patron one.
"""

from collections.abc import Mapping

from config.rest import errors_nest
from config.unknown_names import unknown_fields
from customers.imports.nuvemshop import ADDRESS_ALIASES, BILLING_STREET, CUSTOMER_ALIASES

# The address of the seed's representation, in its order; `default` is Patron's is_default.
ADDRESS_FIELDS = (
    "address",
    "city",
    "country",
    "created_at",
    "default",
    "floor",
    "id",
    "locality",
    "number",
    "phone",
    "province",
    "updated_at",
    "zipcode",
)
ADDRESS_READ_ONLY = frozenset({"id", "created_at", "updated_at"})
# The flat billing fields, one per text field of Nuvemshop's address (`billing_address` is
# the street): Patron's billing address (the address with is_billing), which the customers'
# validator already takes under these names (customers.imports.nuvemshop.BILLING_FIELDS;
# tests/compat/nuvemshop/test_mapping.py checks it).
BILLING_FIELDS = {
    f"billing_{part}": part
    for part in ADDRESS_FIELDS
    if part not in ADDRESS_READ_ONLY and part != "default"
}
# The customer of the seed's representation, in its order, plus `active` (its property list).
CUSTOMER_FIELDS = (
    "created_at",
    "email",
    "id",
    "identification",
    "last_order_id",
    "name",
    "note",
    "phone",
    "total_spent",
    "total_spent_currency",
    "updated_at",
    *BILLING_FIELDS,
    "extra",
    "default_address",
    "addresses",
    "active",
)
# Shown but never written: accepted on write and ignored, so a read can be sent back.
CUSTOMER_READ_ONLY = frozenset(
    {
        "id",
        "created_at",
        "updated_at",
        "last_order_id",
        "total_spent",
        "total_spent_currency",
        "default_address",
        "active",
    }
)
# Taken on write only (POST /customers documents them).
WRITE_ONLY_FIELDS = ("send_email_invite", "password")
CUSTOMER_INPUT_FIELDS = frozenset({*CUSTOMER_FIELDS, *WRITE_ONLY_FIELDS})
# Patron's name of each Nuvemshop name that differs, for errors the validator reports.
_PATRON_ADDRESS_NAMES = {name: alias for alias, name in ADDRESS_ALIASES.items()}
_PATRON_CUSTOMER_NAMES = {name: alias for alias, name in CUSTOMER_ALIASES.items()} | {
    "first_name": "name",
    "last_name": "name",
}
NOT_STREET = "Not a valid string: the billing street."


def _address_names_check(item, prefix: str, errors: dict) -> None:
    if isinstance(item, Mapping):
        for name, messages in unknown_fields(item, ADDRESS_FIELDS).items():
            errors[f"{prefix}{name}"] = messages


def names_check(data) -> dict[str, list[str]]:
    """{dotted Nuvemshop name: [message]} for each name of a customer body Nuvemshop does not
    have (its addresses' too), with the closest Nuvemshop name; empty when all are known."""
    if not isinstance(data, Mapping):
        return {}
    errors = dict(unknown_fields(data, CUSTOMER_INPUT_FIELDS))
    street = data.get(BILLING_STREET)
    if street is not None and not isinstance(street, str):
        errors[BILLING_STREET] = [NOT_STREET]
    addresses = data.get("addresses")
    if isinstance(addresses, list):
        for index, item in enumerate(addresses):
            _address_names_check(item, f"addresses.{index}.", errors)
    return errors


def customer_object(data, *, channel_code: str):
    """The Patron API object the customers' validator takes for a Nuvemshop body: the same
    names (their aliases are its own), the URL's channel, read-only names left out."""
    if not isinstance(data, Mapping):
        return data
    patron = {name: value for name, value in data.items() if name not in CUSTOMER_READ_ONLY}
    patron["channel"] = channel_code
    return patron


def _error_key(key: str) -> str:
    """A validator's dotted error key in Nuvemshop's names."""
    parts = key.split(".")
    if parts[0] in _PATRON_CUSTOMER_NAMES:
        parts[0] = _PATRON_CUSTOMER_NAMES[parts[0]]
    if len(parts) == 3 and parts[0] == "addresses":
        parts[2] = _PATRON_ADDRESS_NAMES.get(parts[2], parts[2])
    return ".".join(parts)


def errors_translate(errors: Mapping[str, list[str]]) -> dict:
    """The validator's {dotted Patron name: [messages]} as Nuvemshop names, nested as DRF nests
    a serializer's errors (first_name and last_name are both Nuvemshop's `name`)."""
    translated: dict[str, list[str]] = {}
    for key, messages in errors.items():
        name = _error_key(key)
        translated[name] = list(dict.fromkeys([*translated.get(name, []), *messages]))
    return errors_nest(translated)
