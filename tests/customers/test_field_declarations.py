"""Each customer and address field is declared once, on the model; every write path follows.

A concrete field is either written (checked, stored, imported, exported, shown to staff) or
named in the model's explicit list of unwritten fields: nothing is left in between.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from customers.admin import CustomerAdmin, CustomerAdminForm, fieldsets_missing
from customers.api.serializers import CustomerAddressSerializer, CustomerSerializer
from customers.exports import CSV_HEADER
from customers.imports import rows, writers
from customers.models import (
    ADDRESS_FLAG_FIELDS,
    ADDRESS_TEXT_FIELDS,
    ADDRESS_UNWRITTEN_FIELDS,
    CUSTOMER_EDITABLE_FIELDS,
    CUSTOMER_UNWRITTEN_FIELDS,
    Address,
    Customer,
)
from customers.search import SEARCH_COLUMN

PROJECT = Path(__file__).resolve().parents[2]
# What the copy leaves out: history, databases, caches and every virtualenv. CI installs the
# second Python's (.venv-3.13, some hundred MB) in the checkout while this test runs.
NOT_COPIED = (".git", ".venv*", "*.sqlite3", "__pycache__", "*_cache", ".hypothesis", "media")
NEW_FIELD = '    loyalty_tier = models.CharField(max_length=32, blank=True, default="")\n'


def _names(model) -> set[str]:
    return {f.name for f in model._meta.concrete_fields}


def test_every_customer_field_is_written_or_explicitly_unwritten():
    assert _names(Customer) >= CUSTOMER_UNWRITTEN_FIELDS, "a stale name in the unwritten list"
    assert set(CUSTOMER_EDITABLE_FIELDS) == _names(Customer) - CUSTOMER_UNWRITTEN_FIELDS


def test_every_address_field_is_written_or_explicitly_unwritten():
    written = {*ADDRESS_TEXT_FIELDS, *ADDRESS_FLAG_FIELDS}
    assert _names(Address) >= ADDRESS_UNWRITTEN_FIELDS
    assert written == _names(Address) - ADDRESS_UNWRITTEN_FIELDS


@pytest.mark.parametrize("name", CUSTOMER_EDITABLE_FIELDS)
def test_every_written_customer_field_reaches_every_path(name):
    writable = {n for n, f in CustomerSerializer().fields.items() if not f.read_only}
    assert name in rows._CLEANERS, "the row check"
    assert name in writers.WRITTEN, "the bulk writer"
    assert name in CSV_HEADER, "the CSV export (and so the CSV import)"
    assert name in CustomerAdminForm.base_fields, "the admin form"
    assert not fieldsets_missing(CustomerAdmin.fieldsets, [name]), "the admin page"
    assert name in writable, "the API"


@pytest.mark.parametrize("name", [*ADDRESS_TEXT_FIELDS, *ADDRESS_FLAG_FIELDS])
def test_every_written_address_field_reaches_every_path(name):
    assert name in rows.ADDRESS_FIELDS
    assert name in CSV_HEADER or f"address.{name}" in CSV_HEADER
    assert name in CustomerAddressSerializer().fields


@pytest.mark.django_db
def test_the_new_customer_copy_writes_every_column_the_table_has():
    """COPY names every column of the table, from the model: none is left to chance, but the
    one PostgreSQL writes itself (the stored search document, which no writer may name)."""
    table = Customer._meta.db_table
    generated = set()
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, table)}
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass"
                " AND attgenerated <> '' AND NOT attisdropped",
                [table],
            )
            generated = {name for (name,) in cursor.fetchall()}
            assert generated == {SEARCH_COLUMN}
    assert set(writers._NEW_COLUMNS) == columns - generated
    assert len(writers._NEW_COLUMNS) == len(columns - generated)


PROBE = """
import io, json

import pytest
from django.core.management import call_command

from customers.admin import CustomerAdmin, CustomerAdminForm, fieldsets_missing
from customers.imports.rows import RowInvalid
from customers.models import Channel, Customer
from customers.services import customer_create, customer_update, customers_upsert

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_new_field_is_written_by_every_path(tmp_path, django_user_model):
    Channel.objects.create(code="web", name="Web")
    user = django_user_model.objects.create_superuser("admin", password="pw")
    ndjson = tmp_path / "a.ndjson"
    ndjson.write_text(json.dumps({"channel": "web", "email": "a@x.com", "loyalty_tier": "gold"}))
    call_command("import_customers", str(ndjson), stdout=io.StringIO())
    csv = tmp_path / "b.csv"
    csv.write_text("channel,email,loyalty_tier\\nweb,b@x.com,silver\\nweb,a@x.com,platinum\\n")
    call_command("import_customers", str(csv), stdout=io.StringIO())
    customers_upsert(items=[{"channel": "web", "email": "c@x.com", "loyalty_tier": "x"}], user=user)
    made = customer_create(
        data={"channel": "web", "email": "d@x.com", "loyalty_tier": "y"}, user=user
    )
    customer_update(customer=made, data={"loyalty_tier": "z"}, user=user, partial=True)
    with pytest.raises(RowInvalid) as refused:
        customer_create(
            data={"channel": "web", "email": "e@x.com", "loyalty_tier": "z" * 33}, user=user
        )

    assert dict(Customer.objects.values_list("email", "loyalty_tier")) == {
        "a@x.com": "platinum", "b@x.com": "silver", "c@x.com": "x", "d@x.com": "z",
    }
    assert list(refused.value.errors) == ["loyalty_tier"]
    exported = tmp_path / "out.csv"
    call_command("export_customers", str(exported), stdout=io.StringIO())
    assert "loyalty_tier" in exported.read_text().splitlines()[0].split(",")
    assert "loyalty_tier" in CustomerAdminForm.base_fields
    assert not fieldsets_missing(CustomerAdmin.fieldsets, ["loyalty_tier"])
"""


def _database_url() -> str | None:
    if connection.vendor != "postgresql":
        return None  # SQLite: the probe's own in-memory test database
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/new_field"


def test_a_new_model_field_needs_only_its_migration(tmp_path):
    """Add a CharField to Customer in a copy of the project, make its migration, and nothing
    else: imports (CSV, NDJSON), the upsert, create, update, export and admin all handle it."""
    # given: a copy of the project with one more field and its migration
    copy = tmp_path / "patron"
    shutil.copytree(PROJECT, copy, ignore=shutil.ignore_patterns(*NOT_COPIED))
    models_py = copy / "customers" / "models.py"
    source = models_py.read_text()
    anchor = (
        "    extra_field = models.JSONField("
        'default=dict, blank=True, verbose_name=_("extra field"))\n'
    )
    assert anchor in source
    models_py.write_text(source.replace(anchor, anchor + NEW_FIELD, 1))
    (copy / "tests" / "test_new_field_probe.py").write_text(PROBE)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env.pop("DATABASE_URL", None)
    if url := _database_url():
        env["DATABASE_URL"] = url
    run = {"cwd": copy, "env": env, "capture_output": True, "text": True, "timeout": 300}
    made = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "customers", "-n", "loyalty"], **run
    )
    assert made.returncode == 0, made.stderr

    # when
    probe = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--create-db"]
        + ["tests/test_new_field_probe.py"],
        **run,
    )

    # then
    assert probe.returncode == 0, probe.stdout[-4000:] + probe.stderr[-2000:]
    assert "1 passed" in probe.stdout
