import os
import tempfile
from pathlib import Path

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "test-secret-key-for-the-test-suite-only-0123456789")
# Tasks run inside the request unless a test (tests/jobs) starts real workers: those get
# TASK_BACKEND, TASK_QUEUE, MEDIA_ROOT, EMAIL_URL and the test database from the test process.
os.environ.setdefault("TASK_BACKEND", "immediate")
# A queue of this run's own, so that test runs sharing one Redis never take each other's jobs.
os.environ.setdefault("TASK_QUEUE", f"patron-test-{os.getpid()}")
# Files of this run (media, the SQLite test database); worker processes inherit the variable.
os.environ.setdefault(
    "PATRON_TEST_RUN_DIR", str(Path(tempfile.gettempdir()) / f"patron-test-{os.getpid()}")
)

from .base import *  # noqa: E402,F403
from .base import DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if "EMAIL_URL" not in os.environ:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
_RUN_DIR = Path(os.environ["PATRON_TEST_RUN_DIR"])
_RUN_DIR.mkdir(parents=True, exist_ok=True)
if "MEDIA_ROOT" not in os.environ:
    MEDIA_ROOT = str(_RUN_DIR / "media")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not pytest-django's in-memory database: the worker processes that tests/jobs
    # starts must open the very database the test writes to.
    DATABASES["default"]["TEST"] = {"NAME": str(_RUN_DIR / "test.sqlite3")}
