import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "a-long-random-production-secret-key-0123456789-abcdefghijklmnop"


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.base", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({}, id="no-secret-key"),
        pytest.param(
            {"SECRET_KEY": "dev-only-secret-key-never-use-in-production-0123456789abcdef"},
            id="development-key",
        ),
    ],
)
def test_production_refuses_to_start_without_a_real_secret_key(env):
    result = manage("check", DEBUG="0", **env)

    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="patron.example.com",
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
