import os
import tempfile
from pathlib import Path

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "test-secret-key-for-the-test-suite-only-0123456789")
# Tasks run inside the request unless a test (tests/jobs) starts real workers: those get
# TASK_BACKEND, TASK_QUEUE, PATRON_TEST_RUN_DIR, EMAIL_URL and the test database from it.
os.environ.setdefault("TASK_BACKEND", "immediate")
# Test databases are made and dropped through the same connection settings: on a loaded
# machine that can take more than a request's 5 s. Tests of the timeout set their own.
os.environ.setdefault("REQUEST_STATEMENT_TIMEOUT_MS", "60000")

from .base import *  # noqa: E402,F403
from .base import DATABASES, RQ_QUEUES, TASKS  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Staff sign-in checks are off, except in tests/security/test_staff_sign_in.py which turns
# them on: the test client's login() and force_login() carry no request for django-axes and
# no second factor.
AXES_ENABLED = False
STAFF_REQUIRE_2FA = False
if "EMAIL_URL" not in os.environ:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if "CACHE_URL" not in os.environ:  # a server started by a test may be given a shared one
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# This run's own files (media, the SQLite test database) and queue, so that test runs on one
# machine (or one Redis) never share them; a worker process is given its run's. The test
# session makes the directory (tests/conftest.py) and removes it.
PATRON_TEST_RUN_DIR = os.environ.get("PATRON_TEST_RUN_DIR") or str(
    Path(tempfile.gettempdir()) / f"patron-test-{os.getpid()}"
)
if "MEDIA_ROOT" not in os.environ:
    MEDIA_ROOT = str(Path(PATRON_TEST_RUN_DIR) / "media")
if "TASK_QUEUE" not in os.environ:
    TASK_QUEUE = f"patron-test-{os.getpid()}"
    TASKS = {"default": {**TASKS["default"], "QUEUES": [TASK_QUEUE]}}
    RQ_QUEUES = {TASK_QUEUE: next(iter(RQ_QUEUES.values()))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not pytest-django's in-memory database: the worker processes that tests/jobs
    # starts must open the very database the test writes to.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(PATRON_TEST_RUN_DIR) / "test.sqlite3")}
