"""Stream customers out as CSV or NDJSON in the import's format, so an export re-imports as is.

Customers are read with a server-side cursor (QuerySet.iterator) and their addresses and
groups one chunk at a time: memory stays flat whatever the table size.
"""

import csv
import datetime
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO

from django.db.models import QuerySet
from django.http import QueryDict

from config.filtering import filterset_param_names, param_name_known
from customers.filters import CustomerFilterSet
from customers.imports.readers import ADDRESS_COLUMNS
from customers.imports.rows import ADDRESS_FIELDS, CUSTOMER_FIELDS, STAMP_FIELDS
from customers.models import Address, Customer
from customers.selectors import customer_all
from groups.models import UserCustomerGroup

EXPORT_FORMATS = ("csv", "ndjson")
CHUNK_SIZE = 2000
UNKNOWN_FILTER = "Unknown filter: {name}."
FILTER_SYNTAX = "Write filters as field__lookup=value, not {text!r}."
# The importable fields, in the API's order; the CSV carries one address (the default one).
EXPORT_FIELDS = ("channel", *CUSTOMER_FIELDS, "groups")
# Last, the edit each row was exported at: an import ignores them unless asked to refuse
# rows whose customer changed since (customers.imports.newer_edits).
CSV_HEADER = (*EXPORT_FIELDS, *ADDRESS_COLUMNS, *STAMP_FIELDS)


class ExportFilterInvalid(ValueError):
    """A filter is unknown or its value does not parse; `errors` names the bad filters."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def customer_export_queryset(filters: list[str]) -> QuerySet[Customer]:
    """Return all customers narrowed by `field__lookup=value` filters (the API's FilterSet)."""
    data = QueryDict(mutable=True)
    for text in filters:
        name, sep, value = text.partition("=")
        if not sep or not name:
            raise ExportFilterInvalid({"filter": [FILTER_SYNTAX.format(text=text)]})
        data.appendlist(name.strip(), value)
    known = filterset_param_names(CustomerFilterSet)
    for name in data:
        if not param_name_known(name, known):
            raise ExportFilterInvalid({name: [UNKNOWN_FILTER.format(name=name)]})
    filterset = CustomerFilterSet(data=data, queryset=customer_all())
    if not filterset.is_valid():
        raise ExportFilterInvalid({k: list(v) for k, v in filterset.errors.items()})
    return filterset.qs.order_by("id")


def _text(value) -> str:
    """A stored value as CSV text, in the API's notation."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return _iso(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _iso(value: datetime.datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _json_value(value):
    if isinstance(value, datetime.datetime):
        return _iso(value)
    if isinstance(value, datetime.date | Decimal):
        return str(value)
    return value


def _chunks(queryset: QuerySet[Customer]) -> Iterator[list[dict]]:
    rows = queryset.values("id", "channel__code", *CUSTOMER_FIELDS, *STAMP_FIELDS)
    chunk: list[dict] = []
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        chunk.append(row)
        if len(chunk) == CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _relations(ids: list[int]) -> tuple[dict, dict]:
    groups: dict[int, list[str]] = defaultdict(list)
    for customer_id, code in (
        UserCustomerGroup.objects.filter(customer_id__in=ids)
        .order_by("group__code")
        .values_list("customer_id", "group__code")
    ):
        groups[customer_id].append(code)
    addresses: dict[int, list[dict]] = defaultdict(list)
    for address in (
        Address.objects.filter(customer_id__in=ids)
        .order_by("id")
        .values("customer_id", *ADDRESS_FIELDS)
    ):
        addresses[address.pop("customer_id")].append(address)
    return groups, addresses


def customer_objects_iter(queryset: QuerySet[Customer]) -> Iterator[dict]:
    """Yield each customer as an importable API object, with groups and addresses."""
    for chunk in _chunks(queryset):
        groups, addresses = _relations([row["id"] for row in chunk])
        for row in chunk:
            pk = row.pop("id")
            row = {"channel": row.pop("channel__code"), **row}
            stamps = [row.pop(name) for name in STAMP_FIELDS]
            row["groups"] = groups.get(pk, [])
            row["addresses"] = addresses.get(pk, [])
            row.update(zip(STAMP_FIELDS, stamps, strict=True))
            yield row


def _default_address(addresses: list[dict]) -> dict:
    for address in addresses:
        if address["is_default"]:
            return address
    return addresses[0] if addresses else {}


def customers_export(
    *,
    queryset: QuerySet[Customer],
    fmt: str,
    stream: IO[str],
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Write the customers to the stream as CSV or NDJSON; return how many.

    `on_progress(count)` is called after every CHUNK_SIZE customers (a background job's
    progress; it may raise to stop the export).
    """
    return customer_objects_write(
        customer_objects_iter(queryset), fmt=fmt, stream=stream, on_progress=on_progress
    )


def customer_objects_write(
    customers: Iterable[dict],
    *,
    fmt: str,
    stream: IO[str],
    on_progress: Callable[[int], None] | None = None,
    stamps: bool = True,
) -> int:
    """Write API customer objects as the export does (a field an object lacks is blank);
    return how many. Without `stamps`, the CSV has no updated_at and version columns (a
    sample file)."""
    count = 0
    header = CSV_HEADER if stamps else CSV_HEADER[: -len(STAMP_FIELDS)]
    writer = csv.writer(stream) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(header)
    for customer in customers:
        count += 1
        if on_progress is not None and count % CHUNK_SIZE == 0:
            on_progress(count)
        if writer is None:
            customer = {name: _json_value(value) for name, value in customer.items()}
            stream.write(json.dumps(customer, ensure_ascii=False) + "\n")
            continue
        address = _default_address(customer.get("addresses", []))
        values = {**customer, "groups": "|".join(customer.get("groups", []))}
        writer.writerow(
            [
                *(_text(values.get(name)) for name in EXPORT_FIELDS),
                *(_text(address.get(name, "")) if address else "" for name in ADDRESS_FIELDS),
                *(_text(values.get(name)) for name in STAMP_FIELDS if stamps),
            ]
        )
    return count
