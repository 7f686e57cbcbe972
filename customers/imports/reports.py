"""An import's two reports of its rejected rows.

The error report (`--errors`, the contract's format, shared with import_orders) is a CSV of
`line,field,message`: one row per problem, `field` blank for a problem of the whole row.

The rejected rows report (`--rejected-rows`, the admin's preview and import jobs) holds the
rejected rows themselves, to fix and re-import. For a CSV import it is a CSV with the file's
own header plus `line` and `errors`; for a JSON or NDJSON import, NDJSON: each rejected object
plus `line` and `errors` (an object of field -> messages). The readers skip a report's `line`
and `errors`, so the report, once its bad cells are fixed, is imported as it is.

The rows are written after the import, from a second read of the file: only the rejected
lines and their messages are kept meanwhile, never the rows.
"""

import csv
import json
from collections.abc import Callable, Iterator
from typing import IO

from customers.imports import RowError
from customers.imports.readers import (
    REPORT_COLUMNS,
    ImportFileError,
    csv_records,
    json_rows_read,
    report_columns_drop,
)
from customers.imports.rows import json_loads

# A row-level problem (not one field's) is reported under this name in the rows report.
ROW = "row"
ERROR_REPORT_COLUMNS = ("line", "field", "message")

OnError = Callable[[RowError], None]


def error_report_writer(out: IO[str]) -> OnError:
    """Write the error report's header to `out`; return an on_error writing each problem as
    one `line,field,message` row."""
    writer = csv.writer(out)
    writer.writerow(ERROR_REPORT_COLUMNS)
    return lambda error: writer.writerow([error.line, error.field, error.message])


def error_callbacks_join(*callbacks: OnError | None) -> OnError:
    """One on_error calling each of `callbacks` (None skipped) in turn."""
    given = [callback for callback in callbacks if callback is not None]

    def on_error(error: RowError) -> None:
        for callback in given:
            callback(error)

    return on_error


def rejected_rows_format(fmt: str) -> str:
    """The rows report's format for an import of this format: CSV for CSV, NDJSON otherwise."""
    return "csv" if fmt == "csv" else "ndjson"


class RejectedRows:
    """An import's on_error: collects the messages of each rejected line."""

    def __init__(self):
        self.by_line: dict[int, dict[str, list[str]]] = {}

    def __call__(self, error: RowError) -> None:
        fields = self.by_line.setdefault(error.line, {})
        fields.setdefault(error.field or ROW, []).append(error.message)


def errors_text(fields: dict[str, list[str]]) -> str:
    """A CSV report's `errors` cell: one `field: message` a line."""
    return "\n".join(
        f"{name}: {message}" for name, messages in fields.items() for message in messages
    )


def rejected_rows_write(source: IO[str], fmt: str, rejected: RejectedRows, out: IO[str]) -> int:
    """Write the rejected rows of `source` (the imported file, read again) to `out`; return
    how many."""
    if fmt == "csv":
        return _csv_report(source, rejected.by_line, out)
    return _json_report(source, fmt, rejected.by_line, out)


def _csv_report(source: IO[str], by_line: dict, out: IO[str]) -> int:
    reader = csv.reader(source)
    writer = csv.writer(out)
    header = [name.strip() for name in next(reader, [])]
    # A report of a report: its old line and errors columns give way to the new ones.
    kept = [index for index, name in enumerate(header) if name not in REPORT_COLUMNS]
    writer.writerow([*(header[index] for index in kept), *REPORT_COLUMNS])
    written = 0
    try:
        for line, record in csv_records(reader):
            if line in by_line:
                if len(record) == len(header):
                    record = [record[index] for index in kept]
                else:
                    # Misshapen: kept as it was, padded to the header's width.
                    record = record + [""] * (len(kept) - len(record))
                writer.writerow([*record, line, errors_text(by_line[line])])
                written += 1
    except ImportFileError:
        pass  # the import stopped there too: its message says why
    return written


def _json_items(source: IO[str], fmt: str) -> Iterator[tuple[int, object, str]]:
    """(line, object or None, the line's text) of a JSON array's items or NDJSON's lines."""
    if fmt == "ndjson":
        for line, text in enumerate(source, start=1):
            if text.strip():
                try:
                    yield line, json_loads(text), text
                except (ValueError, RecursionError):
                    yield line, None, text
        return
    try:
        for line, value, errors in json_rows_read(source):
            yield line, None if errors else value, ""
    except ImportFileError:
        return


def _json_report(source: IO[str], fmt: str, by_line: dict, out: IO[str]) -> int:
    written = 0
    for line, value, text in _json_items(source, fmt):
        if line not in by_line:
            continue
        item = report_columns_drop(value) if isinstance(value, dict) else {}
        if not isinstance(value, dict) and text.strip():
            # Not an object: its text, to fix by hand.
            item = {"text": text.rstrip("\r\n")}
        item = {**item, "line": line, "errors": by_line[line]}
        out.write(_json_line(item))
        written += 1
    return written


def _json_line(item: dict) -> str:
    """The item as one JSON line: readable UTF-8, or escaped when it holds what UTF-8 cannot
    encode (a lone surrogate sent as \\ud800), which then reads back the same."""
    text = json.dumps(item, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(item)
    return text + "\n"
