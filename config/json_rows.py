"""A serializer's representation written by PostgreSQL: each row's JSON text in its statement.

A list page then needs no Python per field: the database writes each row's object as text,
and the view joins the rows into the answer. The SQL is written from the serializer's own
fields (their classes and sources), each field class's formatting rule in one place below
(`_value_rule`), and only where the rule gives exactly the bytes DRF and FastJSONRenderer
give; anything else (a field class without a rule, a datetime in a zone other than UTC, a
custom decoder) makes `row_plan` answer None and the caller use the serializer as before.

What PostgreSQL writes, and why it equals DRF's output:
- text: to_json escapes `"`, `\\`, and controls below U+0020 as orjson and json.dumps do
  (\\b \\f \\n \\r \\t, else \\u00xx in lower case); U+2028/U+2029 are escaped in the whole
  body by FastJSONRenderer, as for every answer.
- integers, booleans, dates: to_json (dates as YYYY-MM-DD, like date.isoformat()).
- decimals: DRF's strings, the column's text when its scale is the field's decimal places.
- datetimes: datetime.isoformat() in UTC with DRF's "Z", microseconds only when not zero.
- JSON columns: PostgreSQL's jsonb text has spaces after ":" and ","; those columns are read
  as text, parsed by json.loads as Django's JSONField does (orjson.loads would turn integers
  beyond 64 bits into floats) and written by orjson, as the serializer's path does.
"""

import datetime
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.relations import SlugRelatedField
from rest_framework.settings import api_settings

# Python's str.strip() removes these characters (str.isspace()); btrim() is told the same.
# Listed rather than found by testing every code point at import (0.1 s per process start);
# tests/perf/test_fast_path_bytes.py checks the list against str.isspace() of this Python.
PYTHON_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def quoted(name: str) -> str:
    """A PostgreSQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def column_sql(model, name: str, alias: str) -> str:
    """SQL of the column of `model`'s field `name` in the table aliased `alias`."""
    return f"{alias}.{quoted(model._meta.get_field(name).column)}"


def json_list_sql(rows: str) -> str:
    """SQL of the JSON text of a list: the items `j` (JSON text) of `rows`, a sorted subquery,
    in its order. Nothing between the subquery and the aggregate reorders its rows, which is
    PostgreSQL's documented condition for that order to hold; an `ORDER BY` inside the
    aggregate would sort again, once per call."""
    return f"(SELECT '[' || COALESCE(string_agg(a.j, ','), '') || ']' FROM ({rows}) a)"


def literal(text: str) -> str:
    """A PostgreSQL string literal (standard_conforming_strings: only quotes double)."""
    if "%" in text or "\x00" in text:  # never in names; '%' would read as a placeholder
        raise ValueError(f"Cannot write {text!r} as a literal here.")
    return "'" + text.replace("'", "''") + "'"


def python_strip_sql(expression: str) -> str:
    """SQL for Python's `text.strip()` of a text expression."""
    return f"btrim({expression}, {literal(PYTHON_WHITESPACE)})"


@dataclass(frozen=True)
class JsonColumn:
    """A JSON value of the row: read as text, written compactly by orjson.

    `fill(values, context)`, when given, completes the page's values of this column (a list,
    one parsed value per row, changed in place) before they are written: for what one query
    per page answers better than a subquery per row (rows_json)."""

    sql: str
    fill: Callable[[list, dict], None] | None = None


def _text_rule(expression: str) -> str:
    return f"to_json(({expression})::text)::text"


def _plain_rule(expression: str) -> str:
    return f"to_json({expression})::text"


def _utc_datetime_rule(expression: str) -> str:
    utc = f"(({expression}) AT TIME ZONE 'UTC')"
    return (
        f"""('"' || to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS')"""
        f" || COALESCE(NULLIF(to_char({utc}, '.US'), '.000000'), '') || 'Z\"')"
    )


def _overrides(field, base: type) -> bool:
    return type(field).to_representation is not base.to_representation


def _iso(field, setting: str) -> bool:
    output_format = getattr(field, "format", getattr(api_settings, setting))
    return isinstance(output_format, str) and output_format.lower() == ISO_8601


def _is_utc(zone) -> bool:
    if zone is datetime.UTC:
        return True
    return getattr(zone, "key", None) == "UTC" or str(zone) == "UTC"


def _value_rule(field, model_field=None):
    """The SQL rule writing `field`'s representation of a value as JSON text, or None."""
    kind = type(field)
    if kind is serializers.ChoiceField:
        identity = all(type(key) is str for key in field.choice_strings_to_values.values())
        return _text_rule if identity else None
    if isinstance(field, serializers.CharField) and not _overrides(field, serializers.CharField):
        return _text_rule
    if kind is serializers.BooleanField:
        return _plain_rule
    if kind is serializers.BigIntegerField:
        coerced = getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
        return None if coerced else _plain_rule
    if kind is serializers.IntegerField:
        return _plain_rule
    if kind is serializers.DecimalField:
        coerced = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        same_scale = getattr(model_field, "decimal_places", None) == field.decimal_places
        if coerced and same_scale and not field.localize and not field.normalize_output:
            return _text_rule
        return None
    if kind is serializers.DateField:
        return _plain_rule if _iso(field, "DATE_FORMAT") else None
    if kind is serializers.DateTimeField:
        zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
        return _utc_datetime_rule if _iso(field, "DATETIME_FORMAT") and _is_utc(zone) else None
    return None


