"""Real processes joined by a pipe: `export_customers - | import_customers -` (PostgreSQL).

The children need committed data, so these tests commit (transaction=True); SQLite's test
database lives in memory and cannot be shared with a child process.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from customers.models import Channel, Customer
from tests.servers import database_url_of

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs a database a child process can share",
    ),
]

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    url = database_url_of(connection.settings_dict)
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_export_to_stdout_piped_into_import_from_stdin():
    # given
    channel = Channel.objects.create(code="web", name="Web")
    Customer.objects.create(channel=channel, email="a@example.com", first_name="Ann")

    # when: the export's stdout...
    export = _manage("export_customers", "-", "--format", "ndjson")

    # then: ...is the file and nothing else
    assert export.returncode == 0, export.stderr
    [row] = [json.loads(line) for line in export.stdout.decode().splitlines()]
    assert (row["email"], row["first_name"]) == ("a@example.com", "Ann")
    assert b"Exported 1 customers to stdout." in export.stderr

    # when: fed to the import's stdin after a change
    Customer.objects.update(first_name="Changed")
    imported = _manage("import_customers", "-", "--format", "ndjson", stdin=export.stdout)

    # then
    assert imported.returncode == 0, imported.stderr
    assert b"0 created, 1 updated, 0 unchanged, 0 rejected" in imported.stdout
    assert Customer.objects.get().first_name == "Ann"
