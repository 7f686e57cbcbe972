"""The import page's column reference and sample files, made from the export's columns.

Every column comes from customers.exports.CSV_HEADER (itself derived from the models), its
type, limits and allowed values from the model field behind it: a new field shows up here,
in the samples and in the reference without another list. EXAMPLES holds the one list of
exceptions: realistic values for text fields (a type alone cannot say what a phone looks
like). The samples are the export's own writer fed with an example customer, so they are
exactly what an export (and so the import) reads.
"""

import datetime
import io
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.exports import CSV_HEADER, EXPORT_FIELDS, customer_objects_write
from customers.imports.nuvemshop import ADDRESS_ALIASES, BILLING_FIELDS, CUSTOMER_ALIASES
from customers.imports.rows import ADDRESS_FIELDS
from customers.models import Address, Customer
from customers.selectors import channel_list
from groups.models import UserGroup

SAMPLE_FORMATS = {
    "csv": ("customers-sample.csv", "text/csv", "CSV"),
    "json": ("customers-sample.json", "application/json", _("JSON (an array of objects)")),
    "ndjson": ("customers-sample.ndjson", "application/x-ndjson", _("NDJSON (one object a line)")),
    "nuvemshop": ("customers-sample-nuvemshop.json", "application/json", "Nuvemshop JSON"),
}
SHOWN_GROUPS = 20
# Realistic values for text fields; every other column's example follows from its type.
EXAMPLES = {
    "email": "maria.silva@example.com",
    "username": "maria.silva",
    "first_name": "María",
    "last_name": "Silva",
    "company": "Loja Exemplo Ltda",
    "phone": "+55 11 91234-5678",
    "phone_secondary": "+55 11 3456-7890",
    "identification": "123.456.789-09",
    "note": "Prefers deliveries after 2 pm",
    "preferred_shipping_method": "express",
    "erp_code": "ERP-0042",
    "channel_code": "C-0042",
    "address": "Rua Augusta",
    "number": "1500",
    "floor": "3",
    "address2": "Apto 31",
    "address3": "",
    "locality": "Consolação",
    "city": "São Paulo",
    "province": "SP",
    "zipcode": "01304-001",
    "country": "BR",
}
_DATE = datetime.date(1990, 5, 17)
_DATETIME = datetime.datetime(2024, 1, 15, 10, 30, tzinfo=datetime.UTC)
_BOOLEANS = _("true or false (also 1/0, yes/no)")
NOTES = {
    "channel": _("required unless the import names a default channel"),
    "email": _("required: rows are matched on channel and e-mail"),
    "groups": _("replaces the customer's groups when the column is there"),
    "updated_at": _("read-only, from an export: checked by --if-unchanged-since=row"),
    "version": _("read-only, from an export: checked by --if-unchanged-since=row"),
}


@dataclass(frozen=True)
class Column:
    """One column of the import: its name and what it takes."""

    name: str
    type: str
    required: bool
    allowed: str
    example: str
    note: str = ""


def _field(name: str) -> models.Field:
    if name.startswith("address."):
        return Address._meta.get_field(name.removeprefix("address."))
    return Customer._meta.get_field(name)


def _type(field: models.Field) -> str:
    kinds = [
        (models.BooleanField, _("boolean")),
        (models.JSONField, _("JSON object")),
        (models.DateTimeField, _("date and time (ISO 8601)")),
        (models.DateField, _("date (YYYY-MM-DD)")),
        (models.DecimalField, _("decimal number")),
        (models.PositiveIntegerField, _("whole number")),
        (models.EmailField, _("e-mail")),
    ]
    for kind, label in kinds:
        if isinstance(field, kind):
            return label
    if field.choices:
        return _("choice")
    length = getattr(field, "max_length", None)
    return _("text (up to {length})").format(length=length) if length else _("text")


def _example(name: str, field: models.Field):
    """The example value of a column, in the API's types."""
    short = name.removeprefix("address.")
    if short in EXAMPLES:
        return EXAMPLES[short]
    if field.choices:
        return field.get_default() or field.choices[0][0]
    examples = {
        models.BooleanField: not field.get_default(),
        models.JSONField: {"source": "sample"},
        models.DateTimeField: _DATETIME,
        models.DateField: _DATE,
        models.DecimalField: Decimal("5.00"),
    }
    for kind, value in examples.items():
        if isinstance(field, kind):
            return value
    return ""


