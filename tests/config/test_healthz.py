import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Runs the real app in a fresh process whose database cannot be reached.
PROBE = """
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
response = Client().get("/healthz")
print(response.status_code, response.content.decode())
"""


@pytest.mark.django_db
def test_healthz_ok(anon_client):
    response = anon_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param("postgres://root@127.0.0.1:1/nowhere", id="postgres-port-closed"),
        pytest.param("sqlite:////nonexistent-dir/patron.sqlite3", id="sqlite-unopenable"),
    ],
)
def test_healthz_503_when_database_is_down(database_url):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503", result.stderr
    assert json.loads(body) == {"status": "error", "database": "unreachable"}
