import csv
import datetime
import io
import json
from decimal import Decimal

import pytest

from customers.exports import CSV_HEADER, UNKNOWN_FILTER
from customers.imports.rows import STAMP_FIELDS
from customers.models import Address, Customer
from customers.services import customer_create
from groups.models import UserCustomerGroup
from tests.imports.helpers import run, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(channel, groups, api_user):
    """Customers using every importable field: odd text, JSON, dates, several addresses."""
    full = customer_create(
        user=api_user,
        data={
            "channel": channel.code,
            "email": "ann@example.com",
            "username": "ann",
            "first_name": 'Ann, "the" first',
            "last_name": "Lée",
            "note": "line one\nline two",
            "status": "frozen",
            "gender": "female",
            "user_type": "guest",
            "date_of_birth": datetime.date(1990, 1, 31),
            "date_joined": datetime.datetime(2020, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.UTC),
            "email_allowed": True,
            "discount_percent": Decimal("12.50"),
            "erp_code": "E1",
            "attributes": {"tier": 2, "tags": ["a", "b"], "ok": True, "none": None},
            "extra_field": {"source": "shop|web"},
            "addresses": [
                {"city": "Rio", "country": "BR", "address": "Rua A", "number": "1"},
                {"city": "Lima", "country": "PE", "is_billing": True},
            ],
            "groups": ["vip", "news"],
        },
    )
    plain = customer_create(
        data={"channel": channel.code, "email": "bob@example.com"}, user=api_user
    )
    return [full, plain]


def _unstamped(path, fmt: str) -> list:
    """The exported rows without their updated_at and version."""
    if fmt == "ndjson":
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        return [{k: v for k, v in row.items() if k not in STAMP_FIELDS} for row in rows]
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0][-2:] == list(STAMP_FIELDS)
    return [row[:-2] for row in rows]


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_export_then_import_round_trip_is_lossless(customers, tmp_path, fmt):
    # given
    first, second = tmp_path / f"one.{fmt}", tmp_path / f"two.{fmt}"
    code, out, _ = run("export_customers", str(first))
    assert (code, out.strip()) == (0, f"Exported 2 customers to {first}.")
    before = state()

    # when: the export re-imports unchanged into the same database...
    code, out, _ = run("import_customers", str(first))
    assert code == 0
    assert "0 created, 0 updated, 2 unchanged, 0 rejected" in out
    assert state() == before

    # ...and into an empty one
    Customer.objects.all().delete()
    code, out, _ = run("import_customers", str(first))
    assert "2 created, 0 updated, 0 unchanged, 0 rejected" in out
    run("export_customers", str(second))

    # then: the same, but for when and at which version each row was written
    assert _unstamped(second, fmt) == _unstamped(first, fmt)
    if fmt == "ndjson":
        assert state() == before  # every address travels in NDJSON
    else:
        assert Address.objects.get().city == "Rio"  # CSV carries the default address
    assert UserCustomerGroup.objects.count() == 2


def test_csv_export_columns_and_values(customers, tmp_path):
    path = tmp_path / "c.csv"

    run("export_customers", str(path))

    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(CSV_HEADER)
    assert lines[-1].startswith("web,bob@example.com,,,,")
    bob = Customer.objects.get(email="bob@example.com")
    assert lines[-1].endswith(f",{bob.updated_at.isoformat()[:-6]}Z,{bob.version}")
    text = path.read_text()
    assert "2020-05-06T07:08:09.123456Z" in text
    assert ",news|vip," in text


def test_export_filters_like_the_api(customers, tmp_path):
    path = tmp_path / "c.ndjson"

    code, out, _ = run(
        "export_customers", str(path), filters=["status=frozen", "email__startswith=AN"]
    )

    assert code == 0
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [row["email"] for row in rows] == ["ann@example.com"]
    assert rows[0]["groups"] == ["news", "vip"]
    assert [a["city"] for a in rows[0]["addresses"]] == ["Rio", "Lima"]
    assert rows[0]["discount_percent"] == "12.50"


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        pytest.param(["nope=1"], UNKNOWN_FILTER.format(name="nope"), id="unknown"),
        pytest.param(
            ["attributes__=1"], UNKNOWN_FILTER.format(name="attributes__"), id="json-without-key"
        ),
        pytest.param(["id__gt=abc"], "Enter a number.", id="wrong-type"),
        pytest.param(["status"], "Write filters as field__lookup=value", id="syntax"),
    ],
)
def test_invalid_filter_exits_2(customers, tmp_path, filters, message):
    code, _, err = run("export_customers", str(tmp_path / "c.csv"), filters=filters)

    assert code == 2
    assert message in err


def test_export_runs_a_constant_number_of_queries(
    customers, channel, tmp_path, django_assert_max_num_queries, api_user
):
    for n in range(5):
        customer_create(
            data={
                "channel": channel.code,
                "email": f"x{n}@example.com",
                "addresses": [{"city": "X"}],
                "groups": ["vip"],
            },
            user=api_user,
        )

    with django_assert_max_num_queries(4):
        run("export_customers", str(tmp_path / "c.ndjson"))
