"""Values a database cannot store, or Python cannot read back, are refused at every entry point.

Each test is one defect found by attacking Patron: dates whose UTC value leaves the calendar,
lone surrogates, NUL, non-finite numbers and over-deep JSON through the API, the admin, the
import preview and `import_customers`; an order list with an order of the year 9999; a
second large order overflowing `total_spent`. Nothing is mocked: real databases, the real
HTTP stack, real files.
"""

import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from config import values
from config.parsers import LONE_SURROGATE, NOT_FINITE
from customers.models import Customer
from groups.models import UserCustomerGroup
from orders.models import Order
from tests.admin.helpers import CUSTOMER_ADD, customer_change_url, customer_form
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.groups.factories import UserGroupFactory
from tests.imports.helpers import rejected_rows_errors, run
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

TOO_LATE = "9999-12-31T23:59:59-14:00"
TOO_EARLY = "0001-01-01T00:00:00+14:00"
SURROGATE = "\\ud800"  # as a JSON escape: the parsed text holds a lone surrogate
DEEP = 5_000


@pytest.fixture
def web(db):
    return ChannelFactory(code="web", currency="USD")


@pytest.fixture
def write(tmp_path):
    """Write text to a real file; return its path."""

    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def _post(client, url, text: str):
    return client.post(url, text, content_type="application/json")


def _deep(depth: int) -> str:
    return '{"k": ' * depth + "1" + "}" * depth


def _readable_everywhere(api_client, staff_client, tmp_path) -> None:
    """Every stored customer and order still reads, lists and exports."""
    for customer in Customer.objects.all():
        assert api_client.get(f"/api/v1/customers/{customer.pk}/").status_code == 200
        assert staff_client.get(customer_change_url(customer)).status_code == 200
    assert api_client.get("/api/v1/customers/?per_page=200").status_code == 200
    assert api_client.get("/api/v1/orders/?per_page=200").status_code == 200
    assert staff_client.get(reverse("admin:customers_customer_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:orders_order_changelist")).status_code == 200
    for fmt in ("csv", "ndjson"):
        call_command("export_customers", str(tmp_path / f"export.{fmt}"), stdout=io.StringIO())


# --- dates out of the calendar ----------------------------------------------------------------


@pytest.mark.parametrize("moment", [TOO_LATE, TOO_EARLY, "9999-06-01T00:00:00Z"])
@pytest.mark.parametrize(
    ("method", "url"),
    [("post", "/api/v1/customers/upsert/"), ("post", "/api/v1/customers/")],
    ids=["upsert", "create"],
)
def test_api_refuses_date_times_outside_the_calendar(api_client, web, method, url, moment):
    body = {"channel": "web", "email": "p@example.com", "date_joined": moment}

    response = getattr(api_client, method)(url, body, format="json")

    assert response.status_code == 400
    assert "date_joined" in json.dumps(response.json())
    assert str(values.DATETIME_OUT_OF_RANGE) in json.dumps(response.json())
    assert not Customer.objects.exists()


@pytest.mark.parametrize("moment", [TOO_LATE, TOO_EARLY])
def test_api_edits_refuse_date_times_outside_the_calendar(api_client, web, moment):
    customer = CustomerFactory(channel=web)

    response = api_client.patch(
        f"/api/v1/customers/{customer.pk}/", {"date_joined": moment}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"date_joined": [values.DATETIME_OUT_OF_RANGE]}
    customer.refresh_from_db()
    assert customer.date_joined.year < 9999


def test_date_times_at_the_edges_of_the_range_are_stored_and_read_back(
    api_client, staff_client, web, tmp_path
):
    for email, moment in [
        ("a@example.com", "9998-12-31T23:59:59Z"),
        ("b@example.com", "0002-01-01T00:00:00Z"),
    ]:
        body = {"channel": "web", "email": email, "date_joined": moment}
        assert api_client.post("/api/v1/customers/upsert/", body, format="json").status_code == 200

    joined = sorted(Customer.objects.values_list("date_joined", flat=True))
    assert [moment.year for moment in joined] == [2, 9998]
    _readable_everywhere(api_client, staff_client, tmp_path)


