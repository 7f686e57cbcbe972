"""Bounded cost on PostgreSQL: a request's statements are cancelled at the statement timeout
(503 with Retry-After, nothing written) and run without JIT; commands have their own timeout."""

import json
import subprocess
import sys
import time

import psycopg
import pytest
from django.db import connection

from config.database import (
    STATEMENT_TIMEOUT,
    postgres_session_options,
    process_serves_requests,
)
from tests.customers.factories import CustomerFactory
from tests.servers import ROOT, database_url_of, manage

TIMEOUT_MS = 400

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statement timeouts and JIT are PostgreSQL's"
)


@pytest.mark.parametrize(
    ("argv", "serves"),
    [
        pytest.param(["gunicorn", "config.wsgi"], True, id="gunicorn"),
        pytest.param(["manage.py", "runserver"], True, id="runserver"),
        pytest.param(["/srv/patron/manage.py", "import_customers", "a.csv"], False, id="import"),
        pytest.param(["manage.py", "db_worker"], False, id="task-worker"),
        pytest.param(["manage.py", "export_customers"], False, id="export"),
    ],
)
def test_requests_and_commands_are_told_apart(argv, serves):
    assert process_serves_requests(argv) is serves


def test_session_options():
    assert postgres_session_options(statement_timeout_ms=5000, jit=False) == (
        "-c statement_timeout=5000 -c jit=off"
    )
    assert postgres_session_options(statement_timeout_ms=0, jit=True) == ""
    assert postgres_session_options(statement_timeout_ms=0, jit=True, parallel_workers=0) == (
        "-c max_parallel_workers_per_gather=0"
    )


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


@on_postgres
@pytest.mark.django_db
def test_request_connections_have_the_timeout_and_no_jit_or_parallel_workers(api_client):
    assert api_client.get("/api/v1/customers/").status_code == 200

    assert _setting("statement_timeout") == "1min"  # the test settings' 60000 ms
    assert _setting("jit") == "off"
    assert _setting("max_parallel_workers_per_gather") == "0"


def _command_settings(**env: str) -> list[str]:
    code = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('SHOW statement_timeout'); a = c.fetchone()[0]; "
        "c.execute('SHOW jit'); b = c.fetchone()[0]; "
        "c.execute('SHOW max_parallel_workers_per_gather'); print(a, b, c.fetchone()[0])"
    )
    url = database_url_of(connection.settings_dict)
    environment = {"PATH": "/usr/bin:/bin", "DEBUG": "1", "DATABASE_URL": url, **env}
    return manage("shell", "-c", code, env=environment).splitlines()[-1].split()


@on_postgres
@pytest.mark.django_db
def test_commands_have_no_timeout_by_default_and_keep_jit_and_parallel_workers():
    assert _command_settings() == ["0", "on", "2"]


@on_postgres
@pytest.mark.django_db
def test_commands_take_their_own_timeout():
    assert _command_settings(COMMAND_STATEMENT_TIMEOUT_MS="60000")[0] == "1min"


@pytest.fixture
def short_timeout(settings):
    """Requests of this thread get a TIMEOUT_MS statement timeout (a fresh connection)."""
    options = connection.settings_dict.setdefault("OPTIONS", {})
    saved = options.get("options")
    options["options"] = postgres_session_options(statement_timeout_ms=TIMEOUT_MS, jit=False)
    settings.REQUEST_STATEMENT_TIMEOUT_MS = TIMEOUT_MS
    connection.close()
    yield
    options["options"] = saved
    connection.close()


@pytest.fixture
def table_locked():
    """Another session holds customers' table in ACCESS EXCLUSIVE mode: every statement on it
    waits, as a slow query would, until this session ends."""
    database = connection.settings_dict
    other = psycopg.connect(
        host=database["HOST"], port=database["PORT"], user=database["USER"],
        dbname=database["NAME"],
    )  # fmt: skip

    class Lock:
        def take(self):
            other.execute("LOCK TABLE customers_customer IN ACCESS EXCLUSIVE MODE")

        def release(self):
            other.rollback()

    yield Lock()
    other.rollback()
    other.close()


def _assert_cancelled(response, started: float) -> None:
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response["Retry-After"] == "5"  # DATABASE_RETRY_AFTER's default
    assert TIMEOUT_MS / 1000 <= elapsed < 5
    assert STATEMENT_TIMEOUT.format(timeout_ms=TIMEOUT_MS) in response.content.decode()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_slow_list_is_cancelled_at_the_timeout(api_client, short_timeout, table_locked):
    # given
    CustomerFactory.create_batch(3)
    table_locked.take()

    # when
    started = time.monotonic()
    response = api_client.get("/api/v1/customers/", {"q": "example"})

    # then
    _assert_cancelled(response, started)
    assert response.json() == {"detail": STATEMENT_TIMEOUT.format(timeout_ms=TIMEOUT_MS)}


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_slow_write_is_cancelled_and_writes_nothing(api_client, short_timeout, table_locked):
    customer = CustomerFactory(first_name="Ann")
    table_locked.take()

    started = time.monotonic()
    response = api_client.patch(f"/api/v1/customers/{customer.pk}/", {"first_name": "Bea"})

    _assert_cancelled(response, started)
    table_locked.release()
    customer.refresh_from_db()
    assert (customer.first_name, customer.version) == ("Ann", 1)


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_slow_admin_page_is_cancelled_at_the_timeout(
    client, superuser, short_timeout, table_locked
):
    client.force_login(superuser)
    table_locked.take()

    started = time.monotonic()
    response = client.get("/admin/customers/customer/")

    _assert_cancelled(response, started)


def test_the_primary_and_read_replicas_get_the_default_request_options():
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({a: d['OPTIONS'].get('options') for a, d in settings.DATABASES.items()}))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "1",
        "DATABASE_URL": "postgres://root@127.0.0.1:5432/primary",
        "DATABASE_REPLICA_URLS": "postgres://root@127.0.0.1:5433/replica",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    # REQUEST_STATEMENT_TIMEOUT_MS's and REQUEST_PARALLEL_WORKERS's defaults
    expected = "-c statement_timeout=5000 -c jit=off -c max_parallel_workers_per_gather=0"
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "default": expected,
        "replica_1": expected,
    }
