"""Patron against its alternatives and its previous release, in one interleaved run (issue 21).

    .venv/bin/python bench/compare.py [--rows 100000] [--slow-rows 2000] [--customers 200000]
        [--rounds 3] [--part all|import|reads] [--no-costs] [--variants A,B] [--keep]

PostgreSQL on 127.0.0.1 as root (COMPARE_PG overrides the server URL); every database it
makes is named compare_* (COMPARE_DB_PREFIX replaces `compare`) and dropped at the end unless
--keep. The previous release (commit
e5a7f0f) is checked out as a git worktree at --old (made if absent, removed at the end unless
--keep) and runs with this virtualenv, on its own database migrated by its own migrations.

Import (`--rows`, default 100,000; `--rows 1000000` for the full figure): the same
deterministic CSV (bench/import_bench.py) as all creates into emptied tables, then its variant
that changes every row (all updates). Each round runs, one after the other: Patron now
(`import_customers`), Patron now with `--defer-indexes never` (what deferred index builds
buy), Patron at e5a7f0f, django-import-export (a minimal ModelResource,
bench/alternatives/imports.py), an `update_or_create` loop, and the SQL floor (COPY into a
staging table, one INSERT ... SELECT ... ON CONFLICT for customers and one for their addresses,
one connection, no Python per row). The last two alternatives are ~40-60x slower: they import
`--slow-rows` rows and their rows/s is extrapolated. Every import is a child process: wall
time includes its start-up, peak RSS is its own (os.wait4). "Searchable" is the time from the
import's end until `GET /api/v1/customers/?q=<the file's last e-mail>` (the running app on
that database) finds the row. With costs (the default; --no-costs skips them), the same
rounds also run Patron with EVENTS_ENABLED=0, Patron and the floor on a copy of the schema
without the trigram search index, and the floor plus the history rows Patron writes.

Reads (`--customers`, default 200,000, built by `seed_demo --fast`; the e5a7f0f database
gets the same rows copied column by column): list page 1 (50 rows) from Patron (gunicorn with
config/gunicorn.py, as `make serve`), Patron at e5a7f0f (its own gunicorn and database), a
plain DRF ModelViewSet (bench/alternatives/drf_*, the same tables) and the raw floor
(bench/alternatives/raw_wsgi.py: one SQL query + orjson, the same gunicorn settings). Each
round: one keep-alive client (--requests requests after a warm-up; p50, p95) for every
target, then 8 concurrent keep-alive clients for --seconds seconds (req/s, p99) for every
target. Figures are medians over the rounds; ratios come from those medians.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
import servers
from import_bench import CHANNEL, GROUPS, HEADER, csv_generate

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
OLD_COMMIT = "e5a7f0f"
SERVER = os.environ.get("COMPARE_PG", "postgres://root@127.0.0.1:5432")
SEARCH_TIMEOUT = 120.0
CUSTOMER_TABLES = (
    "customers_customer, customers_address, groups_usercustomergroup, orders_order, "
    "orders_orderitem, orders_ordercustomdata, customers_historicalcustomer, "
    "customers_historicaladdress, groups_historicalusercustomergroup"
)
NOT_COPIED = re.compile(
    r"^(django_|auth|authtoken_|knox_|axes_|otp_|events_|webhooks_|jobs_|patron_cache)|historical"
)


# Another prefix for every database this script makes (COMPARE_DB_PREFIX=is_compare), so
# two runs on one server keep apart.
PREFIX = os.environ.get("COMPARE_DB_PREFIX", "compare")


def db_name(name: str) -> str:
    """The database the script calls `compare_...`, under PREFIX."""
    return PREFIX + name.removeprefix("compare") if name.startswith("compare_") else name


def url(database: str) -> str:
    return f"{SERVER}/{db_name(database)}"


# ---------------------------------------------------------------- databases and checkouts


def database_make(name: str, template: str | None = None) -> None:
    name, template = db_name(name), template and db_name(template)
    with psycopg.connect(url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def database_drop_all() -> None:
    """Drop every PREFIX_* database (the scratch databases of this script)."""
    with psycopg.connect(url("postgres"), autocommit=True) as conn:
        names = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{PREFIX}\\_%"]
        ).fetchall()
        for (name,) in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"dropped {len(names)} {PREFIX}_* databases")


def database_exists(name: str) -> bool:
    with psycopg.connect(url("postgres")) as conn:
        return bool(
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name(name)]).fetchone()
        )


def manage(checkout: Path, database: str, *arguments: str, env: dict | None = None) -> str:
    environment = {**os.environ, "DATABASE_URL": url(database), "DEBUG": "1", **(env or {})}
    done = subprocess.run(
        [PYTHON, "manage.py", *arguments],
        cwd=checkout,
        env=environment,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(arguments)} failed: {done.stderr[-2000:]}")
    return done.stdout


def old_checkout(path: Path) -> None:
    if not (path / "manage.py").exists():
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), OLD_COMMIT],
            check=True,
        )


def templates_make(old: Path) -> None:
    """compare_new and compare_old: empty schemas migrated by each checkout's migrations."""
    for name, checkout in (("compare_new", ROOT), ("compare_old", old)):
        if not database_exists(name):
            database_make(name)
        manage(checkout, name, "migrate", "--noinput")
        manage(checkout, name, "createcachetable")  # throttle counters, as `make serve` does
        print(f"{name}: migrated by {checkout}", flush=True)