def test_dates_of_birth_outside_the_calendar_are_refused(api_client, web):
    body = {"channel": "web", "email": "p@example.com", "date_of_birth": "0001-01-01"}

    response = api_client.post("/api/v1/customers/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"date_of_birth": [values.DATE_OUT_OF_RANGE]}


def test_admin_form_refuses_date_times_outside_the_calendar(staff_client, web):
    data = customer_form(
        channel="web", email="p@example.com", date_joined_0="9999-12-31", date_joined_1="23:59:59"
    )

    response = staff_client.post(CUSTOMER_ADD, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["date_joined"] == [
        values.DATETIME_OUT_OF_RANGE
    ]
    assert not Customer.objects.exists()


def test_orders_refuse_placed_at_outside_the_calendar(api_client, web):
    customer = CustomerFactory(channel=web)
    body = {"channel": "web", "number": "N1", "customer": customer.pk, "placed_at": TOO_LATE}

    response = api_client.post("/api/v1/orders/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"placed_at": [values.DATETIME_OUT_OF_RANGE]}
    assert not Order.objects.exists()


def test_order_lists_survive_an_order_of_the_year_9999(api_client, staff_client, web):
    """Stored before the check existed: the admin's date drill-down and the lists still work."""
    order = OrderFactory(customer=CustomerFactory(channel=web))
    last = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)
    Order.objects.filter(pk=order.pk).update(placed_at=last)
    changelist = reverse("admin:orders_order_changelist")

    assert staff_client.get(changelist).status_code == 200
    assert staff_client.get(changelist, {"placed_at__year": "9999"}).status_code == 200
    assert staff_client.get(changelist, {"placed_at__year": "9999", "placed_at__month": "12"})
    assert api_client.get("/api/v1/orders/").status_code == 200


# --- lone surrogates, NUL, non-finite numbers, deep JSON in API bodies ------------------------


@pytest.mark.parametrize(
    ("url", "body", "path"),
    [
        (
            "/api/v1/customers/upsert/",
            '{"channel":"web","email":"p@example.com","first_name":"%s"}',
            "first_name",
        ),
        (
            "/api/v1/customers/upsert/",
            '[{"channel":"web","email":"p@example.com","note":"%s"}]',
            "0.note",
        ),
        ("/api/v1/customers/", '{"channel":"web","email":"p@example.com","gender":"%s"}', "gender"),
        (
            "/api/v1/customers/",
            '{"channel":"web","email":"p@example.com","attributes":{"%s":1}}',
            "attributes.\\ud800",
        ),
        (
            "/api/v1/customers/authenticate/",
            '{"channel":"web","email":"p@example.com","password":"%s"}',
            "password",
        ),
        (
            "/api/v1/customers/authenticate/",
            '{"channel":"%s","email":"p@example.com","password":"x"}',
            "channel",
        ),
        ("/api/v1/groups/", '{"code":"g","title":"%s"}', "title"),
    ],
    ids=[
        "upsert",
        "upsert-list",
        "choice",
        "json-key",
        "authenticate",
        "authenticate-channel",
        "group",
    ],
)
def test_lone_surrogates_in_bodies_are_a_400_naming_where(api_client, web, url, body, path):
    response = _post(api_client, url, body % SURROGATE)

    assert response.status_code == 400
    assert response.json() == {"detail": LONE_SURROGATE.format(path=path)}


@pytest.mark.parametrize("number", ["1e309", "-1e309"])
def test_numbers_json_cannot_hold_are_a_400(api_client, web, number):
    body = '{"channel":"web","email":"p@example.com","attributes":{"n":N}}'.replace("N", number)

    response = _post(api_client, "/api/v1/customers/", body)

    assert response.status_code == 400
    assert response.json() == {"detail": NOT_FINITE.format(path="attributes.n")}


def test_an_error_quoting_a_lone_surrogate_still_renders():
    """The renderer's fallback: an answer holding a lone surrogate is written escaped."""
    from config.rest import FastJSONRenderer

    body = FastJSONRenderer().render({"gender": ['"\ud800" is not a valid choice.']})

    assert json.loads(body) == {"gender": ['"\ud800" is not a valid choice.']}


# --- money --------------------------------------------------------------------------------------


def test_a_second_order_of_the_largest_total_does_not_overflow_total_spent(api_client, web):
    customer = CustomerFactory(channel=web)
    for number in ("N1", "N2"):
        body = {
            "channel": "web",
            "number": number,
            "customer": customer.pk,
            "currency": "USD",
            "status": "paid",
            "total": "999999999999.99",
        }
        response = api_client.post("/api/v1/orders/", body, format="json")
        assert response.status_code == 201, response.json()

    customer.refresh_from_db()
    assert customer.total_spent == Decimal("1999999999999.98")
    answer = api_client.get(f"/api/v1/customers/{customer.pk}/").json()
    assert answer["total_spent"] == "1999999999999.98"


def test_money_beyond_the_columns_is_a_400_naming_the_field(api_client, web):
    customer = CustomerFactory(channel=web)
    body = {"channel": "web", "number": "N1", "customer": customer.pk, "total": "1e15"}

    response = api_client.post("/api/v1/orders/", body, format="json")

    assert response.status_code == 400
    assert "total" in response.json()


# --- the admin's JSON fields --------------------------------------------------------------------

HOSTILE_JSON = {
    "nul": '{"a": "\\u0000"}',
    "nul-key": '{"\\u0000": 1}',
    "surrogate": '{"a": "\\ud800"}',
    "huge-number": '{"a": 1e309}',
    "nan": '{"a": NaN}',
    "deep": _deep(DEEP),
    "over-the-limit": _deep(values.MAX_JSON_DEPTH + 1),
}


@pytest.mark.parametrize("text", HOSTILE_JSON.values(), ids=HOSTILE_JSON.keys())
def test_customer_admin_refuses_unstorable_json(staff_client, web, text):
    customer = CustomerFactory(channel=web, attributes={"kept": True})

    response = staff_client.post(
        customer_change_url(customer), customer_form(customer, channel="web", attributes=text)
    )

    assert response.status_code == 200
    assert "attributes" in response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.attributes == {"kept": True}


@pytest.mark.parametrize("text", HOSTILE_JSON.values(), ids=HOSTILE_JSON.keys())
def test_order_admin_refuses_unstorable_json(staff_client, web, text):
    order = OrderFactory(customer=CustomerFactory(channel=web))
    url = reverse("admin:orders_order_change", args=[order.pk])
    page = staff_client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        {
            "channel": str(web.pk),
            "customer": str(order.customer_id),
            "placed_at_0": "2024-01-01",
            "placed_at_1": "10:00:00",
            "shipping_address": text,
            "billing_address": "",
            "items-TOTAL_FORMS": "0",
            "items-INITIAL_FORMS": "0",
            "custom_data-TOTAL_FORMS": "0",
            "custom_data-INITIAL_FORMS": "0",
        }
    )
    data.pop("placed_at", None)

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert "shipping_address" in response.context["adminform"].form.errors
    order.refresh_from_db()
    assert order.shipping_address is None


@pytest.mark.parametrize("text", HOSTILE_JSON.values(), ids=HOSTILE_JSON.keys())
def test_membership_admin_refuses_unstorable_json(staff_client, web, text):
    group = UserGroupFactory(code="vip")
    customer = CustomerFactory(channel=web)
    add = reverse("admin:groups_usercustomergroup_add")

    response = staff_client.post(
        add, {"customer": customer.pk, "group": group.pk, "subscribed": "on", "attributes": text}
    )

    assert response.status_code == 200
    assert "attributes" in response.context["adminform"].form.errors
    assert not UserCustomerGroup.objects.exists()


def test_every_admin_json_field_is_the_storable_one(admin_client):
    """Every admin (and inline) form that edits a JSON field uses config.forms' field."""
    from django import forms
    from django.contrib import admin

    from config.forms import StorableJSONField

    request = admin_client.get("/admin/").wsgi_request
    checked = 0
    for model, model_admin in admin.site._registry.items():
        form_classes = [model_admin.get_form(request)]
        form_classes += [
            inline.get_formset(request).form for inline in model_admin.get_inline_instances(request)
        ]
        for form_class in form_classes:
            for name, field in form_class.base_fields.items():
                if isinstance(field, forms.JSONField):
                    checked += 1
                    assert isinstance(field, StorableJSONField), (model.__name__, name)
    assert checked >= 4


# --- import: preview and command --------------------------------------------------------------

NDJSON_ROWS = [
    '{"channel": "web", "email": "good1@example.com"}',
    '{"channel": "web", "email": "nul@example.com", "first_name": "a\\u0000b"}',
    '{"channel": "web", "email": "surrogate@example.com", "last_name": "\\ud800"}',
    '{"channel": "web", "email": "choice@example.com", "gender": "\\ud800"}',
    '{"channel": "web", "email": "key@example.com", "\\ud800": 1}',
    '{"channel": "web", "email": "deep@example.com", "attributes": ' + _deep(DEEP) + "}",
    '{"channel": "web", "email": "deep40@example.com", "attributes": ' + _deep(40) + "}",
    '{"channel": "web", "email": "inf@example.com", "attributes": {"n": 1e309}}',
    f'{{"channel": "web", "email": "late@example.com", "date_joined": "{TOO_LATE}"}}',
    f'{{"channel": "web", "email": "early@example.com", "date_joined": "{TOO_EARLY}"}}',
    '{"channel": "web", "email": "good2@example.com"}',
]


def test_import_command_keeps_the_good_rows_and_names_each_bad_line(
    write, web, api_client, staff_client, tmp_path
):
    path = write("hostile.ndjson", "\n".join(NDJSON_ROWS) + "\n")
    report = path + ".errors.csv"

    status, out, err = run("import_customers", path, rejected_rows=report)

    assert status == 1, err
    assert "2 created" in out
    assert set(Customer.objects.values_list("email", flat=True)) == {
        "good1@example.com",
        "good2@example.com",
    }
    lines = {line for line, _, _ in rejected_rows_errors(report, "ndjson")}
    assert lines == set(range(2, 11))
    _readable_everywhere(api_client, staff_client, tmp_path)


def test_import_command_prints_errors_quoting_lone_surrogates(write, web):
    path = write("hostile.ndjson", NDJSON_ROWS[0] + "\n" + NDJSON_ROWS[3] + "\n")

    status, _, err = run("import_customers", path)

    assert status == 1
    assert "line 2, gender" in err
    err.encode("utf-8")  # printable: the surrogate is escaped


def test_a_json_array_with_a_too_deep_item_keeps_the_others(write, web):
    items = [
        NDJSON_ROWS[0],
        NDJSON_ROWS[5],
        '{"s": "]}\\"[", "channel": "web", "email": "x"}',
        NDJSON_ROWS[-1],
    ]
    path = write("hostile.json", "[\n" + ",\n".join(items) + "\n]\n")

    status, _, err = run("import_customers", path)

    assert status == 1, err
    # Python 3.11's parser gives up on the item itself (a row error); 3.12+ parse it and the
    # validator refuses the field: either way that row alone, on its line.
    assert re.search(rf"line 3, (row|attributes): {re.escape(str(values.JSON_TOO_DEEP))}", err), err
    assert set(Customer.objects.values_list("email", flat=True)) == {
        "good1@example.com",
        "good2@example.com",
    }


def test_csv_cells_with_unstorable_values_are_rejected_rows(write, web):
    deep = _deep(DEEP).replace('"', '""')
    text = (
        "channel,email,first_name,attributes\n"
        "web,good@example.com,Ann,{}\n"
        f'web,deep@example.com,Bob,"{deep}"\n'
        'web,nul@example.com,"a\x00b",{}\n'
        'web,inf@example.com,Cid,"{""n"": 1e309}"\n'
    )
    path = write("hostile.csv", text)

    status, _, err = run("import_customers", path)

    assert status == 1, err
    assert "line 3, attributes: " + values.JSON_TOO_DEEP in err
    assert "line 4, first_name: " + values.NUL_CHARACTER in err
    assert "line 5, attributes: " in err
    assert list(Customer.objects.values_list("email", flat=True)) == ["good@example.com"]


def test_admin_import_preview_lists_unstorable_rows(staff_client, web):
    text = "\n".join(NDJSON_ROWS) + "\n"
    upload = SimpleUploadedFile("hostile.ndjson", text.encode(), content_type="application/json")

    response = staff_client.post(reverse("admin:customers_customer_import"), {"file": upload})

    assert response.status_code == 200
    result = response.context["result"]
    assert (result.created, result.rejected) == (2, 9)
    assert {error.line for error in response.context["errors"]} == set(range(2, 11))
    assert not Customer.objects.exists()


# --- a batch the database refuses; a crash ------------------------------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a PostgreSQL trigger refuses the row"
)