def value_sql(field, expression: str, model_field=None) -> str | None:
    """SQL writing the field's representation of `expression` as JSON text (NULL as null),
    or None when no rule gives exactly DRF's bytes."""
    rule = _value_rule(field, model_field)
    if rule is None:
        return None
    return f"COALESCE({rule(expression)}, 'null')"


def _column_sql(field, model, table: str):
    """SQL for a field that reads one column of `model` (or a slug across a foreign key)."""
    if len(field.source_attrs) != 1:
        return None
    source = field.source_attrs[0]
    try:
        model_field = model._meta.get_field(source)
    except FieldDoesNotExist:  # a property or a method: not a column
        return None
    if not model_field.concrete:
        return None
    column = f"{table}.{quoted(model_field.column)}"
    if isinstance(field, SlugRelatedField):
        return _slug_sql(field, model_field, column) if model_field.is_relation else None
    if model_field.is_relation:
        if source == model_field.attname != model_field.name:  # a foreign key's id
            return value_sql(field, column, model_field.target_field)
        return None
    if type(field) is serializers.JSONField:
        return _json_column(field, model_field, column)
    return value_sql(field, column, model_field)


def _slug_sql(field, model_field, column: str) -> str | None:
    """A SlugRelatedField: the related row's slug, as the field writes it (its text)."""
    target = model_field.related_model
    slug = target._meta.get_field(field.slug_field)
    if slug.get_internal_type() not in ("CharField", "SlugField", "TextField"):
        return None
    value = (
        f"(SELECT s.{quoted(slug.column)} FROM {quoted(target._meta.db_table)} s"
        f" WHERE s.{quoted(model_field.target_field.column)} = {column})"
    )
    return f"COALESCE({_text_rule(value)}, 'null')"


def _json_column(field, model_field, column: str) -> JsonColumn | None:
    decoder = getattr(model_field, "decoder", None)
    if field.binary or decoder is not None or _overrides(field, serializers.JSONField):
        return None
    return JsonColumn(f"({column})::text")


def field_key_sql(name: str, *, first: bool) -> str:
    """SQL of a field's key in an object's JSON text: `"name":`, after a comma unless first."""
    return literal(("" if first else ",") + orjson.dumps(name).decode() + ":")


def row_parts(serializer, table: str, model=None) -> list | None:
    """The serializer's representation of a row of `table` as SQL parts: text expressions
    with JsonColumns between them (joined, they are the object's JSON text), or None.

    A field is written by the serializer's method `json_sql_<name>(table)` (SQL of its JSON
    text, or None), or from its `json_sql_sources` ({name: function(table) → SQL of the value
    the field's rule formats}), else from its one column of the serializer's model. A method
    `json_sql_run_<name>(table, following)` may write the field together with some of the
    field names that follow it (`following`, in order): it answers (SQL of the field's JSON
    text followed by `,"name":value` for each field it took, the names it took from the
    start of `following`), or None to leave them to the rules above; fields that share their
    work (several views of one set of rows) are then written from one subquery. `model` is
    the table's model, for a serializer without Meta.model.
    """
    model = model or serializer.Meta.model
    sources = getattr(serializer, "json_sql_sources", {})
    fields = list(serializer._readable_fields)
    parts, text = [], ["'{'"]
    index = 0
    while index < len(fields):
        field = fields[index]
        name = field.field_name
        text.append(field_key_sql(name, first=not index))
        taken = ()
        run = getattr(serializer, f"json_sql_run_{name}", None)
        written = None
        if run is not None:
            written = run(table, [later.field_name for later in fields[index + 1 :]])
        declared = getattr(serializer, f"json_sql_{name}", None)
        if written is not None:
            sql, taken = written
        elif declared is not None:
            sql = declared(table)
        elif name in sources:
            sql = value_sql(field, sources[name](table))
        else:
            sql = _column_sql(field, model, table)
        if sql is None:
            return None
        if isinstance(sql, JsonColumn):
            parts += [" || ".join(text), sql]
            text = []
        else:
            text.append(sql)
        index += 1 + len(taken)
    text.append("'}'")
    parts.append(" || ".join(text))
    return parts


# row_parts by what decides a serializer's fields (its class and the fields asked for, as
# the caller keys it), table and active time zone: the same fields give the same SQL.
# Bounded, since `fields=` subsets come from clients.
_ROW_PARTS: dict = {}
_ROW_PARTS_KEPT = 256


