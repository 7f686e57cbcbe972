"""A real PostgreSQL streaming replica of the test server, and a Patron server that reads from it.

`streaming_replica` copies the running cluster with pg_basebackup (-R: it follows the primary)
into a temporary directory and starts it on a free port as the `postgres` system user. It needs
PostgreSQL on 127.0.0.1 and a host allowed to replicate: as root, the fixture adds
`host replication all 127.0.0.1/32 trust` to pg_hba.conf and reloads (CI runs as root);
elsewhere the tests are skipped with the reason.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
REPLICATION_RULE = "host replication all 127.0.0.1/32 trust"
STARTUP_SECONDS = 120
# The replica streams through a slot, so that the primary keeps the WAL it has not yet read
# however busy the machine is; the slot is dropped with the replica.
SLOT_PREFIX = "patron_test_replica_"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _user() -> str:
    return connection.settings_dict.get("USER") or "root"


def _primary_port() -> int:
    return int(connection.settings_dict.get("PORT") or 5432)


def _primary_dsn(dbname: str) -> str:
    return f"host=127.0.0.1 port={_primary_port()} user={_user()} dbname={dbname}"


def _why_no_replica() -> str:
    """'' when a replica can be made here, else why not."""
    if connection.vendor != "postgresql":
        return "read replicas are a PostgreSQL feature"
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        return "starting a replica cluster needs root (to run it as the postgres user)"
    return ""


def _allow_replication() -> None:
    """Let 127.0.0.1 replicate (pg_hba.conf), then reload the server's configuration."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW hba_file")
        hba_file = Path(cursor.fetchone()[0])
        if REPLICATION_RULE not in hba_file.read_text().splitlines():
            with hba_file.open("a") as handle:
                handle.write(f"\n# Patron's replica tests\n{REPLICATION_RULE}\n")
            cursor.execute("SELECT pg_reload_conf()")
            time.sleep(1)


def _idle_slots_drop() -> None:
    """Drop the slots of replicas that are gone (this run's, or a killed run's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
            " WHERE slot_name LIKE %s AND NOT active",
            [f"{SLOT_PREFIX}%"],
        )


# A standby refuses to replay with lower values than its primary's.
STANDBY_MINIMUMS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


def _settings_a_standby_must_match() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [list(STANDBY_MINIMUMS)]
        )
        return "".join(f"{name} = {value}\n" for name, value in cursor.fetchall())


def _bin(name: str) -> str:
    found = shutil.which(name) or next(iter(Path("/usr/lib/postgresql").glob(f"*/bin/{name}")), "")
    return str(found)


def _as_postgres(*command: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *command],
        check=True,
        capture_output=True,
        text=True,
        **kwargs,
    )


class Replica:
    def __init__(self, directory: Path, port: int):
        self.directory = directory
        self.port = port

    def dsn(self, dbname: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={_user()} dbname={dbname}"

    def url(self, dbname: str) -> str:
        return f"postgres://{_user()}@127.0.0.1:{self.port}/{dbname}"

    def execute(self, sql: str, dbname: str = "postgres"):
        with psycopg.connect(self.dsn(dbname), autocommit=True) as replica:
            return replica.execute(sql).fetchall()

    def replay_pause(self) -> None:
        self.execute("SELECT pg_wal_replay_pause()")

    def replay_resume(self) -> None:
        self.execute("SELECT pg_wal_replay_resume()")

    def catch_up(self, timeout: float = 180) -> None:
        """Wait until the replica has replayed everything the primary committed so far."""
        with psycopg.connect(_primary_dsn("postgres"), autocommit=True) as primary:
            target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            caught_up = self.execute(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0][0]
            if caught_up:
                return
            time.sleep(0.1)
        raise AssertionError(f"the replica did not reach {target} within {timeout} s")


@pytest.fixture(scope="session")
def streaming_replica(django_db_setup, django_db_blocker):
    why = _why_no_replica()
    if why:
        pytest.skip(why)
    slot = f"{SLOT_PREFIX}{os.getpid()}"
    with django_db_blocker.unblock():
        _allow_replication()
        _idle_slots_drop()
        standby_minimums = _settings_a_standby_must_match()
    directory = Path(tempfile.mkdtemp(prefix="patron-replica-"))
    shutil.chown(directory, "postgres", "postgres")
    directory.chmod(0o700)
    data = directory / "data"
    port = _free_port()
    _as_postgres(
        _bin("pg_basebackup"),
        "-h", "127.0.0.1", "-p", str(_primary_port()), "-U", _user(),
        "-D", str(data), "-X", "stream", "-R", "-c", "fast", "-C", "-S", slot,
        timeout=600,
    )  # fmt: skip
    # Debian keeps the configuration out of the data directory: the replica gets its own.
    (data / "postgresql.conf").write_text(
        f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{directory}'\n"
        "hot_standby = on\nshared_buffers = 32MB\n"
        f"{standby_minimums}"
        f"hba_file = '{data}/pg_hba.conf'\nident_file = '{data}/pg_ident.conf'\n"
    )
    (data / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\nlocal all all trust\n")
    (data / "pg_ident.conf").write_text("")
    for path in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
        shutil.chown(data / path, "postgres", "postgres")
    try:
        _as_postgres(
            _bin("pg_ctl"), "-D", str(data), "-l", str(directory / "server.log"),
            "-w", "-t", str(STARTUP_SECONDS), "start",
            timeout=STARTUP_SECONDS + 10,
        )  # fmt: skip
    except subprocess.CalledProcessError as error:
        log = (directory / "server.log").read_text() if (directory / "server.log").exists() else ""
        shutil.rmtree(directory, ignore_errors=True)
        raise AssertionError(f"the replica did not start: {error.stderr}\n{log}") from None
    replica = Replica(directory, port)
    try:
        assert replica.execute("SELECT pg_is_in_recovery()") == [(True,)]
        yield replica
    finally:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                _bin("pg_ctl"),
                "-D",
                str(data),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(directory, ignore_errors=True)
        with django_db_blocker.unblock():
            _idle_slots_drop()


class Server:
    """A gunicorn running Patron with DATABASE_REPLICA_URLS pointing at the replica."""

    def __init__(self, replica: Replica, log: Path, sticky_seconds: int, **environment: str):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        dbname = connection.settings_dict["NAME"]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"postgres://{_user()}@127.0.0.1:{_primary_port()}/{dbname}",
            "DATABASE_REPLICA_URLS": replica.url(dbname),
            "REPLICA_STICKY_SECONDS": str(sticky_seconds),
            "CONN_MAX_AGE": "0",
            **environment,
        }
        self.log = log
        with open(log, "ab") as handle:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "gunicorn", "config.wsgi",
                    "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "4",
                ],
                env=env, cwd=ROOT, stdout=handle, stderr=handle,
            )  # fmt: skip
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited: {self.log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=5)
                return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"the server did not start: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
