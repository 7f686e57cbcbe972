"""Real task engines for the job tests: worker processes beside the test process.

`engine` is parametrized over the embedded database backend (django-tasks-db's
`manage.py db_worker`) and the broker-backed one (RQ on Redis, `manage.py rqworker`), each
with TWO worker processes started once per module, plus "immediate" (the task runs inside the
request) where a test allows it. The workers open the test's own database (a file on SQLite,
see config/settings/test.py; the test_… database on PostgreSQL), so the tests commit
(transactional_db), and share its MEDIA_ROOT (PATRON_TEST_RUN_DIR) and its queue (TASK_QUEUE).
"""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection

from jobs.models import Job

BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
}
WORKERS = 2
JOB_TIMEOUT = 120
ROOT = Path(__file__).resolve().parents[2]


def _worker_command(backend: str) -> list[str]:
    queue = settings.TASK_QUEUE
    if backend == "database":
        return ["db_worker", "--queue-name", queue, "--interval", "0.5", "--no-startup-delay"]
    return ["rqworker", queue, "--job-class", "django_tasks_rq.backend.Job"]


def _database_url() -> str:
    """The test database, as DATABASE_URL for a worker process."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{quote(db['USER'] or '', safe='')}{password}@{host}{port}/{db['NAME']}"


def _redis_reachable() -> str:
    """'' if the broker answers, else why not."""
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis at {settings.REDIS_URL} is unreachable ({error}): start it to run these"
    return ""


class Engine:
    """A running task engine: its name, its worker processes and where they send e-mail."""

    def __init__(self, name: str, directory: Path):
        self.name = name
        self.mail_dir = directory / "mail"
        self.mail_dir.mkdir()
        # The workers' output, kept out of pytest's report (read it when a test fails).
        self.log = directory / "workers.log"
        self.processes: list[subprocess.Popen] = []

    def start(self) -> None:
        if self.name == "immediate":
            return
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            "TASK_BACKEND": self.name,
            "TASK_QUEUE": settings.TASK_QUEUE,
            "PATRON_TEST_RUN_DIR": settings.PATRON_TEST_RUN_DIR,
            "EMAIL_URL": f"filemail:///{self.mail_dir}",
            "CONN_MAX_AGE": "0",
            # DEBUG would keep every query's SQL (an import's batches are large).
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, str(ROOT / "manage.py"), *_worker_command(self.name)]
        with open(self.log, "ab") as log:
            for _ in range(WORKERS):
                self.processes.append(
                    subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)
                )

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def alive(self) -> bool:
        return all(process.poll() is None for process in self.processes)

    def sent_to(self) -> list[str]:
        """The recipients of the e-mails sent so far (locmem outbox, or the workers' files)."""
        if self.name == "immediate":
            return sorted(message.to[0] for message in mail.outbox)
        recipients = []
        for path in sorted(self.mail_dir.glob("*")):
            for line in path.read_text().splitlines():
                if line.startswith("To: "):
                    recipients.append(line.removeprefix("To: "))
        return sorted(recipients)


@pytest.fixture(scope="module")
def _engines(django_db_setup, tmp_path_factory):
    """One Engine per backend for the module, started on first use."""
    started: dict[str, Engine] = {}

    def get(name: str) -> Engine:
        if name not in started:
            if name == "rq" and (reason := _redis_reachable()):
                pytest.skip(reason)
            started[name] = Engine(name, tmp_path_factory.mktemp(f"engine-{name}"))
            started[name].start()
        return started[name]

    yield get
    for engine in started.values():
        engine.stop()
    if "rq" in started:
        _rq_queue_delete()


def _rq_queue_delete() -> None:
    import django_rq

    queue = django_rq.get_queue(settings.TASK_QUEUE)
    queue.delete(delete_jobs=True)
    for key in queue.connection.scan_iter(f"rq:queue:{settings.TASK_QUEUE}:*"):
        queue.connection.delete(key)


@pytest.fixture(params=["immediate", "database", "rq"])
def engine(request, _engines, transactional_db, settings):
    """The task engine of this test; jobs started during it run there."""
    engine = _engines(request.param)
    settings.TASKS = {
        "default": {"BACKEND": BACKENDS[engine.name], "QUEUES": [settings.TASK_QUEUE]}
    }
    for path in engine.mail_dir.glob("*"):
        path.unlink()
    assert engine.alive(), f"a worker process died: see {engine.log}"
    return engine


def job_wait(job: Job, *, timeout: float = JOB_TIMEOUT, until=None) -> Job:
    """Poll the job until `until(job)` (default: it finished); fail after `timeout` seconds."""
    until = until or (lambda job: job.finished)
    deadline = time.monotonic() + timeout
    while True:
        job.refresh_from_db()
        if until(job):
            return job
        if time.monotonic() > deadline:
            pytest.fail(f"{job} is still {job.status} ({job.progress}) after {timeout} s")
        time.sleep(0.05)
