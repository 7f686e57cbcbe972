import csv
import json

import pytest
from django.db import connection, reset_queries

from customers.imports import RowError, customers_import
from customers.imports.readers import UNKNOWN_COLUMNS, rows_read
from customers.imports.rows import INVALID_BOOLEAN, INVALID_CHOICE, INVALID_DATE, UNKNOWN_CHANNEL
from customers.models import Address, Customer
from customers.validation import DISCOUNT_RANGE, INVALID_COUNTRY, INVALID_EMAIL, USERNAME_TAKEN
from groups.models import UserCustomerGroup
from groups.services import UNKNOWN_GROUPS
from tests.customers.factories import CustomerFactory
from tests.imports.helpers import error_report_lines, rejected_rows_errors, run, state

pytestmark = pytest.mark.django_db

HEADER = (
    "channel,email,first_name,last_name,username,groups,attributes,address.city,address.country"
)
GOOD_CSV = f"""{HEADER}
web,Ann@Example.com,Ann,Lee,ann,vip|news,"{{""tier"": 2}}",Rio,br
web,bob@example.com,Bob,Ray,,,,,
"""


def test_import_creates_customers_with_groups_attributes_and_address(channel, groups, write):
    # when
    code, out, _ = run("import_customers", write("c.csv", GOOD_CSV))

    # then
    assert code == 0
    assert "Imported: 2 created, 0 updated, 0 unchanged, 0 rejected" in out
    ann = Customer.objects.get(email="ann@example.com")
    assert (ann.first_name, ann.username, ann.attributes) == ("Ann", "ann", {"tier": 2})
    assert sorted(ann.groups.values_list("code", flat=True)) == ["news", "vip"]
    assert list(ann.addresses.values_list("city", "country", "is_default")) == [("Rio", "BR", True)]
    bob = Customer.objects.get(email="bob@example.com")
    assert (bob.username, bob.attributes, bob.addresses.count()) == (None, {}, 0)


def test_bad_rows_are_reported_with_exact_lines_and_skipped(channel, groups, write, tmp_path):
    # given: a quoted note spanning two physical lines shifts the following line numbers
    text = (
        "channel,email,first_name,note,status,gender,date_of_birth,email_allowed,"
        "discount_percent,groups,address.country\n"
        'web,ok1@example.com,Ok,"two\nlines",active,female,1990-01-31,true,10,vip,BR\n'
        "web,not-an-email,X,,,,,,,,\n"
        "web,ok2@example.com,Ok,,frozen,,,,,,\n"
        "web,bad@example.com,X,,sleeping,robot,1990-02-31,maybe,101,gold,ZZ\n"
        "shop,ok3@example.com,X,,,,,,,,\n"
    )
    report, lines = tmp_path / "rejected.csv", tmp_path / "errors.csv"

    # when: both reports asked for
    code, out, _ = run(
        "import_customers", write("c.csv", text), rejected_rows=str(report), errors=str(lines)
    )

    # then
    assert code == 1
    assert "Imported: 2 created, 0 updated, 0 unchanged, 3 rejected" in out
    assert sorted(Customer.objects.values_list("email", flat=True)) == [
        "ok1@example.com",
        "ok2@example.com",
    ]
    with report.open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [*text.split("\n", 1)[0].split(","), "line", "errors"]
    assert [row[:2] for row in rows[1:]] == [
        ["web", "not-an-email"],
        ["web", "bad@example.com"],
        ["shop", "ok3@example.com"],
    ]
    expected = sorted(
        [
            (4, "email", INVALID_EMAIL),
            (6, "status", INVALID_CHOICE.format(value="sleeping")),
            (6, "gender", INVALID_CHOICE.format(value="robot")),
            (6, "date_of_birth", INVALID_DATE),
            (6, "email_allowed", INVALID_BOOLEAN),
            (6, "discount_percent", DISCOUNT_RANGE),
            (6, "groups", UNKNOWN_GROUPS.format(codes="gold")),
            (6, "address.country", INVALID_COUNTRY),
            (7, "channel", UNKNOWN_CHANNEL.format(value="shop")),
        ]
    )
    assert sorted(rejected_rows_errors(report)) == expected
    # the contract's error report: the same problems, one line,field,message row each
    assert sorted(error_report_lines(lines)) == expected


