"""Benchmark `manage.py import_customers` on PostgreSQL against a plain COPY of the same file.

    DATABASE_URL=postgres://root@127.0.0.1:5432/patron_bench DEBUG=1 \
        .venv/bin/python bench/import_bench.py [--rows 1000000]

Generates a deterministic CSV of N customers (one address each, a group for every tenth) and
a second one with the same e-mails but every other value changed, empties the customer
tables, COPYs the first file into a scratch table (the floor), imports the first file (all
creates), the second (all updates), and the second again (every row unchanged). Each import
runs as a subprocess so its peak RSS is its own (os.wait4). The database must be migrated;
its customers, addresses, memberships, orders and events are deleted.

`--events-compare` measures the outbox instead: rounds of (events off, events on),
interleaved A B A B, each an import of the first file (creates) and of the second (updates)
into emptied tables; it prints each run, the medians and the ratio on/off.

    DATABASE_URL=... DEBUG=1 .venv/bin/python bench/import_bench.py --rows 30000 \
        --events-compare --rounds 4
"""

import argparse
import csv
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
CHANNEL = "bench"
GROUPS = ("vip", "newsletter", "wholesale")
HEADER = [
    "email",
    "first_name",
    "last_name",
    "phone",
    "gender",
    "date_of_birth",
    "email_allowed",
    "erp_code",
    "attributes",
    "groups",
    "address.address",
    "address.number",
    "address.city",
    "address.zipcode",
    "address.country",
]
FIRST = ["Ana", "Bruno", "Carla", "Diego", "Elena", "Felipe", "Gabriela", "Hugo", "Iris", "Joana"]
LAST = ["Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Costa", "Rodrigues", "Alves"]
CITIES = ["São Paulo", "Rio de Janeiro", "Curitiba", "Recife", "Porto Alegre", "Salvador"]


def csv_generate(path: Path, rows: int, seed: int = 6, variant: int = 0) -> None:
    """Write a deterministic customer CSV (same arguments, same bytes).

    Another `variant` keeps every e-mail (and name) but changes every other value, so
    importing it over the first file updates every row.
    """
    names = random.Random(seed)
    rng = random.Random(seed * 1000 + variant)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            first, last = names.choice(FIRST), names.choice(LAST)
            writer.writerow(
                [
                    f"{first.lower()}.{last.lower()}.{n}@example.com",
                    first,
                    last,
                    f"+55 11 9{rng.randrange(10**8):08d}",
                    rng.choice(["female", "male", "other", "unknown"]),
                    f"{rng.randrange(1940, 2006)}-{rng.randrange(1, 13):02d}-"
                    f"{rng.randrange(1, 29):02d}",
                    rng.choice(["true", "false"]),
                    f"ERP{n:08d}-{variant}",
                    json.dumps({"tier": rng.randrange(5), "source": "bench"}),
                    GROUPS[n % 3] if n % 10 == 0 else "",
                    f"Rua {rng.choice(LAST)}",
                    str(rng.randrange(1, 3000)),
                    rng.choice(CITIES),
                    f"{rng.randrange(10**8):08d}",
                    "BR",
                ]
            )