def import_prepare(database: str) -> None:
    """Empty the customer tables (history included); make the bench channel and groups."""
    with psycopg.connect(url(database), autocommit=True) as conn:
        present = {
            row[0]
            for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        tables = [name for name in CUSTOMER_TABLES.split(", ") if name in present]
        conn.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        if "events_event" in present:
            conn.execute("TRUNCATE events_event CASCADE")
        _row_insert(
            conn,
            "customers_channel",
            {"code": CHANNEL, "name": "Bench", "currency": "BRL", "is_active": True},
        )
        for code in GROUPS:
            _row_insert(
                conn,
                "groups_usergroup",
                {
                    "code": code,
                    "title": code.title(),
                    "description": "",
                    "visibility": "private",
                    "subscribe_text": "",
                },
            )
        conn.execute("VACUUM ANALYZE customers_customer")


# Columns one release has and the other has not, filled where the table has them.
_LATER_COLUMNS = {
    "version": 1,
    "language": "pt-br",
    "time_zone": "America/Sao_Paulo",
    "set_password_url": "",
    "country": "",
}


def _row_insert(conn, table: str, values: dict) -> None:
    """Insert a row keyed by `code` unless present, with the columns this schema has."""
    values = {**values, "created_at": "now()", "updated_at": "now()"}
    values |= {
        name: value for name, value in _LATER_COLUMNS.items() if _has_column(conn, table, name)
    }
    names = ", ".join(values)
    marks = ", ".join("now()" if value == "now()" else "%s" for value in values.values())
    params = [value for value in values.values() if value != "now()"]
    conn.execute(
        f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT (code) DO NOTHING", params
    )


def _has_column(conn, table: str, column: str) -> bool:
    return bool(
        conn.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
            [table, column],
        ).fetchone()
    )