def test_later_duplicate_email_wins_within_and_across_batches(channel, write):
    text = (
        "email,first_name\n"
        "a@example.com,First\n"
        "A@EXAMPLE.COM,Second\n"
        "b@example.com,Other\n"
        "a@example.com,Third\n"
    )
    path = write("c.csv", text)

    for batch_size in (5000, 1):
        Customer.objects.all().delete()
        code, out, _ = run("import_customers", path, channel="web", batch_size=batch_size)

        assert code == 0
        assert Customer.objects.get(email="a@example.com").first_name == "Third"
        assert Customer.objects.count() == 2


@pytest.mark.parametrize("defer", ["always", "never", "auto"])
def test_defer_indexes_inside_a_transaction_or_on_sqlite_changes_nothing(
    channel, groups, write, defer
):
    # given: this test's transaction (PostgreSQL), or SQLite: nothing to defer
    path = write("c.csv", GOOD_CSV)

    # when
    code, out, err = run("import_customers", path, defer_indexes=defer, verbosity=2)

    # then
    assert code == 0
    assert "2 created, 0 updated, 0 unchanged, 0 rejected" in out
    assert "Deferred indexes" not in err
    assert Customer.objects.count() == 2


def test_dry_run_validates_and_writes_nothing(channel, groups, write):
    # given
    path = write("c.csv", GOOD_CSV + "web,broken,X,Y,,,,,\n")

    # when
    code, out, err = run("import_customers", path, dry_run=True)

    # then
    assert code == 1
    assert "Dry run, nothing written: 2 created, 0 updated, 0 unchanged, 1 rejected" in out
    assert "line 4, email: " + INVALID_EMAIL in err
    assert Customer.objects.count() == 0
    assert Address.objects.count() == UserCustomerGroup.objects.count() == 0


def test_rerun_of_the_same_file_changes_nothing(channel, groups, write):
    # given
    path = write("c.csv", GOOD_CSV)
    run("import_customers", path)
    before = state()
    stamps = dict(Customer.objects.values_list("email", "updated_at"))

    # when
    code, out, _ = run("import_customers", path)

    # then: not even updated_at moves, so API syncs by updated_at_min skip these rows
    assert code == 0
    assert "Imported: 0 created, 0 updated, 2 unchanged, 0 rejected" in out
    assert state() == before
    assert dict(Customer.objects.values_list("email", "updated_at")) == stamps


def test_changed_rows_are_updated_and_move_updated_at(channel, groups, write):
    # given
    run("import_customers", write("a.csv", GOOD_CSV))
    stamps = dict(Customer.objects.values_list("email", "updated_at"))

    # when
    code, out, _ = run("import_customers", write("b.csv", GOOD_CSV.replace("Bob", "Rob")))

    # then
    assert "Imported: 0 created, 1 updated, 1 unchanged, 0 rejected" in out
    after = dict(Customer.objects.values_list("email", "updated_at"))
    assert after["bob@example.com"] > stamps["bob@example.com"]
    assert after["ann@example.com"] == stamps["ann@example.com"]
    assert Customer.objects.get(email="bob@example.com").first_name == "Rob"


def test_update_writes_only_the_columns_sent_and_keeps_statistics(channel, write):
    # given
    customer = CustomerFactory(
        channel=channel, email="a@example.com", first_name="Old", phone="123", orders_count=4
    )

    # when
    code, _, _ = run(
        "import_customers",
        write("c.ndjson", '{"email": "a@example.com", "first_name": "New"}\n'),
        channel="web",
    )

    # then
    assert code == 0
    customer.refresh_from_db()
    assert (customer.first_name, customer.phone, customer.orders_count) == ("New", "123", 4)


def test_groups_are_replaced_and_addresses_not_duplicated(channel, groups, write):
    # given
    run("import_customers", write("a.csv", GOOD_CSV))
    text = f"{HEADER}\nweb,ann@example.com,Ann,Lee,ann,news,,Rio,BR\n"

    # when
    code, _, _ = run("import_customers", write("b.csv", text))

    # then
    assert code == 0
    ann = Customer.objects.get(email="ann@example.com")
    assert list(ann.groups.values_list("code", flat=True)) == ["news"]
    assert ann.addresses.count() == 1


