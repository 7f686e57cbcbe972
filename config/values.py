"""What Patron can store and read back: the value rules every entry point applies.

A value that one of the databases refuses (NUL in text or jsonb, NaN in jsonb), that the
drivers cannot encode (a lone UTF-16 surrogate such as the JSON escape "\\ud800" is not
UTF-8), or that is stored but cannot be read back (a date-time whose UTC value falls in year
0 or 10000: Python's datetime stops at years 1 and 9999, and PostgreSQL returns it anyway)
would otherwise surface as a 500 on the write or, worse, on every later read of the object.
The API's parser, the customers' and orders' validators and the admin's JSON fields all
check with these functions, so the rule has one home.

Each check raises ValueError with a message that names the problem and never quotes the
value (a message quoting a lone surrogate could not be rendered either).
"""

import datetime
import math

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

# Date-times (as UTC) and dates must fall within these years: one year inside Python's range
# on each side, so that any UTC offset and a shift to the end of a day stay representable.
FIRST_YEAR, LAST_YEAR = 2, 9998
MAX_JSON_DEPTH = 32
# The largest 64-bit signed integer: the largest value of a bigint column (ids among them).
INT64_MAX = 2**63 - 1

NUL_CHARACTER = _("Null characters are not allowed.")
LONE_SURROGATE = _("Lone surrogate characters (U+D800 to U+DFFF) are not allowed.")
NOT_FINITE = _("Enter a finite number: NaN and infinite values cannot be stored.")
JSON_TOO_DEEP = format_lazy(_("JSON nested too deeply: at most {max} levels."), max=MAX_JSON_DEPTH)
DATE_OUT_OF_RANGE = format_lazy(
    _("Ensure this date is between year {first} and year {last}."),
    first=FIRST_YEAR,
    last=LAST_YEAR,
)
DATETIME_OUT_OF_RANGE = format_lazy(
    _("Ensure this date and time is between year {first} and year {last} (in UTC)."),
    first=FIRST_YEAR,
    last=LAST_YEAR,
)


def text_problem(text: str) -> str | None:
    """The reason `text` cannot be stored (NUL, lone surrogate), or None."""
    if "\x00" in text:
        return NUL_CHARACTER
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return LONE_SURROGATE
    return None


def text_check(text: str) -> str:
    """Return `text` if it can be stored, else raise ValueError saying why."""
    problem = text_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text


def text_printable(text: str) -> str:
    """`text` with lone surrogates escaped (\\ud800), for a message that quotes a value."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def number_check(number: float) -> float:
    """Return `number` if it is finite, else raise ValueError (JSON's 1e309 parses as inf)."""
    if not math.isfinite(number):
        raise ValueError(NOT_FINITE)
    return number


def _path(parts: tuple) -> str:
    return ".".join(text_printable(str(part)) for part in parts)


def _scalar_problem(item) -> str | None:
    if isinstance(item, str):
        return text_problem(item)
    if isinstance(item, float) and not math.isfinite(item):
        return NOT_FINITE
    return None


def json_problem(value, *, max_depth: int = MAX_JSON_DEPTH) -> tuple[str, str] | None:
    """The first problem of a parsed JSON value as (path, message), or None.

    Checks every key and string (NUL, lone surrogates), every float (finite) and the nesting
    (at most `max_depth` levels of arrays and objects). Iterative, so a hostile document
    cannot exhaust the stack here. `path` is dotted ("a.0.b"), "" for the value itself.
    """
    pending = [(value, (), 1)]
    while pending:
        item, parts, depth = pending.pop()
        problem = _scalar_problem(item)
        if problem is not None:
            return _path(parts), problem
        if isinstance(item, dict | list):
            if depth > max_depth:
                return _path(parts), JSON_TOO_DEEP
            if isinstance(item, list):
                pending.extend((child, (*parts, i), depth + 1) for i, child in enumerate(item))
                continue
            for key, child in item.items():
                problem = text_problem(key) if isinstance(key, str) else None
                if problem is not None:
                    return _path((*parts, key)), problem
                pending.append((child, (*parts, key), depth + 1))
    return None


def _children_plain(children, depth: int, pending: list) -> bool:
    for child in children:
        kind = child.__class__
        if kind is str:
            if not child.isascii() or "\x00" in child:
                return False
        elif kind is dict or kind is list:
            pending.append((child, depth + 1))
        elif kind is float:
            if not math.isfinite(child):
                return False
        elif kind is not int and kind is not bool and child is not None:
            return False
    return True


def _json_plain(value, max_depth: int) -> bool:
    """True when the value surely has no problem: ASCII text without NUL, finite numbers,
    nesting within `max_depth`. A quick pass that builds no paths (what an import row's
    attributes cost); json_problem finds the path of whatever it is unsure of."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > max_depth:
            return False
        if item.__class__ is dict:
            # A loop, not all(<generator>): a row's few keys cost less than making a generator.
            for key in item:
                if key.__class__ is not str or not key.isascii() or "\x00" in key:
                    return False
            item = item.values()
        if not _children_plain(item, depth, pending):
            return False
    return True


def json_check(value, *, max_depth: int = MAX_JSON_DEPTH):
    """Return the parsed JSON value if it can be stored, else raise ValueError: the message
    names the path inside the value ("Null characters are not allowed (at a.0.b).")."""
    if value.__class__ in (dict, list) and _json_plain(value, max_depth):
        return value
    found = json_problem(value, max_depth=max_depth)
    if found is None:
        return value
    path, message = found
    if not path or message == JSON_TOO_DEEP:
        raise ValueError(message)
    raise ValueError(f"{message[:-1]} (at {path}).")


def datetime_check(value: datetime.datetime) -> datetime.datetime:
    """Return an aware date-time whose UTC value lies within FIRST_YEAR..LAST_YEAR, else
    raise ValueError. (9999-12-31T23:59:59-14:00 is year 10000 in UTC; PostgreSQL stores it
    and Python cannot read it back.)"""
    try:
        year = value.astimezone(datetime.UTC).year if value.tzinfo is not None else value.year
    except OverflowError:
        raise ValueError(DATETIME_OUT_OF_RANGE) from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(DATETIME_OUT_OF_RANGE)
    return value


def date_check(value: datetime.date) -> datetime.date:
    """Return a date within FIRST_YEAR..LAST_YEAR, else raise ValueError."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(DATE_OUT_OF_RANGE)
    return value
