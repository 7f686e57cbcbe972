"""Real gunicorn servers of the project, started as `make serve` starts them, for tests."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
SECRET_KEY = "server-test-secret-key-0123456789abcdef0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_of(database: dict) -> str:
    """A DATABASES entry (the test database's) as DATABASE_URL for another process."""
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    password = f":{quote(database['PASSWORD'], safe='')}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "127.0.0.1"
    port = f":{database['PORT']}" if database.get("PORT") else ""
    user = quote(database["USER"] or "", safe="")
    return f"postgres://{user}{password}@{host}{port}/{database['NAME']}"


def manage(*args: str, env: dict[str, str]) -> str:
    """Run a management command in its own process; return its output (fail on an error)."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def server_env(**extra: str) -> dict[str, str]:
    """A production environment (DEBUG off) reachable over plain HTTP on 127.0.0.1."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "WEB_WORKERS": "1",
        "WEB_THREADS": "2",
        "LOG_LEVEL": "WARNING",
        "REQUEST_LOG_LEVEL": "WARNING",
        **extra,
    }


@contextlib.contextmanager
def gunicorn_running(env: dict[str, str], *, startup_seconds: float = 60):
    """Run gunicorn with config/gunicorn.py and `env`; yield its base URL, then stop it."""
    port = free_port()
    process = subprocess.Popen(
        [str(GUNICORN), "config.wsgi", "--config", "python:config.gunicorn"],
        cwd=ROOT,
        env={**env, "BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_listening(process, port, startup_seconds)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_listening(process, port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {process.stderr.read()}")
        with contextlib.suppress(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not start listening")