def test_new_address_is_added_and_first_one_stays_default(channel, write):
    run(
        "import_customers", write("a.csv", "email,address.city\na@example.com,Rio\n"), channel="web"
    )

    run(
        "import_customers",
        write("b.csv", "email,address.city\na@example.com,Lima\n"),
        channel="web",
    )

    assert list(Address.objects.order_by("id").values_list("city", "is_default")) == [
        ("Rio", True),
        ("Lima", False),
    ]


def test_username_taken_by_another_customer_rejects_only_that_row(channel, write):
    # given
    CustomerFactory(channel=channel, email="holder@example.com", username="taken")
    text = (
        "email,username\n"
        "a@example.com,taken\n"
        "b@example.com,free\n"
        "c@example.com,free\n"
        "holder@example.com,taken\n"
    )

    # when
    code, _, err = run("import_customers", write("c.csv", text), channel="web")

    # then
    assert code == 1
    assert f"line 2, username: {USERNAME_TAKEN}" in err
    assert f"line 4, username: {USERNAME_TAKEN}" in err
    assert sorted(Customer.objects.values_list("email", flat=True)) == [
        "b@example.com",
        "holder@example.com",
    ]


JSON_ITEMS_OVER_SEVERAL_LINES = (
    "[\n"
    '  {"channel": "web", "email": "a@example.com", "addresses": [{"city": "Rio"}]},\n'
    "  {\n"
    '    "channel": "web",\n'
    '    "email": "broken"\n'
    "  },\n"
    '  {"channel": "web", "email": "c@example.com", "groups": "vip"}\n'
    "]\n"
)
NDJSON_WITH_BLANK_AND_BROKEN_LINES = (
    '{"email": "a@example.com"}\n\nnot json\n{"email": "b@example.com", "status": "x"}\n'
)


@pytest.mark.parametrize(
    ("name", "text", "options", "reported"),
    [
        pytest.param(
            "c.json",
            JSON_ITEMS_OVER_SEVERAL_LINES,
            {},
            [
                f"line 3, email: {INVALID_EMAIL}",
                'line 7, groups: Expected a list of items but got type "str".',
            ],
            id="json-array-item-reported-at-the-line-it-starts",
        ),
        pytest.param(
            "c.ndjson",
            NDJSON_WITH_BLANK_AND_BROKEN_LINES,
            {"channel": "web"},
            ["line 3, row: Invalid JSON", "line 4, status: " + INVALID_CHOICE.format(value="x")],
            id="ndjson-blank-lines-skipped-bad-json-reported",
        ),
    ],
)
def test_rejected_rows_are_reported_by_file_line(channel, write, name, text, options, reported):
    code, out, err = run("import_customers", write(name, text), **options)

    assert code == 1
    assert "1 created, 0 updated, 0 unchanged, 2 rejected" in out
    for line in reported:
        assert line in err


def test_password_column_is_hashed_with_the_configured_hasher(channel, write):
    code, _, _ = run(
        "import_customers",
        write("c.csv", "email,password\na@example.com,correct-horse-battery\n"),
        channel="web",
    )

    assert code == 0
    customer = Customer.objects.get()
    assert customer.has_password
    assert customer.password.startswith("md5$")


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        pytest.param(("missing.csv",), {}, "Cannot read", id="missing-file"),
        pytest.param(("c.txt",), {}, "Cannot tell the format", id="unknown-extension"),
        pytest.param(("c.csv",), {"channel": "nope"}, "Unknown channel: nope.", id="bad-channel"),
        pytest.param(("bad.csv",), {}, UNKNOWN_COLUMNS.format(columns="e-mail"), id="bad-header"),
        pytest.param(("bad.json",), {}, "must be an array", id="not-an-array"),
        pytest.param(("huge.csv",), {}, "cannot be read from line 3: field larger", id="huge"),
        pytest.param(("c.csv",), {"errors": "/no/such/dir/e.csv"}, "Cannot write", id="report"),
    ],
)
def test_unusable_arguments_or_file_exit_2(channel, write, tmp_path, args, options, message):
    write("c.txt", GOOD_CSV)
    write("c.csv", GOOD_CSV)
    write("bad.csv", "email,e-mail\na@example.com,x\n")
    write("bad.json", '{"email": "a@example.com"}')
    write("huge.csv", "email,note\nb@example.com,x\na@example.com," + "x" * 200_000 + "\n")

    code, _, err = run("import_customers", str(tmp_path / args[0]), **options)

    assert code == 2
    assert message in err
    assert Customer.objects.count() == 0  # the batch in progress is not written


