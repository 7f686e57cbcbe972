"""The API's JSON parser: size, depth, key-count and stored-value checks before any view sees
the data.

PostgreSQL refuses NUL (U+0000) in text and jsonb, a lone surrogate ("\\ud800") cannot be
encoded for either database (nor rendered in an answer that quotes it), 1e309 parses as an
infinite float, Python's json module recurses once per nesting level, and DRF reads JSON
bodies from the stream without Django's upload limit: each of those would otherwise surface
as a 500. The value rules are config.values'.
"""

import codecs
import json
import math

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, status
from rest_framework.utils.json import strict_constant

from config import values

MAX_DEPTH = values.MAX_JSON_DEPTH
MAX_KEYS = 1000
TOO_LARGE = _("Request body too large: the limit is {limit} bytes.")
TOO_DEEP = _("JSON nested too deeply: at most {max} levels.")
TOO_MANY_KEYS = _("JSON object with too many keys at {path}: at most {max}.")
NUL_CHARACTER = _("Null characters are not allowed (at {path}).")
LONE_SURROGATE = _("Lone surrogate characters (U+D800 to U+DFFF) are not allowed (at {path}).")
NOT_FINITE = _("Numbers must be finite (at {path}).")
_TEXT_MESSAGES = {values.NUL_CHARACTER: NUL_CHARACTER, values.LONE_SURROGATE: LONE_SURROGATE}
PARSE_ERROR = _("JSON parse error - {error}")


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def _path(parts: tuple) -> str:
    return ".".join(values.text_printable(str(part)) for part in parts) or "the top level"


def _check_text(text: str, parts: tuple) -> None:
    problem = values.text_problem(text)
    if problem is not None:
        raise exceptions.ParseError(_TEXT_MESSAGES[problem].format(path=_path(parts)))


def json_check(data) -> None:
    """Raise ParseError if the parsed JSON holds a value no database stores (NUL, a lone
    surrogate, a non-finite number), too deep a nesting or too many keys.

    Iterative, so a hostile document cannot exhaust the stack here either.
    """
    pending = [(data, (), 1)]
    while pending:
        value, parts, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value, parts)
            continue
        if isinstance(value, float) and not math.isfinite(value):
            raise exceptions.ParseError(NOT_FINITE.format(path=_path(parts)))
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise exceptions.ParseError(TOO_DEEP.format(max=MAX_DEPTH))
        if isinstance(value, list):
            pending.extend((item, (*parts, index), depth + 1) for index, item in enumerate(value))
            continue
        if len(value) > MAX_KEYS:
            raise exceptions.ParseError(TOO_MANY_KEYS.format(path=_path(parts), max=MAX_KEYS))
        for key, item in value.items():
            _check_text(key, (*parts, key))
            pending.append((item, (*parts, key), depth + 1))


def _read_limited(stream, limit: int | None) -> bytes:
    if limit is None:
        return stream.read()
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestTooLarge(TOO_LARGE.format(limit=limit))
    return body


def body_read(stream, parser_context) -> bytes:
    """Return a request body of at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes, else raise
    RequestTooLarge (413): a declared Content-Length over the limit is refused unread."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    request = parser_context.get("request")
    declared = request.META.get("CONTENT_LENGTH") if request is not None else None
    if limit is not None and str(declared or "").isdigit() and int(declared) > limit:
        raise RequestTooLarge(TOO_LARGE.format(limit=limit))
    return _read_limited(stream, limit)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a body size limit (413) and json_check (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        body = body_read(stream, parser_context)
        try:
            text = codecs.decode(body, parsers.get_encoding(parser_context))
            data = json.loads(text, parse_constant=strict_constant if self.strict else None)
        except RecursionError:
            raise exceptions.ParseError(TOO_DEEP.format(max=MAX_DEPTH)) from None
        except (ValueError, LookupError) as error:
            # LookupError: an unknown charset in the Content-Type.
            raise exceptions.ParseError(PARSE_ERROR.format(error=error)) from None
        json_check(data)
        return data