def database_prepare(url: str) -> None:
    """Empty the customer tables; make the bench channel and groups."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "TRUNCATE customers_customer, customers_address, groups_usercustomergroup, "
            "orders_order, orders_orderitem, orders_ordercustomdata, events_event CASCADE"
        )
        conn.execute(
            "INSERT INTO customers_channel (code, name, currency, is_active, language, "
            "time_zone, set_password_url, country, created_at, updated_at, version) "
            "VALUES (%s, 'Bench', 'BRL', true, 'pt-br', 'America/Sao_Paulo', '', '', now(), "
            "now(), 1) "
            "ON CONFLICT (code) DO NOTHING",
            [CHANNEL],
        )
        for code in GROUPS:
            conn.execute(
                "INSERT INTO groups_usergroup (code, title, description, visibility, "
                "subscribe_text, created_at, updated_at, version) VALUES (%s, %s, '', "
                "'private', '', now(), now(), 1) ON CONFLICT (code) DO NOTHING",
                [code, code.title()],
            )
        conn.execute("VACUUM ANALYZE customers_customer")


def plain_copy(url: str, path: Path) -> float:
    """COPY the file into a scratch text table; return the seconds."""
    columns = ", ".join(f'"{name}" text' for name in HEADER)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy_scratch")
        conn.execute(f"CREATE TABLE bench_copy_scratch ({columns})")
        started = time.monotonic()
        with (
            conn.cursor() as cursor,
            path.open("rb") as handle,
            cursor.copy("COPY bench_copy_scratch FROM STDIN (FORMAT csv, HEADER)") as copy,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        seconds = time.monotonic() - started
        conn.execute("DROP TABLE bench_copy_scratch")
    return seconds


def import_run(path: Path, env: dict) -> tuple[float, int, str]:
    """Run import_customers as a child; return (seconds, peak RSS in MB, its summary line)."""
    command = [sys.executable, "manage.py", "import_customers", str(path), "--channel", CHANNEL]
    started = time.monotonic()
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"import failed ({child.returncode}): {output}")
    return seconds, usage.ru_maxrss // 1024, output.strip().splitlines()[-1]


_SECONDS = re.compile(r" in ([0-9.]+) s \(")


def import_seconds(summary: str) -> float:
    """The import's own time from its summary line (without the process start)."""
    return float(_SECONDS.search(summary).group(1))


def events_compare(url: str, env: dict, paths: tuple[Path, Path], rounds: int) -> None:
    """Interleaved rounds of imports with events off (A) and on (B); print medians, ratio."""
    timings: dict[tuple[str, str], list[float]] = {}
    for number in range(rounds):
        for setting in ("0", "1"):
            database_prepare(url)
            for label, path in zip(("creates", "updates"), paths, strict=True):
                _, _, summary = import_run(path, {**env, "EVENTS_ENABLED": setting})
                seconds = import_seconds(summary)
                timings.setdefault((setting, label), []).append(seconds)
                print(
                    f"round {number + 1} events={'on' if setting == '1' else 'off':3} "
                    f"{label}: {seconds:.2f} s"
                )
            with psycopg.connect(url) as conn:
                count = conn.execute("SELECT count(*) FROM events_event").fetchone()[0]
            print(f"round {number + 1} events={'on' if setting == '1' else 'off'}: {count} events")
    for label in ("creates", "updates"):
        off = statistics.median(timings[("0", label)])
        on = statistics.median(timings[("1", label)])
        print(f"{label}: median off {off:.2f} s, on {on:.2f} s, on/off {on / off:.3f}")
    total_off = sum(statistics.median(timings[("0", label)]) for label in ("creates", "updates"))
    total_on = sum(statistics.median(timings[("1", label)]) for label in ("creates", "updates"))
    print(
        f"both: median off {total_off:.2f} s, on {total_on:.2f} s, on/off "
        f"{total_on / total_off:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--path", default="/tmp/patron_import_bench.csv")
    parser.add_argument("--events-compare", action="store_true")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a migrated PostgreSQL database.")
    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "1")}
    path = Path(args.path)
    changed = path.with_name(path.stem + "-changed" + path.suffix)
    started = time.monotonic()
    csv_generate(path, args.rows)
    csv_generate(changed, args.rows, variant=1)
    print(
        f"generated 2 x {args.rows:,} rows ({path.stat().st_size / 2**20:.0f} MB each) "
        f"in {time.monotonic() - started:.1f} s"
    )
    if args.events_compare:
        events_compare(url, env, (path, changed), args.rounds)
        return
    database_prepare(url)
    copy_seconds = plain_copy(url, path)
    results = [("plain COPY into a scratch table", copy_seconds, None, "")]
    runs = (
        ("import_customers, all creates", path),
        ("import_customers, all updates", changed),
        ("import_customers, same file again", changed),
    )
    for label, source in runs:
        seconds, peak, summary = import_run(source, env)
        results.append((label, seconds, peak, summary))
    print(f"{'path':40} {'seconds':>8} {'rows/s':>9} {'peak RSS':>9}")
    for label, seconds, peak, _ in results:
        peak_text = f"{peak} MB" if peak is not None else "-"
        print(f"{label:40} {seconds:8.1f} {args.rows / seconds:9,.0f} {peak_text:>9}")
    for label, _, _, summary in results[1:]:
        print(f"{label}: {summary}")


if __name__ == "__main__":
    main()
