"""Order files into (line, object, parse_errors) rows: JSON, NDJSON, or CSV with nested columns."""

import csv
from collections.abc import Iterator
from typing import IO

from django.utils.translation import gettext_lazy as _

from customers.imports.readers import (
    EMPTY_FILE,
    FIELD_COUNT,
    ImportFileError,
    csv_records,
    json_rows_read,
    ndjson_rows_read,
)
from customers.imports.rows import json_loads

JSON_CELL = _("Enter valid JSON: {error}.")
NESTED_COLUMNS = ("customer", "shipping_address", "billing_address")


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
