"""Stream import files as (line, object, parse_errors): CSV, a JSON array, or NDJSON.

Every reader holds one row (or one JSON chunk) in memory at a time. `line` is the physical
line where the row starts (the CSV header is line 1).
"""

import csv
from collections.abc import Iterable, Iterator
from typing import IO

from django.utils.translation import gettext_lazy as _

from config.values import JSON_TOO_DEEP
from customers.imports.rows import (
    ADDRESS_FIELDS,
    BLANK_CHOICE_FIELDS,
    CUSTOMER_FIELDS,
    IGNORED_FIELDS,
    IMPORT_FIELDS,
    JSON_DECODER,
    JSON_FIELDS,
    NULLABLE_FIELDS,
    STAMP_FIELDS,
    TEXT_FIELDS,
    json_loads,
    json_text_parse,
)

FORMATS = ("csv", "json", "ndjson")
UNKNOWN_COLUMNS = _("Unknown column(s): {columns}.")
EMPTY_FILE = _("The file is empty: a CSV needs a header line.")
NOT_AN_ARRAY = _("A JSON import must be an array of objects: {problem} at line {line}.")
INVALID_JSON_LINE = _("Invalid JSON: {error}.")
FIELD_COUNT = _("Expected {expected} values, found {found}.")
CSV_BROKEN = _("The CSV cannot be read from line {line}: {error}.")
# A JSON item that does not decode within this many characters is reported as broken, instead
# of reading the rest of the file into memory looking for its end.
MAX_ITEM_CHARS = 16 * 1024 * 1024

Row = tuple[int, object, dict[str, list[str]]]
# The columns an error report adds to the rejected rows (customers.imports.reports): a file
# carrying both is a fixed report, and they are skipped so it re-imports as it is.
REPORT_COLUMNS = ("line", "errors")

ADDRESS_COLUMNS = tuple(f"address.{name}" for name in ADDRESS_FIELDS)
# Blank CSV cells of these columns mean "not given"; of username/date_of_birth, null.
# (Choices, booleans, numbers, dates: the columns where blank is not a value; a choice that
# may be blank, like a customer's language, takes a blank cell as blank.)
_BLANK_MEANS_ABSENT = frozenset(
    {"channel", "name", "password"}
    | (
        set(CUSTOMER_FIELDS)
        - {"email", *TEXT_FIELDS, *BLANK_CHOICE_FIELDS, *JSON_FIELDS, *NULLABLE_FIELDS}
    )
)
_BLANK_MEANS_NULL = frozenset(NULLABLE_FIELDS)
_CHUNK = 1 << 16


class ImportFileError(Exception):
    """The file cannot be read as the format: nothing more can be imported from it."""


def format_infer(path: str) -> str | None:
    """Return the format named by the file's extension, or None."""
    suffix = path.lower().rsplit(".", 1)[-1]
    return {"csv": "csv", "json": "json", "ndjson": "ndjson", "jsonl": "ndjson"}.get(suffix)


def rows_read(stream: IO[str], fmt: str) -> Iterator[Row]:
    """Yield the file's rows in the given format."""
    readers = {"csv": csv_rows_read, "json": json_rows_read, "ndjson": ndjson_rows_read}
    return readers[fmt](stream)


def rows_count(stream: IO[str], fmt: str) -> int | None:
    """Count the file's rows cheaply (for a progress bar), or None for a JSON array or a
    file that does not parse (the import itself reports why)."""
    try:
        if fmt == "csv":
            # Every non-blank record but the header.
            return max(sum(1 for _ in csv_records(csv.reader(stream))) - 1, 0)
        if fmt == "ndjson":
            return sum(1 for line in stream if line.strip())
    except (ImportFileError, UnicodeDecodeError, ValueError):
        return None
    return None


def csv_header_check(header: list[str], known: Iterable[str]) -> None:
    """Raise ImportFileError naming the columns nobody understands."""
    unknown = [name for name in header if name not in set(known)]
    if unknown:
        raise ImportFileError(UNKNOWN_COLUMNS.format(columns=", ".join(unknown)))


def csv_rows_read(stream: IO[str]) -> Iterator[Row]:
    """Yield CSV records as API objects (groups `a|b`, JSON cells, `address.*` columns)."""
    reader = csv.reader(stream)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise ImportFileError(EMPTY_FILE) from None
    known = IMPORT_FIELDS | IGNORED_FIELDS | set(ADDRESS_COLUMNS)
    if set(REPORT_COLUMNS) <= set(header):
        known |= set(REPORT_COLUMNS)
    csv_header_check(header, known)
    to_object = _CsvColumns(header).to_object
    for line, record in csv_records(reader):
        if len(record) != len(header):
            found = len(record)
            yield line, {}, {"": [FIELD_COUNT.format(expected=len(header), found=found)]}
            continue
        yield line, *to_object(record)


def csv_records(reader) -> Iterator[tuple[int, list[str]]]:
    """Yield (first physical line, values) for each non-blank record after the header."""
    previous_end = reader.line_num
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportFileError(CSV_BROKEN.format(line=previous_end + 1, error=error)) from None
        line, previous_end = previous_end + 1, reader.line_num
        if record:
            yield line, record


