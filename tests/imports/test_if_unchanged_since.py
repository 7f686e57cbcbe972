"""--if-unchanged-since: rows that would overwrite edits made after the export are rejected."""

import datetime
import json

import pytest
from django.utils import timezone

from customers.imports.newer_edits import SINCE_INVALID
from customers.models import Customer
from customers.services import customer_update
from tests.imports.helpers import rejected_rows_errors, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(channel, api_user, tmp_path):
    """Two customers exported to NDJSON, then Ann edited in the API (after the export); the
    file renames both."""
    for email in ("ann@example.com", "bob@example.com"):
        Customer.objects.create(channel=channel, email=email, first_name="Old")
    path = tmp_path / "export.ndjson"
    assert run("export_customers", str(path))[0] == 0
    ann = Customer.objects.get(email="ann@example.com")
    customer_update(customer=ann, data={"company": "Edited"}, user=api_user, partial=True)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for row in rows:
        row["first_name"] = "FromFile"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _names() -> dict:
    return dict(Customer.objects.values_list("email", "first_name"))


def test_row_mode_rejects_rows_whose_customer_changed_since_its_export(exported, tmp_path):
    report = tmp_path / "errors.ndjson"

    code, out, _ = run(
        "import_customers", str(exported), if_unchanged_since="row", rejected_rows=str(report)
    )

    assert code == 1
    assert "0 created, 1 updated, 0 unchanged, 1 rejected" in out
    assert _names() == {"ann@example.com": "Old", "bob@example.com": "FromFile"}
    [(line, field, message)] = rejected_rows_errors(report, "ndjson")
    ann = Customer.objects.get(email="ann@example.com")
    assert (line, field) == (1, "")
    assert message.startswith("Would overwrite newer edits: this customer was changed at")
    assert f"(version {ann.version}), after this row's version {ann.version - 1}." in message
    assert json.loads(report.read_text())["company"] == ""  # the row itself, to look at


def test_without_the_option_the_file_overwrites(exported):
    code, _, _ = run("import_customers", str(exported))

    assert code == 0
    assert _names() == {"ann@example.com": "FromFile", "bob@example.com": "FromFile"}


@pytest.mark.parametrize(
    ("since", "rejected"),
    [
        # Bob was last written before Ann's edit: only Ann changed after his time
        pytest.param(lambda ann, bob: bob.updated_at, 1, id="before"),
        pytest.param(lambda ann, bob: ann.updated_at, 0, id="after"),
    ],
)
def test_a_datetime_rejects_rows_of_customers_changed_after_it(exported, since, rejected):
    ann, bob = Customer.objects.order_by("email")
    text = since(ann, bob).astimezone(datetime.UTC).isoformat()

    code, out, err = run("import_customers", str(exported), if_unchanged_since=text)

    assert code == (1 if rejected else 0)
    assert f"{rejected} rejected" in out
    assert _names()["ann@example.com"] == ("Old" if rejected else "FromFile")


def test_row_mode_falls_back_to_updated_at_without_a_version(channel, write):
    old = Customer.objects.create(channel=channel, email="ann@example.com", first_name="Old")
    stale = (old.updated_at - datetime.timedelta(minutes=5)).isoformat()
    fresh = timezone.now().isoformat()
    text = "email,first_name,updated_at\n"
    path = write("stale.csv", text + f"ann@example.com,Stale,{stale}\n")
    assert run("import_customers", path, channel="web", if_unchanged_since="row")[0] == 1

    path = write("fresh.csv", text + f"ann@example.com,Fresh,{fresh}\n")
    assert run("import_customers", path, channel="web", if_unchanged_since="row")[0] == 0
    assert _names() == {"ann@example.com": "Fresh"}


def test_an_unparsable_option_exits_2(channel, write):
    code, _, err = run(
        "import_customers", write("c.csv", "email\n"), if_unchanged_since="yesterday"
    )

    assert code == 2
    assert str(SINCE_INVALID) in err
