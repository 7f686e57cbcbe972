"""The rejected rows report (`--rejected-rows`) carries the rejected rows themselves: fixed,
it imports as it is."""

import csv
import json

import pytest

from customers.imports.rows import INVALID_CHOICE
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
NDJSON = (
    '{"channel": "web", "email": "good@example.com"}\n'
    '{"channel": "web", "email": "not-an-email", "first_name": "Bad"}\n'
    "{broken\n"
)


def test_csv_report_holds_the_rows_with_their_line_and_errors(channel, write, tmp_path):
    report = tmp_path / "rejected.csv"

    code, _, _ = run("import_customers", write("c.csv", CSV), rejected_rows=str(report))

    assert code == 1
    with report.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["channel", "email", "first_name", "status", "note", "line", "errors"],
        ["web", "not-an-email", "Bad", "active", "two\nlines", "3", f"email: {INVALID_EMAIL}"],
        [
            "web",
            "sleepy@example.com",
            "Sleepy",
            "sleeping",
            "",
            "5",
            f"status: {INVALID_CHOICE.format(value='sleeping')}",
        ],
    ]


def test_fixed_csv_report_reimports_cleanly(channel, write, tmp_path):
    # given: the report of a first import, its bad cells fixed by hand
    report = tmp_path / "rejected.csv"
    run("import_customers", write("c.csv", CSV), rejected_rows=str(report))
    fixed = report.read_text(encoding="utf-8")
    fixed = fixed.replace("not-an-email", "fixed@example.com").replace(",sleeping,", ",frozen,")

    # when
    code, out, err = run("import_customers", write("fixed.csv", fixed))

    # then
    assert (code, err) == (0, "")
    assert "2 created, 0 updated, 0 unchanged, 0 rejected" in out
    assert dict(Customer.objects.values_list("email", "status")) == {
        "good@example.com": "active",
        "fixed@example.com": "active",
        "sleepy@example.com": "frozen",
    }
    assert Customer.objects.get(email="fixed@example.com").note == "two\nlines"


def test_json_report_is_ndjson_and_reimports_once_fixed(channel, write, tmp_path):
    # given
    report = tmp_path / "rejected.ndjson"
    code, _, _ = run("import_customers", write("c.ndjson", NDJSON), rejected_rows=str(report))
    assert code == 1
    items = [json.loads(line) for line in report.read_text().splitlines()]
    assert items[0] == {
        "channel": "web",
        "email": "not-an-email",
        "first_name": "Bad",
        "line": 2,
        "errors": {"email": [INVALID_EMAIL]},
    }
    assert items[1]["text"] == "{broken"
    assert items[1]["line"] == 3
    assert items[1]["errors"]["row"][0].startswith("Invalid JSON")

    # when: the bad e-mail fixed, the broken line dropped
    fixed = report.read_text().splitlines()[0].replace("not-an-email", "bad@example.com")
    code, out, _ = run("import_customers", write("fixed.ndjson", fixed + "\n"))

    # then
    assert code == 0
    assert Customer.objects.get(email="bad@example.com").first_name == "Bad"


def test_json_array_report_names_each_item_line(channel, write, tmp_path):
    text = json.dumps(
        [{"channel": "web", "email": "a@example.com"}, {"channel": "web", "email": "nope"}],
        indent=1,
    )
    report = tmp_path / "rejected.ndjson"

    code, _, _ = run("import_customers", write("c.json", text), rejected_rows=str(report))

    assert code == 1
    assert rejected_rows_errors(report, "ndjson") == [(6, "email", INVALID_EMAIL)]
    assert json.loads(report.read_text())["email"] == "nope"


def test_a_file_with_only_one_report_column_is_refused(channel, write):
    code, _, err = run("import_customers", write("c.csv", "email,line\na@example.com,2\n"))

    assert code == 2
    assert "Unknown column(s): line." in err
