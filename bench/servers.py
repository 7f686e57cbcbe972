"""Gunicorn servers for bench scripts: a free port, and an app started as `make serve` starts
Patron (config/gunicorn.py, DEBUG off, the psycopg pool), returned once it answers.

No Django here: scripts that only drive other checkouts' servers import it too.
"""

import http.client
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_start(
    cwd: Path,
    port: int,
    *,
    app: str = "config.wsgi",
    env: dict | None = None,
    ready: str = "/healthz",
    name: str = "gunicorn",
    **popen,
) -> subprocess.Popen:
    """Start `app` of the checkout `cwd` on `port` with the bench settings (`env` adds to or
    overrides them) and wait until `GET ready` answers 200 (30 s at most)."""
    environment = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DB_POOL": "1",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    server = subprocess.Popen(
        [GUNICORN, app, "--config", "python:config.gunicorn"], cwd=cwd, env=environment, **popen
    )
    for _ in range(150):
        try:
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            client.request("GET", ready)
            if client.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"{name} did not come up")
