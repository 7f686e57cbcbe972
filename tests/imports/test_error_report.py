"""The error report (`--errors`) is the contract's CSV of `line,field,message`: one row per
problem, whatever the imported format; `--rejected-rows` writes the rows themselves beside it."""

import csv
import io
import json

import pytest

from customers.imports.rows import INVALID_CHOICE
from customers.management.commands.import_customers import Command
from customers.models import Customer
from customers.validation import INVALID_EMAIL
from tests.imports.helpers import rejected_rows_errors, run

pytestmark = pytest.mark.django_db

CSV = (
    "channel,email,first_name,status,note\n"
    "web,good@example.com,Good,active,\n"
    'web,not-an-email,Bad,active,"two\nlines"\n'
    "web,sleepy@example.com,Sleepy,sleeping,\n"
)
BAD_STATUS = INVALID_CHOICE.format(value="sleeping")


def _rows(path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_csv_import_error_report_is_line_field_message(channel, write, tmp_path):
    report = tmp_path / "errors.csv"

    code, _, _ = run("import_customers", write("c.csv", CSV), errors=str(report))

    assert code == 1
    assert report.read_bytes().startswith(b"line,field,message\r\n")
    assert _rows(report) == [
        ["line", "field", "message"],
        ["3", "email", INVALID_EMAIL],
        ["5", "status", BAD_STATUS],
    ]
    assert list(Customer.objects.values_list("email", flat=True)) == ["good@example.com"]


def test_json_import_error_report_is_line_field_message(channel, write, tmp_path):
    # given: an indented array, so each item's line is the line of its opening brace
    items = [
        {"channel": "web", "email": "a@example.com"},
        {"channel": "web", "email": "nope", "status": "sleeping"},
        "not an object",
    ]
    report = tmp_path / "errors.csv"

    # when
    code, _, _ = run(
        "import_customers", write("c.json", json.dumps(items, indent=1)), errors=str(report)
    )

    # then: the whole row's problem has a blank field
    assert code == 1
    rows = _rows(report)
    assert rows[:3] == [
        ["line", "field", "message"],
        ["6", "email", INVALID_EMAIL],
        ["6", "status", BAD_STATUS],
    ]
    [(line, field, _)] = rows[3:]
    assert (line, field) == ("11", "")


def test_ndjson_import_error_report_names_a_broken_line_with_a_blank_field(
    channel, write, tmp_path
):
    text = '{"channel": "web", "email": "nope"}\n{broken\n{"channel": "web", "email": "a@b.co"}\n'
    report = tmp_path / "errors.csv"

    code, _, _ = run("import_customers", write("c.ndjson", text), errors=str(report))

    assert code == 1
    rows = _rows(report)
    assert rows[:2] == [["line", "field", "message"], ["1", "email", INVALID_EMAIL]]
    line, field, message = rows[2]
    assert (line, field) == ("2", "")
    assert message.startswith("Invalid JSON")


def test_both_reports_at_once_from_stdin(channel, tmp_path):
    errors, rejected = tmp_path / "errors.csv", tmp_path / "rejected.csv"

    code, _, err = run(
        "import_customers",
        "-",
        format="csv",
        stdin=io.BytesIO(CSV.encode()),
        errors=str(errors),
        rejected_rows=str(rejected),
    )

    assert code == 1
    assert _rows(errors)[1:] == [["3", "email", INVALID_EMAIL], ["5", "status", BAD_STATUS]]
    assert rejected_rows_errors(rejected) == [
        (3, "email", INVALID_EMAIL),
        (5, "status", BAD_STATUS),
    ]
    assert _rows(rejected)[0] == [
        "channel",
        "email",
        "first_name",
        "status",
        "note",
        "line",
        "errors",
    ]
    # with a report, the problems are not printed
    assert "line 3" not in err


def test_a_clean_import_writes_the_header_alone(channel, write, tmp_path):
    report = tmp_path / "errors.csv"

    code, _, _ = run(
        "import_customers", write("c.csv", CSV.split("web,not")[0]), errors=str(report)
    )

    assert code == 0
    assert report.read_bytes() == b"line,field,message\r\n"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("errors", "Cannot write the error report"),
        ("rejected_rows", "Cannot write the rejected rows report"),
    ],
    ids=["errors", "rejected-rows"],
)
def test_an_unwritable_report_stops_the_import_before_it_starts(
    channel, write, tmp_path, option, message
):
    code, _, err = run("import_customers", write("c.csv", CSV), **{option: str(tmp_path)})

    assert code == 2
    assert message in err
    assert not Customer.objects.exists()


def test_help_says_which_report_is_which():
    text = " ".join(Command().create_parser("manage.py", "import_customers").format_help().split())

    assert "--errors PATH Write the error report here: a CSV of line,field,message" in text
    assert "--rejected-rows PATH Write the rejected rows themselves here" in text