def _allowed(name: str, field, *, channels: list[str], groups: list[str]) -> str:
    if name == "channel":
        return ", ".join(channels)
    if name == "groups":
        return _("group codes separated by | (JSON: a list): {codes}").format(
            codes=", ".join(groups)
        )
    if name == "address.country":
        return _("ISO 3166 two-letter code")
    if field is not None and field.choices:
        return ", ".join(value for value, _ in field.choices)
    if isinstance(field, models.BooleanField):
        return _BOOLEANS
    if name == "discount_percent":
        return _("0 to 100, 2 decimals")
    return ""


def import_columns(*, channels: list[str], groups: list[str]) -> list[Column]:
    """The import's columns (the export's, in its order) for the column reference; the
    allowed channels and groups are those given (the ones the user may use)."""
    sample = sample_customer(channel=channels[0] if channels else "web", groups=groups)
    address = sample["addresses"][0]
    columns = []
    for name in CSV_HEADER:
        field = None if name in ("channel", "groups") else _field(name)
        if name.startswith("address."):
            example = address[name.removeprefix("address.")]
        elif name == "groups":
            example = "|".join(sample["groups"])
        else:
            example = sample.get(name, "")
        type_ = {"channel": _("channel code"), "groups": _("list of group codes")}.get(name)
        columns.append(
            Column(
                name=name,
                type=type_ or _type(field),
                required=name == "email",
                allowed=_allowed(name, field, channels=channels, groups=groups),
                example=_shown(example),
                note=NOTES.get(name, ""),
            )
        )
    return columns


def _shown(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def sample_customer(*, channel: str, groups: list[str]) -> dict:
    """A customer with an example value in every importable field (an API object)."""
    customer = {"channel": channel}
    for name in EXPORT_FIELDS[1:]:
        if name == "groups":
            customer[name] = groups[:1]
        else:
            customer[name] = _example(name, Customer._meta.get_field(name))
    address = {name: _example(name, Address._meta.get_field(name)) for name in ADDRESS_FIELDS}
    address.update(is_default=True, is_billing=True)
    customer["addresses"] = [address]
    return customer


def _minimal(channel: str) -> dict:
    """The least a row needs: a channel and an e-mail."""
    return {"channel": channel, "email": "joao.souza@example.com"}


def _nuvemshop(customer: dict) -> dict:
    """The customer as Nuvemshop names it: `name`, `extra`, flat billing_* fields, addresses
    with `default` (customers.imports.nuvemshop)."""
    renamed = {v: k for k, v in CUSTOMER_ALIASES.items()}
    body = {renamed.get(name, name): value for name, value in customer.items()}
    body["name"] = f"{body.pop('first_name')} {body.pop('last_name')}"
    address_names = {v: k for k, v in ADDRESS_ALIASES.items()}
    billing = body["addresses"][0]
    for flat, name in BILLING_FIELDS.items():
        body[flat] = billing[name]
    body["addresses"] = [
        {
            address_names.get(name, name): value
            for name, value in item.items()
            if name != "is_billing"
        }
        for item in body["addresses"]
    ]
    return body


def sample_text(fmt: str, *, channel: str, groups: list[str]) -> str:
    """A sample file of the format (SAMPLE_FORMATS) with a full and a minimal customer."""
    customers = [sample_customer(channel=channel, groups=groups), _minimal(channel)]
    if fmt == "nuvemshop":
        customers[0] = _nuvemshop(customers[0])
        return json.dumps(customers, ensure_ascii=False, indent=2, default=_shown) + "\n"
    if fmt == "json":
        return json.dumps(customers, ensure_ascii=False, indent=2, default=_shown) + "\n"
    stream = io.StringIO()
    customer_objects_write(customers, fmt=fmt, stream=stream, stamps=False)
    return stream.getvalue()


def sample_codes(*, user) -> tuple[list[str], list[str]]:
    """The channel codes the user may import into and a few group codes: what the column
    reference lists and the samples use (their rows then import as they are)."""
    channels = list(channel_list(user=user).order_by("code").values_list("code", flat=True))
    groups = list(UserGroup.objects.order_by("code").values_list("code", flat=True)[:SHOWN_GROUPS])
    return channels, groups
