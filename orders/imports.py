"""Bulk order import (marketplace feeds): one service behind `manage.py import_orders`.

Rows are API order objects whose `customer` is an object {email, first_name, ...}: each row
upserts its customer in the order's channel, then creates the order, or updates it when the
channel already has an order with that number (a feed re-sends orders as they change). Rows
go through orders.services.order_write (the API's check and write) one at a time, each in its
own transaction, so statistics stay exact after every row.
"""

import csv
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from config.statistics import statistics_refresh
from customers.imports import ROW_NOT_WRITTEN, ImportCounts, RowError
from customers.imports.readers import (
    EMPTY_FILE,
    FIELD_COUNT,
    ImportFileError,
    csv_records,
    json_rows_read,
    ndjson_rows_read,
)
from customers.imports.rows import json_loads
from customers.models import Address, Customer
from events.services import SOURCE_IMPORT, actor_source, actor_use
from orders.models import Order, OrderItem
from orders.services import order_write

CUSTOMER_OBJECT_REQUIRED = _("Give the customer as an object with at least an email.")
ROW_NOT_OBJECT = _("Expected a JSON object.")
JSON_CELL = _("Enter valid JSON: {error}.")
NESTED_COLUMNS = ("customer", "shipping_address", "billing_address")


@dataclass
class OrderImportResult(ImportCounts):
    """What an order import did (or, in a dry run, would do)."""


def _row_check(data) -> None:
    if not isinstance(data, dict):
        raise ValidationError({"": [str(ROW_NOT_OBJECT)]})
    if not isinstance(data.get("customer"), dict):
        raise ValidationError({"customer": [str(CUSTOMER_OBJECT_REQUIRED)]})


def _order_existing(data: dict) -> Order | None:
    """The order a row updates: the channel's order with the row's number, if any."""
    channel, number = data.get("channel"), data.get("number")
    if (
        not isinstance(channel, str)
        or isinstance(number, bool)
        or not isinstance(number, str | int)
    ):
        return None
    return Order.objects.filter(channel__code=channel, number=str(number).strip()).first()


def _items_matched(order: Order, items) -> list:
    """Give incoming items the ids of existing items with the same sku, so they are kept."""
    if not isinstance(items, list):
        return items
    free: dict[str, list[int]] = {}
    for pk, sku in OrderItem.objects.filter(order=order).order_by("id").values_list("pk", "sku"):
        free.setdefault(sku, []).append(pk)
    matched = []
    for item in items:
        sku = item.get("sku") if isinstance(item, dict) else None
        ids = free.get(sku.strip(), []) if isinstance(sku, str) else []
        matched.append({**item, "id": ids.pop(0)} if ids and "id" not in item else item)
    return matched


@transaction.atomic
def order_import_one(data) -> bool:
    """Upsert one order (and its customer) by (channel, number); return True when created."""
    _row_check(data)
    order = _order_existing(data)
    if order is not None and "items" in data:
        data = {**data, "items": _items_matched(order, data["items"])}
    order_write(data=data, order=order)
    return order is None


def orders_import(
    rows: Iterable[tuple[int, object, dict]],
    *,
    dry_run: bool = False,
    on_error: Callable[[RowError], None] | None = None,
    on_row: Callable[[OrderImportResult], None] | None = None,
) -> OrderImportResult:
    """Create or update orders by (channel, number) from (line, object, parse_errors) rows.

    Bad rows are skipped and reported (to `on_error`, else in result.errors); each good row
    commits on its own. A dry run runs everything in one transaction and rolls it back. Many
    rows written refresh the planner's statistics of the tables (config.statistics).
    """
    started, result = time.monotonic(), OrderImportResult()
    if dry_run:
        with transaction.atomic():
            _rows_import(result, rows, on_error, on_row)
            transaction.set_rollback(True)
    else:
        _rows_import(result, rows, on_error, on_row)
        statistics_refresh(
            models=(Order, OrderItem, Customer, Address), rows=result.created + result.updated
        )
    result.seconds = time.monotonic() - started
    return result


def _rows_import(result, rows, on_error, on_row) -> None:
    with actor_use(actor_source(SOURCE_IMPORT)):
        _rows_each_import(result, rows, on_error, on_row)


def _rows_each_import(result, rows, on_error, on_row) -> None:
    for line, data, parse_errors in rows:
        _row_import(result, line, data, parse_errors, on_error)
        if on_row is not None:
            on_row(result)


def _row_import(result, line, data, parse_errors, on_error) -> None:
    try:
        if parse_errors:
            raise ValidationError(parse_errors)
        created = order_import_one(data)
    except ValidationError as error:
        messages = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        _row_reject(result, line, messages, on_error)
        return
    except (IntegrityError, DataError) as error:
        # A value or constraint the checks could not foresee: this row's savepoint is undone
        # and the import goes on, as the customer import does.
        _row_reject(
            result, line, {"": [ROW_NOT_WRITTEN.format(error=str(error).strip())]}, on_error
        )
        return
    if created:
        result.created += 1
    else:
        result.updated += 1


def _row_reject(result, line, messages: dict[str, list[str]], on_error) -> None:
    result.rejected += 1
    for name, field_messages in messages.items():
        for message in field_messages:
            (on_error or result.errors.append)(RowError(line, name, message))


def order_csv_rows_read(stream: IO[str]) -> Iterator[tuple[int, dict, dict]]:
    """Yield CSV order rows: `customer.*`, `shipping_address.*`, `billing_address.*` columns
    build those objects, `items` holds a JSON list; blank cells are not sent."""
    reader = csv.reader(stream)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise ImportFileError(EMPTY_FILE) from None
    for line, record in csv_records(reader):
        if len(record) != len(header):
            yield line, {}, {"": [FIELD_COUNT.format(expected=len(header), found=len(record))]}
            continue
        yield line, *_order_record(header, record)


def _order_record(header: list[str], record: list[str]) -> tuple[dict, dict]:
    data: dict = {}
    errors: dict[str, list[str]] = {}
    for name, value in zip(header, record, strict=True):
        if value == "":
            continue
        outer, _, inner = name.partition(".")
        if inner and outer in NESTED_COLUMNS:
            data.setdefault(outer, {})[inner] = value
        elif name in ("items", "customer"):
            try:
                data[name] = json_loads(value)
            except ValueError as error:
                errors[name] = [JSON_CELL.format(error=error)]
        else:
            data[name] = value
    return data, errors


def order_rows_read(stream: IO[str], fmt: str) -> Iterator[tuple[int, object, dict]]:
    """Yield the order file's rows in the given format."""
    readers = {"csv": order_csv_rows_read, "json": json_rows_read, "ndjson": ndjson_rows_read}
    return readers[fmt](stream)
