"""A real `manage.py import_customers` process, killed mid-way, then run again (PostgreSQL).

The child needs committed data, so these tests commit (transaction=True); SQLite's test
database lives in memory and cannot be shared with a child process.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from customers.imports import customers_import
from customers.models import Address, Channel, Customer
from tests.imports.helpers import run, state
from tests.servers import database_url_of

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs a database a child process can share",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
ROWS, BATCH = 6_000, 200


def test_killed_import_leaves_whole_batches_and_reruns_to_a_clean_state(tmp_path):
    # given
    Channel.objects.create(code="web", name="Web")
    path = tmp_path / "big.csv"
    lines = ["email,first_name,address.city"]
    lines += [f"c{n}@example.com,N{n},City {n}" for n in range(ROWS)]
    path.write_text("\n".join(lines) + "\n")
    env = {**os.environ, "DATABASE_URL": database_url_of(connection.settings_dict), "DEBUG": "1"}
    command = [sys.executable, "manage.py", "import_customers", str(path)]
    command += ["--channel", "web", "--batch-size", str(BATCH)]

    # when: killed once a few batches are in
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while Customer.objects.count() < 3 * BATCH and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()

    # then: only whole batches (each writer commits its share of a batch at once): every
    # customer kept has its address and its history, nothing else is left half-written
    kept = Customer.objects.count()
    assert 0 < kept < ROWS
    assert Address.objects.count() == kept
    assert Customer.history.filter(history_type="+").count() == kept
    assert Address.history.filter(history_type="+").count() == kept

    # when: simply run again
    code, out, _ = run("import_customers", str(path), channel="web", batch_size=BATCH)

    # then: the same end state as one clean import
    assert code == 0
    assert f"{ROWS - kept} created, 0 updated, {kept} unchanged, 0 rejected" in out
    rerun = state()
    # Emptied at once (a delete through the ORM, row by row with its history and events, took
    # most of this test's time); the clean import below then starts from nothing.
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Customer._meta.db_table} CASCADE")
    run("import_customers", str(path), channel="web", batch_size=BATCH)
    assert state() == rerun
    assert len(rerun) == ROWS


def test_an_error_while_writing_on_the_second_connection_reaches_the_caller():
    # given
    Channel.objects.create(code="web", name="Web")
    rows = [(n + 2, {"email": f"c{n}@example.com"}, {}) for n in range(100)]

    def fail_after_two_batches(result):
        if result.rows >= 20:
            raise RuntimeError("disk full")

    # when
    with pytest.raises(RuntimeError, match="disk full"):
        customers_import(
            rows, default_channel="web", batch_size=10, on_batch=fail_after_two_batches
        )

    # then: the import stopped soon after (each writer may finish a share it was handed)
    kept = Customer.objects.count()
    assert 20 <= kept <= 50