class _CsvColumns:
    """The header's columns sorted by how a cell becomes an API value, worked out once per
    file instead of once per cell."""

    def __init__(self, header: list[str]):
        self.plain, self.absent_if_blank, self.null_if_blank = [], [], []
        self.address, self.json, self.groups = [], [], []
        for index, name in enumerate(header):
            if name.startswith("address."):
                self.address.append((index, name.removeprefix("address.")))
            elif name in STAMP_FIELDS:
                # Read-only, but kept: an import may check them (imports.newer_edits).
                self.absent_if_blank.append((index, name))
            elif name in IGNORED_FIELDS or name in REPORT_COLUMNS:
                continue
            elif name == "groups":
                self.groups.append(index)
            elif name in JSON_FIELDS:
                self.json.append((index, name))
            elif name in _BLANK_MEANS_ABSENT:
                self.absent_if_blank.append((index, name))
            elif name in _BLANK_MEANS_NULL:
                self.null_if_blank.append((index, name))
            else:
                self.plain.append((index, name))

    def to_object(self, record: list[str]) -> tuple[dict, dict]:
        data = {name: record[index] for index, name in self.plain}
        for index, name in self.absent_if_blank:
            if record[index] != "":
                data[name] = record[index]
        for index, name in self.null_if_blank:
            data[name] = record[index] if record[index] != "" else None
        for index in self.groups:
            data["groups"] = [code for code in record[index].split("|") if code.strip()]
        errors: dict[str, list[str]] = {}
        for index, name in self.json:
            try:
                data[name] = json_text_parse(record[index])
            except ValueError as error:
                errors[name] = [str(error)]
        address = {name: record[index] for index, name in self.address if record[index] != ""}
        if address:
            data["address"] = address
        return data, errors


def ndjson_rows_read(stream: IO[str]) -> Iterator[Row]:
    """Yield one JSON object a line; blank lines are skipped, bad lines are reported."""
    for line, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            yield line, report_columns_drop(json_loads(text)), {}
        except RecursionError:
            yield line, {}, {"": [str(JSON_TOO_DEEP)]}
        except ValueError as error:
            yield line, {}, {"": [INVALID_JSON_LINE.format(error=error)]}


class _JsonArrayStream:
    """Decode the items of a top-level JSON array chunk by chunk, tracking line numbers."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.buffer = ""
        self.pos = 0
        self.line = 1
        self.eof = False
        self.decoder = JSON_DECODER

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buffer = self.buffer[self.pos :] + chunk
        self.pos = 0
        return True

    def _skip_space(self) -> str:
        """Move past whitespace; return the next character ("" at the end of the file)."""
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in " \t\r\n":
                if self.buffer[self.pos] == "\n":
                    self.line += 1
                self.pos += 1
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._fill():
                return ""

    def _fail(self, problem: str):
        raise ImportFileError(NOT_AN_ARRAY.format(problem=problem, line=self.line))

    def _decode(self):
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.pos)
            except RecursionError:
                return self._skip_item()
            except ValueError as error:
                if len(self.buffer) - self.pos < MAX_ITEM_CHARS and self._fill():
                    continue
                self._fail(f"invalid JSON ({error.args[0].split(':')[0]})")
            # A number cut at the end of a chunk decodes too early: read on to be sure.
            if end < len(self.buffer) or not self._fill():
                break
        start = self.line
        self.line += self.buffer.count("\n", self.pos, end)
        self.pos = end
        return start, value, {}

    def _skip_item(self):
        """Move past an item too deeply nested to decode (counting its brackets, strings
        aside); return it as a rejected row."""
        start, depth, in_string, escaped = self.line, 0, False, False
        while True:
            if self.pos >= len(self.buffer) and not self._fill():
                self._fail("unexpected end of file")
            char = self.buffer[self.pos]
            self.pos += 1
            if char == "\n":
                self.line += 1
            if escaped:
                escaped = False
            elif in_string:
                escaped = char == "\\"
                in_string = char != '"'
            elif char == '"':
                in_string = True
            elif char in "[{":
                depth += 1
            elif char in "]}":
                depth -= 1
                if depth == 0:
                    return start, {}, {"": [str(JSON_TOO_DEEP)]}

    def __iter__(self) -> Iterator[Row]:
        if self._skip_space() != "[":
            self._fail("no opening '['")
        self.pos += 1
        if self._skip_space() == "]":
            return
        while True:
            if self._skip_space() == "":
                self._fail("unexpected end of file")
            yield self._decode()
            following = self._skip_space()
            self.pos += 1
            if following == "]":
                return
            if following != ",":
                self._fail("expected ',' or ']'")


def json_rows_read(stream: IO[str]) -> Iterator[Row]:
    """Yield the items of a top-level JSON array, streamed (the file is never fully loaded)."""
    for line, value, errors in _JsonArrayStream(stream):
        yield line, report_columns_drop(value), errors


def report_columns_drop(value):
    """An object of a fixed error report without the report's own `line` and `errors`."""
    if isinstance(value, dict) and all(name in value for name in REPORT_COLUMNS):
        return {name: item for name, item in value.items() if name not in REPORT_COLUMNS}
    return value