@pytest.fixture
def refusing_trigger(db):
    """A trigger that makes PostgreSQL refuse one e-mail with the given SQLSTATE."""

    def install(sqlstate: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                CREATE FUNCTION refuse_row() RETURNS trigger AS $$
                BEGIN
                    IF NEW.email = 'refused@example.com' THEN
                        RAISE EXCEPTION 'refused' USING ERRCODE = '{sqlstate}';
                    END IF;
                    RETURN NEW;
                END $$ LANGUAGE plpgsql;
                CREATE TRIGGER refuse_row BEFORE INSERT OR UPDATE ON customers_customer
                    FOR EACH ROW EXECUTE FUNCTION refuse_row();
                """
            )

    yield install
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER IF EXISTS refuse_row ON customers_customer;"
            "DROP FUNCTION IF EXISTS refuse_row();"
        )


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_batch_the_database_refuses_is_written_row_by_row(write, refusing_trigger):
    ChannelFactory(code="web")
    refusing_trigger("22000")  # data_exception: a DataError
    rows = ["good1", "refused", "good2"]
    path = write(
        "rows.ndjson", "".join(f'{{"channel": "web", "email": "{e}@example.com"}}\n' for e in rows)
    )

    status, out, err = run("import_customers", path)

    assert status == 1, err
    assert "line 2, row: The database refused this row" in err
    assert set(Customer.objects.values_list("email", flat=True)) == {
        "good1@example.com",
        "good2@example.com",
    }


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_unexpected_failure_exits_3_naming_the_line(write, refusing_trigger):
    ChannelFactory(code="web")
    refusing_trigger("P0001")  # raise_exception: neither a data nor an integrity error
    path = write("rows.ndjson", '{"channel": "web", "email": "refused@example.com"}\n')

    status, _, err = run("import_customers", path)

    assert status == 3
    assert re.search(r"The import stopped at line 1: \w+Error\. Batches before it are kept", err)
    assert "Traceback" not in err


def _order_row(number: str, email: str) -> str:
    row = {
        "channel": "web",
        "number": number,
        "placed_at": "2024-01-01T10:00:00Z",
        "customer": {"email": email},
        "items": [{"sku": "A", "quantity": 1, "unit_price": "10.00"}],
    }
    return json.dumps(row) + "\n"


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_order_the_database_refuses_is_rejected_and_the_feed_goes_on(write, refusing_trigger):
    # given: a feed whose second order's buyer the database refuses (a DataError)
    ChannelFactory(code="web")
    refusing_trigger("22000")
    feed = [("W-1", "good1"), ("W-2", "refused"), ("W-3", "good2")]
    path = write("orders.ndjson", "".join(_order_row(n, f"{e}@example.com") for n, e in feed))

    # when
    status, _, err = run("import_orders", path)

    # then: that row is reported on its line; the orders around it are kept
    assert status == 1, err
    assert "line 2, row: The database refused this row" in err
    assert sorted(Order.objects.values_list("number", flat=True)) == ["W-1", "W-3"]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_unexpected_failure_of_the_order_import_exits_3_naming_the_line(write, refusing_trigger):
    # given: a feed whose second order fails in a way that is no data or integrity error
    ChannelFactory(code="web")
    refusing_trigger("P0001")
    feed = [("W-1", "good1"), ("W-2", "refused"), ("W-3", "good2")]
    path = write("orders.ndjson", "".join(_order_row(n, f"{e}@example.com") for n, e in feed))

    # when
    status, _, err = run("import_orders", path)

    # then: exit 3 naming line 2, no traceback; the order before it is kept
    assert status == 3
    assert re.search(r"The import stopped at line 2: \w+Error\.", err)
    assert "Traceback" not in err
    assert list(Order.objects.values_list("number", flat=True)) == ["W-1"]