def rows_copy(source: str, target: str) -> None:
    """Copy every data table's rows from one database to the other, the columns both have.

    One transaction on the target: the foreign keys are DEFERRABLE INITIALLY DEFERRED, so
    they are checked once, at commit.
    """
    with psycopg.connect(url(source)) as src, psycopg.connect(url(target)) as dst:
        tables = [
            row[0]
            for row in dst.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
            if not NOT_COPIED.search(row[0])
        ]
        dst.execute("TRUNCATE " + ", ".join(f'"{table}"' for table in tables) + " CASCADE")
        for table in tables:
            columns = _columns(src, table) & _columns(dst, table)
            if not columns:
                continue
            names = ", ".join(f'"{name}"' for name in sorted(columns))
            with (
                src.cursor().copy(f'COPY (SELECT {names} FROM "{table}") TO STDOUT') as out,
                dst.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as into,
            ):
                for chunk in out:
                    into.write(chunk)
    with psycopg.connect(url(target), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _columns(conn, table: str) -> set[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s", [table]
    ).fetchall()
    return {row[0] for row in rows}


# ---------------------------------------------------------------- servers and HTTP clients


@dataclass
class Server:
    label: str
    checkout: Path
    database: str
    app: str
    path: str
    token: str = ""
    port: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, port: int) -> None:
        self.port = port
        env = {
            "DATABASE_URL": url(self.database),
            # The throttle would cut the 8-client runs short; the same for both releases.
            "API_THROTTLE_RATE": "1000000/min",
        }
        self.process = servers.server_start(
            self.checkout, port, app=self.app, env=env, name=f"{self.label}: gunicorn"
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
            self.process = None


class Client:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int, token: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Accept": "application/json"}
        if token:
            self.headers["Authorization"] = f"Token {token}"

    def get(self, path: str) -> tuple[float, int, bytes]:
        started = time.perf_counter()
        self.connection.request("GET", path, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        return (time.perf_counter() - started) * 1000, response.status, body


def api_token(checkout: Path, database: str) -> str:
    output = manage(checkout, database, "create_api_token", "compare-bench", "--superuser")
    return output.strip().splitlines()[-1].strip()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# ---------------------------------------------------------------- import variants


@dataclass
class Variant:
    label: str
    database: str
    command: list[str]
    checkout: Path = ROOT
    slow: bool = False
    env: dict = field(default_factory=dict)
    search: Server | None = None


_OWN_SECONDS = re.compile(r" in ([0-9.]+) s\b")
_REBUILT = re.compile(r"Deferred indexes rebuilt in ([0-9.]+) s")


def import_child(variant: Variant, path: Path) -> tuple[float, float, int]:
    """Run one import as a child process; return (wall s, its own s, peak RSS in MB).

    Its own seconds come from its summary line ("... in S s"): the import without the
    process start-up (Django and its apps load in 2-6 s on a busy machine).
    """
    env = {**os.environ, "DATABASE_URL": url(variant.database), "DEBUG": "1", **variant.env}
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as errors:
        # stderr apart: import_customers reports progress there, its summary on stdout.
        child = subprocess.Popen(
            [*variant.command, str(path)],
            cwd=variant.checkout,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.monotonic() - started
        errors.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{variant.label} failed on {path}: {output}{errors.read()[-3000:]}")
        # import_customers -v 2: the deferred indexes' rebuild, part of its own seconds.
        for rebuilt in _REBUILT.findall(errors.read()):
            print(f"  {variant.label}, {path.name}: deferred indexes rebuilt in {rebuilt} s")
    own = _OWN_SECONDS.findall(output)
    if not own:
        raise SystemExit(f"{variant.label}: no timing in its output: {output[-1000:]}")
    return seconds, float(own[-1]), usage.ru_maxrss // 1024


def searchable_seconds(server: Server, email: str) -> float | None:
    """Seconds from now until the API's search finds `email`; None past SEARCH_TIMEOUT."""
    started = time.monotonic()
    client = Client(server.port, server.token)
    while time.monotonic() - started < SEARCH_TIMEOUT:
        _, status, body = client.get(f"{server.path}?q={quote(email)}")
        if status == 200 and email.encode() in body:
            return time.monotonic() - started
        time.sleep(0.05)
    return None


# The floor: what the database must do for the same rows, with no Python per row. The match
# keys (duplicates) are SQL approximations good for the bench file (its phones are written
# with +55), so the floor writes their indexes too; the address key stays blank.
FLOOR_CUSTOMERS = """
INSERT INTO customers_customer (created_at, updated_at, email, first_name, last_name, company,
  phone, phone_secondary, identification, note, status, gender, user_type, date_of_birth,
  date_joined, email_allowed, sms_allowed, call_allowed, discount_percent,
  preferred_shipping_method, erp_code, channel_code, attributes, extra_field, password,
  orders_count, total_spent, total_spent_currency, channel_id, version, language,
  email_key, phone_key, identification_key, name_key, address_key)
SELECT now(), now(), lower(s.email), s.first_name, s.last_name, '', s.phone, '', '', '',
  'active', s.gender, 'guest', s.date_of_birth::date, now(), s.email_allowed::boolean, false,
  false, 0, '', s.erp_code, '', s.attributes::jsonb, '{}', '', 0, 0, 'BRL', ch.id, 1, '',
  lower(s.email), '+' || regexp_replace(s.phone, '[^0-9]', '', 'g'), '',
  lower(s.first_name || ' ' || s.last_name), ''
FROM compare_stage s CROSS JOIN customers_channel ch WHERE ch.code = %s
ON CONFLICT (channel_id, email) DO UPDATE SET first_name = EXCLUDED.first_name,
  last_name = EXCLUDED.last_name, phone = EXCLUDED.phone, gender = EXCLUDED.gender,
  phone_key = EXCLUDED.phone_key, name_key = EXCLUDED.name_key,
  date_of_birth = EXCLUDED.date_of_birth, email_allowed = EXCLUDED.email_allowed,
  erp_code = EXCLUDED.erp_code, attributes = EXCLUDED.attributes, updated_at = now(),
  version = customers_customer.version + 1
WHERE (customers_customer.first_name, customers_customer.last_name, customers_customer.phone,
  customers_customer.gender, customers_customer.date_of_birth, customers_customer.email_allowed,
  customers_customer.erp_code, customers_customer.attributes)
  IS DISTINCT FROM (EXCLUDED.first_name, EXCLUDED.last_name, EXCLUDED.phone, EXCLUDED.gender,
  EXCLUDED.date_of_birth, EXCLUDED.email_allowed, EXCLUDED.erp_code, EXCLUDED.attributes)
"""
FLOOR_ADDRESSES = """
WITH staged AS (
  SELECT c.id AS customer_id, s.* FROM compare_stage s
  JOIN customers_channel ch ON ch.code = %s
  JOIN customers_customer c ON c.channel_id = ch.id AND c.email = lower(s.email)
), changed AS (
  UPDATE customers_address a SET address = s."address.address", number = s."address.number",
    city = s."address.city", zipcode = s."address.zipcode", country = s."address.country",
    updated_at = now(), version = a.version + 1
  FROM staged s WHERE a.customer_id = s.customer_id AND a.is_default
  RETURNING a.customer_id
)
INSERT INTO customers_address (created_at, updated_at, first_name, last_name, company, address,
  number, floor, address2, address3, locality, city, province, zipcode, country, phone,
  is_default, is_billing, customer_id, version)
SELECT now(), now(), '', '', '', s."address.address", s."address.number", '', '', '', '',
  s."address.city", '', s."address.zipcode", s."address.country", '', true, false,
  s.customer_id, 1
FROM staged s WHERE NOT EXISTS (SELECT 1 FROM customers_address a
  WHERE a.customer_id = s.customer_id AND a.is_default)
"""
# The history rows Patron writes for the same customers (one per created or changed row).
FLOOR_HISTORY = """
INSERT INTO customers_historicalcustomer (id, created_at, updated_at, email, username,
  first_name, last_name, company, phone, phone_secondary, identification, note, status, gender,
  user_type, date_of_birth, date_joined, email_allowed, sms_allowed, call_allowed,
  discount_percent, preferred_shipping_method, erp_code, channel_code, attributes, extra_field,
  last_login_at, history_date, history_type, channel_id, language)
SELECT c.id, c.created_at, c.updated_at, c.email, c.username, c.first_name, c.last_name,
  c.company, c.phone, c.phone_secondary, c.identification, c.note, c.status, c.gender,
  c.user_type, c.date_of_birth, c.date_joined, c.email_allowed, c.sms_allowed, c.call_allowed,
  c.discount_percent, c.preferred_shipping_method, c.erp_code, c.channel_code, c.attributes,
  c.extra_field, c.last_login_at, now(), CASE WHEN c.version = 1 THEN '+' ELSE '~' END,
  c.channel_id, c.language
FROM customers_customer c WHERE c.updated_at = now()
"""


def floor_run(path: Path, history: bool) -> None:
    """The SQL floor as a child: COPY the file into staging, then set-based statements."""
    columns = ", ".join(f'"{name}" text' for name in HEADER)
    started = time.monotonic()
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        conn.execute(f"CREATE TEMP TABLE compare_stage ({columns}) ON COMMIT DROP")
        with (
            conn.cursor() as cursor,
            path.open("rb") as handle,
            cursor.copy("COPY compare_stage FROM STDIN (FORMAT csv, HEADER)") as copy,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        conn.execute(FLOOR_CUSTOMERS, [CHANNEL])
        conn.execute(FLOOR_ADDRESSES, [CHANNEL])
        if history:
            conn.execute(FLOOR_HISTORY)
    print(f"done in {time.monotonic() - started:.2f} s")


# ---------------------------------------------------------------- the import comparison


def import_variants(args, old: Path, servers: dict[str, Server]) -> list[Variant]:
    manage_import = [PYTHON, "manage.py", "import_customers", "--channel", CHANNEL]
    floor = [PYTHON, str(Path(__file__).resolve()), "--floor"]
    alternative = [PYTHON, str(ROOT / "bench/alternatives/imports.py")]
    variants = [
        Variant(
            "Patron now", "compare_imp_new", [*manage_import, "-v", "2"], search=servers["new"]
        ),
        # What deferring the indexes buys (customers.imports.deferred_indexes).
        Variant(
            "Patron, indexes not deferred",
            "compare_imp_new",
            [*manage_import, "--defer-indexes", "never"],
            search=servers["new"],
        ),
        Variant(
            f"Patron {OLD_COMMIT}", "compare_imp_old", manage_import, old, search=servers["old"]
        ),
        Variant(
            "django-import-export",
            "compare_imp_new",
            [*alternative, "import-export"],
            slow=True,
            search=servers["new"],
        ),
        Variant(
            "update_or_create loop",
            "compare_imp_new",
            [*alternative, "update-or-create"],
            slow=True,
            search=servers["new"],
        ),
        Variant("SQL floor", "compare_imp_new", floor, search=servers["new"]),
    ]
    if args.costs:
        variants += [
            Variant(
                "Patron, events off", "compare_imp_new", manage_import, env={"EVENTS_ENABLED": "0"}
            ),
            Variant("Patron, no trigram index", "compare_imp_notrgm", manage_import),
            Variant(
                "SQL floor + history rows", "compare_imp_new", [*floor[:2], "--history", floor[2]]
            ),
            Variant("SQL floor, no trigram index", "compare_imp_notrgm", floor),
        ]
    return variants


def import_compare(args, old: Path) -> dict:
    database_make("compare_imp_new", "compare_new")
    database_make("compare_imp_old", "compare_old")
    if args.costs:
        database_make("compare_imp_notrgm", "compare_new")
        with psycopg.connect(url("compare_imp_notrgm"), autocommit=True) as conn:
            conn.execute("DROP INDEX customer_search_trgm")
    files = {}
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    for rows in sorted({args.rows, args.slow_rows}):
        base = Path(args.dir) / f"compare_{rows}.csv"
        files[rows] = (base, base.with_name(base.stem + "-changed.csv"))
        if not base.exists():
            csv_generate(base, rows)
            csv_generate(files[rows][1], rows, variant=1)
    servers = {
        "new": Server("Patron now", ROOT, "compare_imp_new", "config.wsgi", "/api/v1/customers/"),
        "old": Server(
            f"Patron {OLD_COMMIT}", old, "compare_imp_old", "config.wsgi", "/api/v1/customers/"
        ),
    }
    for number, server in enumerate(servers.values()):
        server.token = api_token(server.checkout, server.database)
        server.start(args.port + number)
    results: dict = {}
    try:
        for round_number in range(1, args.rounds + 1):
            for variant in import_variants(args, old, servers):
                if args.variants and variant.label not in args.variants:
                    continue
                rows = args.slow_rows if variant.slow else args.rows
                import_round(variant, rows, files[rows], round_number, results)
    finally:
        for server in servers.values():
            server.stop()
    return results


def import_round(variant: Variant, rows: int, files, round_number: int, results: dict) -> None:
    import_prepare(variant.database)
    last_email = _last_email(files[0])
    run = results.setdefault(variant.label, {"rows": rows, "search": []})
    for kind, path in zip(("creates", "updates"), files, strict=True):
        wall, seconds, peak = import_child(variant, path)
        run.setdefault(kind, []).append(seconds)
        run.setdefault(f"{kind} wall", []).append(wall)
        run.setdefault(f"{kind} rss", []).append(peak)
        line = (
            f"round {round_number} {variant.label:30} {kind}: {seconds:7.2f} s "
            f"(wall {wall:6.2f} s) {peak:4} MB"
        )
        if kind == "creates":
            line += _rows_check(variant.database, rows)
        if kind == "creates" and variant.search is not None:
            found = searchable_seconds(variant.search, last_email)
            run["search"].append(found)
            line += f", searchable after {found:.2f} s" if found is not None else ", NOT FOUND"
        print(line, flush=True)


def _rows_check(database: str, rows: int) -> str:
    """After the creates the table holds exactly the file's rows: a warning otherwise."""
    with psycopg.connect(url(database)) as conn:
        count = conn.execute("SELECT count(*) FROM customers_customer").fetchone()[0]
    return "" if count == rows else f" WRONG: {count} customers for {rows} rows"


def _last_email(path: Path) -> str:
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 4096))
        return handle.read().decode().strip().splitlines()[-1].split(",")[0]


def import_report(results: dict, args) -> None:
    print(
        f"\n## Import, {args.rows:,} rows ({args.slow_rows:,} for the slow), "
        f"{args.rounds} rounds: medians"
    )
    print(
        "| path | rows | creates s (wall) | creates rows/s | updates s (wall) | updates rows/s "
        "| peak RSS MB | searchable s | creates vs e5a7f0f | updates vs e5a7f0f "
        "| creates vs floor | updates vs floor |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rate = {
        label: {kind: run["rows"] / statistics.median(run[kind]) for kind in ("creates", "updates")}
        for label, run in results.items()
    }
    old, floor = rate.get(f"Patron {OLD_COMMIT}"), rate.get("SQL floor")
    for label, run in results.items():
        found = [value for value in run["search"] if value is not None]
        peak = max(run["creates rss"] + run["updates rss"])
        cells = [label, f"{run['rows']:,}"]
        for kind in ("creates", "updates"):
            own, wall = statistics.median(run[kind]), statistics.median(run[kind + " wall"])
            cells += [f"{own:.2f} ({wall:.1f})", f"{rate[label][kind]:,.0f}"]
        cells += [str(peak), f"{statistics.median(found):.2f}" if found else "-"]
        for base in (old, floor):
            for kind in ("creates", "updates"):
                cells.append(f"{rate[label][kind] / base[kind]:.2f}" if base else "-")
        print("| " + " | ".join(cells) + " |")


# ---------------------------------------------------------------- the read comparison


def reads_prepare(args, old: Path) -> None:
    customers = 0
    if database_exists("compare_reads_new"):
        with psycopg.connect(url("compare_reads_new")) as conn:
            customers = conn.execute("SELECT count(*) FROM customers_customer").fetchone()[0]
    if customers != args.customers:
        database_make("compare_reads_new", "compare_new")
        started = time.monotonic()
        manage(ROOT, "compare_reads_new", "seed_demo", "--fast", "--customers", str(args.customers))
        print(f"seeded {args.customers:,} customers in {time.monotonic() - started:.0f} s")
        database_make("compare_reads_old", "compare_old")
    if database_exists("compare_reads_old"):
        with psycopg.connect(url("compare_reads_old")) as conn:
            customers = conn.execute("SELECT count(*) FROM customers_customer").fetchone()[0]
    else:
        database_make("compare_reads_old", "compare_old")
        customers = 0
    if customers != args.customers:
        started = time.monotonic()
        rows_copy("compare_reads_new", "compare_reads_old")
        print(f"copied the rows to compare_reads_old in {time.monotonic() - started:.0f} s")


def concurrent_run(server: Server, clients: int, seconds: float) -> tuple[float, float, int]:
    """`clients` keep-alive clients for `seconds`; return (req/s, p99 ms, non-200 answers)."""
    latencies: list[float] = []
    failures = [0]
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()

    def work() -> None:
        client = Client(server.port, server.token)
        mine, bad = [], 0
        while time.perf_counter() < deadline:
            elapsed, status, _ = client.get(server.path)
            mine.append(elapsed)
            bad += status != 200
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return (
        len(latencies) / (time.perf_counter() - started),
        percentile(latencies, 0.99),
        failures[0],
    )


def single_run(server: Server, requests: int) -> tuple[float, float, str]:
    """One keep-alive client: (p50 ms, p95 ms, what the page held) after 5 warm-up requests."""
    client = Client(server.port, server.token)
    for _ in range(5):
        _, status, body = client.get(server.path)
        if status != 200:
            raise SystemExit(f"{server.label}: {status} {body[:300]!r}")
    page = json.loads(body)
    rows = page["results"] if isinstance(page, dict) else page
    held = f"{len(rows)} rows, {len(body) // 1024} KB"
    times = [client.get(server.path)[0] for _ in range(requests)]
    return statistics.median(times), percentile(times, 0.95), held


def reads_compare(args, old: Path) -> dict:
    reads_prepare(args, old)
    servers = [
        Server("Patron now", ROOT, "compare_reads_new", "config.wsgi", "/api/v1/customers/"),
        Server(
            f"Patron {OLD_COMMIT}", old, "compare_reads_old", "config.wsgi", "/api/v1/customers/"
        ),
        Server(
            "plain DRF",
            ROOT,
            "compare_reads_new",
            "bench.alternatives.drf_wsgi:application",
            "/customers/",
        ),
        Server(
            "raw SQL + orjson",
            ROOT,
            "compare_reads_new",
            "bench.alternatives.raw_wsgi:application",
            "/customers/",
        ),
    ]
    for server in servers[:2]:
        server.token = api_token(server.checkout, server.database)
    results: dict = {server.label: {} for server in servers}
    try:
        for number, server in enumerate(servers):
            server.start(args.port + 10 + number)
        for round_number in range(1, args.rounds + 1):
            for server in servers:
                p50, p95, held = single_run(server, args.requests)
                _add(results[server.label], p50=p50, p95=p95)
                print(
                    f"round {round_number} {server.label:20} 1 client: p50 {p50:6.1f} ms, "
                    f"p95 {p95:6.1f} ms ({held})",
                    flush=True,
                )
            for server in servers:
                rate, p99, failures = concurrent_run(server, 8, args.seconds)
                _add(results[server.label], rate=rate, p99=p99, failures=failures)
                print(
                    f"round {round_number} {server.label:20} 8 clients: {rate:6.1f} req/s, "
                    f"p99 {p99:6.1f} ms, {failures} not 200",
                    flush=True,
                )
    finally:
        for server in servers:
            server.stop()
    return results


def _add(bucket: dict, **values) -> None:
    for name, value in values.items():
        bucket.setdefault(name, []).append(value)


def reads_report(results: dict, args) -> None:
    print(
        f"\n## Reads, list page 1 (50 rows), {args.customers:,} customers, {args.rounds} "
        "rounds: medians"
    )
    print(
        "| server | p50 ms | p95 ms | 8 clients req/s | p99 ms | p50 / raw | plain DRF p50 / "
        "this p50 | req/s / raw |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    median = {
        label: {name: statistics.median(values) for name, values in run.items()}
        for label, run in results.items()
    }
    raw, plain = median["raw SQL + orjson"], median["plain DRF"]
    for label, run in median.items():
        print(
            f"| {label} | {run['p50']:.1f} | {run['p95']:.1f} | {run['rate']:.1f} | "
            f"{run['p99']:.1f} | {run['p50'] / raw['p50']:.2f} | {plain['p50'] / run['p50']:.2f} "
            f"| {run['rate'] / raw['rate']:.2f} |"
        )


# ---------------------------------------------------------------- entry point


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--slow-rows", type=int, default=2_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--part", choices=["all", "import", "reads"], default="all")
    parser.add_argument("--no-costs", dest="costs", action="store_false")
    parser.add_argument(
        "--variants",
        type=lambda text: {label.strip() for label in text.split(",")},
        help="only these import paths (labels as printed, comma-separated)",
    )
    parser.add_argument("--old", default=f"/tmp/patron-{OLD_COMMIT}")
    parser.add_argument("--dir", default="/tmp", help="where the CSV files are written")
    parser.add_argument("--port", type=int, default=18700)
    parser.add_argument("--keep", action="store_true", help="keep the databases and checkout")
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--history", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    if args.floor:
        floor_run(args.floor, args.history)
        return
    old = Path(args.old)
    old_checkout(old)
    started = time.monotonic()
    print(
        f"compare.py on {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
        f"{json.dumps(vars(args), default=str)}",
        flush=True,
    )
    try:
        templates_make(old)
        if args.part in ("all", "import"):
            imports = import_compare(args, old)
            import_report(imports, args)
        if args.part in ("all", "reads"):
            reads = reads_compare(args, old)
            reads_report(reads, args)
    finally:
        if not args.keep:
            database_drop_all()
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)])
            shutil.rmtree(old, ignore_errors=True)
    print(f"\ntotal {time.monotonic() - started:.0f} s, load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
