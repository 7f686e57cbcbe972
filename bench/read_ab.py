"""Time a few API reads on two (or more) checkouts, interleaved: A B A B.

Each side is a checkout of Patron and the database it reads (each may have its own: a
branch that migrates the schema reads a copy made with `createdb -T`). Per round, each side in
turn gets gunicorn started exactly as bench/api_bench.py starts it (DEBUG off, psycopg pool,
2 workers x 4 threads) on the same port, warm-up requests, then --runs timed requests per path
from one keep-alive client; the server is stopped before the next side starts. Bodies are
compared across sides (md5 per path): a change that makes a read faster must not change it.

Usage (PostgreSQL, scratch databases; run with the Python of the checkouts' virtualenv):
    .venv/bin/python bench/read_ab.py --rounds 2 --runs 30 \\
        --side main=/work/main,postgres://root@127.0.0.1:5432/copy_main \\
        --side branch=.,postgres://root@127.0.0.1:5432/copy_branch \\
        --path '/api/v1/customers/?q=dar'
"""

import argparse
import hashlib
import http.client
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import servers


def api_token(checkout: Path, database_url: str) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", "create_api_token", "read-ab", "--superuser"],
        cwd=checkout,
        env={**os.environ, "DEBUG": "1", "DATABASE_URL": database_url},
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1].strip()


def server_start(checkout: Path, database_url: str, port: int) -> subprocess.Popen:
    env = {
        "DATABASE_URL": database_url,
        "WEB_WORKERS": "2",
        "WEB_THREADS": "4",
        "REQUEST_LOG_LEVEL": "WARNING",
    }
    return servers.server_start(checkout, port, env=env, name=f"gunicorn of {checkout}")


def timed(port: int, token: str, path: str, runs: int, warmup: int) -> tuple[list[float], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    times, body = [], b""
    for n in range(warmup + runs):
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status} {body[:300]!r}")
        if n >= warmup:
            times.append((time.perf_counter() - started) * 1000)
    connection.close()
    return times, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", action="append", required=True, help="NAME=CHECKOUT,DB_URL")
    parser.add_argument("--path", action="append", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    sides = []
    for spec in args.side:
        name, rest = spec.split("=", 1)
        checkout, url = rest.split(",", 1)
        checkout = Path(checkout).resolve()
        sides.append((name, checkout, url, api_token(checkout, url)))
    port = servers.free_port()
    p50 = {(name, path): [] for name, *_ in sides for path in args.path}
    digests = {(name, path): set() for name, *_ in sides for path in args.path}
    for round_ in range(1, args.rounds + 1):
        for name, checkout, url, token in sides:
            server = server_start(checkout, url, port)
            try:
                for path in args.path:
                    times, body = timed(port, token, path, args.runs, args.warmup)
                    p50[name, path].append(statistics.median(times))
                    digests[name, path].add(hashlib.md5(body).hexdigest())
                    print(f"round {round_} {name:10} {path:50} p50 {p50[name, path][-1]:7.1f} ms")
            finally:
                server.terminate()
                server.wait(timeout=30)
    first = sides[0][0]
    print(f"\n| request | {' | '.join(f'{n} p50 ms (rounds)' for n, *_ in sides)} | ratios |")
    print(f"|---|{'---:|' * len(sides)}---|")
    for path in args.path:
        cells = [" / ".join(f"{t:.1f}" for t in p50[name, path]) for name, *_ in sides]
        base = statistics.median(p50[first, path])
        ratios = ", ".join(
            f"{first}/{name} {base / statistics.median(p50[name, path]):.2f}x"
            for name, *_ in sides[1:]
        )
        print(f"| `{path}` | {' | '.join(cells)} | {ratios} |")
    for path in args.path:
        bodies = {d for name, *_ in sides for d in digests[name, path]}
        print(f"{path}: {'same body on every side' if len(bodies) == 1 else 'BODIES DIFFER'}")


if __name__ == "__main__":
    main()