def cached_row_parts(fields_key, build_serializer, table: str) -> list | None:
    """row_parts, written once per fields_key, table and time zone. The serializer is built
    (`build_serializer()`) only the first time: building one copies its fields, which cost
    more than the rest of a page written by the database. An error building it (a `fields=`
    error) propagates and keeps nothing."""
    key = (fields_key, table, timezone.get_current_timezone_name())
    try:
        return _ROW_PARTS[key]
    except KeyError:
        pass
    parts = row_parts(build_serializer(), table)
    if len(_ROW_PARTS) >= _ROW_PARTS_KEPT:
        _ROW_PARTS.clear()
    _ROW_PARTS[key] = parts
    return parts


def object_sql(serializer, table: str, model=None) -> str | None:
    """row_parts as one text expression, for a nested serializer without JSON columns."""
    parts = row_parts(serializer, table, model)
    if parts is None or len(parts) != 1:
        return None
    return parts[0]


def reparsed_object_sql(serializer, table: str, model=None) -> str | None:
    """row_parts as one text expression, JSON columns written by PostgreSQL as they are: for
    a value read back whole as a JsonColumn (parsed, then written by orjson), where the
    columns' text need only be valid JSON."""
    parts = row_parts(serializer, table, model)
    if parts is None:
        return None
    return " || ".join(
        f"COALESCE({part.sql}, 'null')" if isinstance(part, JsonColumn) else part for part in parts
    )


class JsonValueNotExact(Exception):
    """A JSON column's value that orjson does not write as the serializer's path would."""


# A run of digits that may be an integer past 64 bits: orjson would read it as a float.
_LONG_DIGITS = re.compile(r"\d{19}")


def _json_value(text: str):
    """A JSON column's value as the serializer's path reads it (Python's json, as psycopg
    does), read by orjson where the two agree: everything but integers past 64 bits (orjson
    reads them as floats; any run of 19 digits is left to json) and what orjson refuses
    (lone surrogates, NaN, 1e400), 1 µs less per value."""
    if _LONG_DIGITS.search(text) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def floats_written_unlike_python(body: bytes) -> bool:
    """Whether orjson may have written a float otherwise than Python's json (DRF's renderer):
    orjson writes 1e-05 as 0.00001 and 1.5e-07 as 1.5e-7. Such a body has a digit, `e`, a
    sign and a digit, or a number starting 0.0000; anything else is written alike (400,000
    random floats). Strings holding those characters answer True too: DRF then writes the
    body, as it would anyway. bytes.find, as a regular expression was 20x slower; still, each
    find of a pattern the body lacks reads it all (~0.13 ms per 114 KB page here), so pages
    written by the database check their JSON values one by one instead (_dumped)."""
    for marker in (b"e-", b"e+"):
        at = body.find(marker)
        while at != -1:
            if body[at - 1 : at].isdigit() and body[at + 2 : at + 3].isdigit():
                return True
            at = body.find(marker, at + 2)
    at = body.find(b"0.0000")
    while at != -1:
        before = body[at - 1 : at]
        if not (before.isdigit() or before == b".") and body[at + 6 : at + 7].isdigit():
            return True
        at = body.find(b"0.0000", at + 6)
    return False


def _dumped(value) -> bytes:
    """A JSON column's value as orjson writes it, which must be the serializer's path's bytes:
    JsonValueNotExact for a value orjson refuses or a float it writes its own way (checked
    here, on the value alone, rather than by the renderer over the whole page)."""
    try:
        written = orjson.dumps(value)
    except (ValueError, TypeError) as error:  # orjson.JSONEncodeError is a TypeError
        raise JsonValueNotExact from error
    if floats_written_unlike_python(written):
        raise JsonValueNotExact
    return written


def row_json(row, start: int = 1, given: dict | None = None) -> bytes:
    """One row's object from its parts (text, JSON text, text, …) from index `start` on;
    `given` holds values of JSON columns already parsed, by the parts' index."""
    out = []
    for index in range(start, len(row)):
        value = row[index]
        if (index - start) % 2 == 0:
            out.append(value.encode())
        elif given is not None and index in given:
            out.append(_dumped(given[index]))
        elif value is None:
            out.append(b"null")
        else:
            out.append(_dumped(_json_value(value)))
    return b"".join(out)


def json_column_fills(parts: list) -> dict[int, Callable]:
    """{index of the JSON column among the row's parts: its fill} (JsonColumn.fill)."""
    return {
        2 * ordinal + 1: column.fill
        for ordinal, column in enumerate(part for part in parts if isinstance(part, JsonColumn))
        if column.fill is not None
    }


def rows_json(rows: list, *, start: int, fills: dict[int, Callable], context: dict) -> list[bytes]:
    """Each row's object (row_json), the JSON columns with a fill (json_column_fills, keyed
    from `start`) parsed for the whole page first and completed by it."""
    if not fills:
        return [row_json(row, start=start) for row in rows]
    given = [{} for _ in rows]
    for index, fill in fills.items():
        column = start + index
        values = [None if row[column] is None else _json_value(row[column]) for row in rows]
        fill(values, context)
        for kept, value in zip(given, values, strict=True):
            kept[column] = value
    return [row_json(row, start=start, given=kept) for row, kept in zip(rows, given, strict=True)]
