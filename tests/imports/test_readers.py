import io
import json
import re

import pytest

from customers.imports import readers
from customers.imports.readers import ImportFileError, json_rows_read

ITEMS = [
    {"email": "a@example.com", "n": 12345678, "note": "brackets ] and , inside"},
    {"email": "b@example.com", "nested": {"list": [1, 2.5, None, True]}},
    123456789,
    {"email": "ç@example.com", "note": "line\nbreak"},
]


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 1 << 16])
def test_json_array_streams_items_across_chunk_boundaries(monkeypatch, chunk):
    # given: one item a line after the opening bracket
    monkeypatch.setattr(readers, "_CHUNK", chunk)
    text = "[\n" + ",\n".join(json.dumps(item) for item in ITEMS) + "\n]\n"

    # when
    rows = list(json_rows_read(io.StringIO(text)))

    # then
    assert [data for _, data, _ in rows] == ITEMS
    assert [line for line, _, _ in rows] == [2, 3, 4, 5]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param('{"a": 1}', "no opening '['", id="object"),
        pytest.param('[{"a": 1} {"b": 2}]', "expected ',' or ']'", id="missing-comma"),
        pytest.param('[{"a": 1},\n{"b": ', "invalid JSON", id="truncated"),
        pytest.param("[", "unexpected end of file", id="unclosed"),
    ],
)
def test_broken_json_array_is_an_unusable_file(text, problem):
    with pytest.raises(ImportFileError, match=re.escape(problem)):
        list(json_rows_read(io.StringIO(text)))


def test_empty_json_array_has_no_rows():
    assert list(json_rows_read(io.StringIO("  [ ]  "))) == []