def test_interrupted_import_leaves_whole_batches_and_reruns_cleanly(channel, groups, write):
    # given: a file of 10 rows, imported in batches of 3, killed after the second batch
    lines = [f"web,c{n}@example.com,N{n},,u{n},vip,,City {n},BR" for n in range(10)]
    path = write("c.csv", "\n".join([HEADER, *lines]) + "\n")

    def kill_after_two(result):
        if result.rows >= 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), open(path) as stream:
        customers_import(rows_read(stream, "csv"), batch_size=3, on_batch=kill_after_two)
    assert Customer.objects.count() == 6
    assert Address.objects.count() == UserCustomerGroup.objects.count() == 6

    # when
    code, out, _ = run("import_customers", path, batch_size=3)

    # then
    assert code == 0
    assert "4 created, 0 updated, 6 unchanged, 0 rejected" in out
    interrupted_then_rerun = state()
    Customer.objects.all().delete()
    run("import_customers", path)
    assert state() == interrupted_then_rerun


def test_service_collects_errors_without_a_callback(channel):
    rows = [(2, {"email": "a@example.com"}, {}), (3, {"email": "x"}, {})]

    result = customers_import(rows, default_channel="web")

    assert (result.created, result.rejected) == (1, 1)
    assert result.errors == [RowError(3, "email", INVALID_EMAIL)]


def test_json_values_are_checked_like_the_api(channel, write):
    rows = [
        {"email": "a@example.com", "attributes": [1], "first_name": None, "shoeSize": 4},
        {
            "email": "b@example.com",
            "name": "Ada Lovelace King",
            "date_joined": "2020-01-02T03:04:05Z",
        },
    ]
    path = write("c.json", json.dumps(rows))

    code, _, err = run("import_customers", path, channel="web")

    assert code == 1
    assert "attributes: Send a JSON object" in err
    assert "shoeSize: Unknown field 'shoeSize'." in err
    # null for a text field means "", as a read shows it.
    assert "first_name" not in err
    customer = Customer.objects.get()
    assert (customer.first_name, customer.last_name) == ("Ada", "Lovelace King")
    assert customer.date_joined.isoformat() == "2020-01-02T03:04:05+00:00"


def test_values_of_the_wrong_json_type_are_rejected_not_crashed_on(channel, write):
    lines = [
        json.dumps({"email": "a@example.com", "status": {"x": 1}, "gender": ["male"]}),
        json.dumps({"email": "b@example.com", "attributes": {"ratio": "NaN"}}),
        '{"email": "c@example.com", "attributes": {"x": NaN}}',  # NaN is not JSON
    ]
    path = write("c.ndjson", "\n".join(lines) + "\n")

    code, out, err = run("import_customers", path, channel="web")

    assert code == 1
    assert "Imported: 1 created, 0 updated, 0 unchanged, 2 rejected" in out
    assert "status: " + INVALID_CHOICE.format(value={"x": 1}) in err
    assert "line 3, row: Invalid JSON: Out of range float values" in err
    assert list(Customer.objects.values_list("email", flat=True)) == ["b@example.com"]


def test_a_long_import_does_not_keep_every_statement_it_ran_with_debug_on(channel, settings):
    # given: DEBUG on, which makes Django keep each statement's text (up to 9,000); what a
    # one-batch import leaves kept
    settings.DEBUG = True

    def rows(start, count):
        return [
            (n + 2, {"email": f"c{n}@example.com", "channel": "web"}, {})
            for n in range(start, start + count)
        ]

    reset_queries()
    customers_import(rows(0, 5), batch_size=5, threaded=False)
    one_batch = len(connection.queries)

    # when: an import of eight batches, written on this connection
    reset_queries()
    result = customers_import(rows(5, 40), batch_size=5, threaded=False)

    # then: it keeps no more than the one-batch import did
    assert result.created == 40
    assert len(connection.queries) <= one_batch
