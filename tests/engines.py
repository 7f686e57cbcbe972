"""Real task engines for tests: worker processes beside the test process.

The embedded database backend (django-tasks-db's `manage.py db_worker`) and the broker-backed
one (RQ on Redis, `manage.py rqworker --with-scheduler`), each with TWO worker processes, plus
"immediate" (the task runs inside the caller) where a test allows it. The workers open the
test's own database (a file on SQLite, see config/settings/test.py; the test_… database on
PostgreSQL), so the tests commit (transactional_db), and share its MEDIA_ROOT
(PATRON_TEST_RUN_DIR) and its queue (TASK_QUEUE). A conftest makes them fixtures with
`engine_fixtures(extra_env)`.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection

from tests.servers import database_url_of

BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
}
WORKERS = 2
# How long a test's end waits for the tasks still queued or running (a dispatch its last write
# requested) before the test database is emptied under them.
DRAIN_TIMEOUT = 60
ROOT = Path(__file__).resolve().parents[1]


def _worker_command(backend: str, name: str) -> list[str]:
    queue = settings.TASK_QUEUE
    if backend == "database":
        return [
            *("db_worker", "--queue-name", queue, "--interval", "0.5", "--no-startup-delay"),
            *("--worker-id", name),
        ]
    return [
        *("rqworker", queue, "--job-class", "django_tasks_rq.backend.Job"),
        *("--with-scheduler", "--name", name),
    ]


def _redis_reachable() -> str:
    """'' if the broker answers, else why not."""
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis at {settings.REDIS_URL} is unreachable ({error}): start it to run these"
    return ""


def _tree(pid: int) -> list[int]:
    """The process and its descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        tree.append(current := todo.pop())
        todo.extend(children.get(current, []))
    return tree


def _rq_queue():
    import django_rq

    return django_rq.get_queue(settings.TASK_QUEUE)


class Engine:
    """A running task engine: its name, its worker processes and where they send e-mail."""

    def __init__(self, name: str, directory: Path, extra_env: dict | None = None):
        self.name = name
        self.mail_dir = directory / "mail"
        self.mail_dir.mkdir()
        # The workers' output, kept out of pytest's report (read it when a test fails).
        self.log = directory / "workers.log"
        self.extra_env = extra_env or {}
        self.processes: dict[str, subprocess.Popen] = {}
        self.generation = 0

    def start(self) -> None:
        if self.name == "immediate":
            return
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url_of(connection.settings_dict),
            "TASK_BACKEND": self.name,
            "TASK_QUEUE": settings.TASK_QUEUE,
            "PATRON_TEST_RUN_DIR": settings.PATRON_TEST_RUN_DIR,
            "EMAIL_URL": f"filemail:///{self.mail_dir}",
            "CONN_MAX_AGE": "0",
            # DEBUG would keep every query's SQL (an import's batches are large).
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            **self.extra_env,
        }
        self.generation += 1
        with open(self.log, "ab") as log:
            for index in range(WORKERS):
                name = f"{self.name}-{os.getpid()}-{self.generation}-{index}"
                command = [
                    sys.executable,
                    str(ROOT / "manage.py"),
                    *_worker_command(self.name, name),
                ]
                # A session of its own: the worker, its RQ work-horse and scheduler children
                # are one process group, killed together.
                self.processes[name] = subprocess.Popen(
                    command, env=env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True
                )

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
            self._group_kill(process)
        self.processes = {}

    def kill(self) -> None:
        """SIGKILL every worker process and all its descendants at once (a machine lost).

        By process id, the whole tree: RQ's work-horse, which runs the task, makes a process
        group of its own."""
        pids = [pid for process in self.processes.values() for pid in _tree(process.pid)]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        for process in self.processes.values():
            process.wait()
        self.processes = {}
        if self.name == "rq":
            # The dead scheduler's lock would keep the new workers' schedulers off for a minute.
            queue = _rq_queue()
            queue.connection.delete(f"rq:scheduler-lock:{settings.TASK_QUEUE}")

    @staticmethod
    def _group_kill(process: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def alive(self) -> bool:
        return all(process.poll() is None for process in self.processes.values())

    def busy(self) -> bool:
        """Whether a live worker runs a task, or one is queued and due."""
        if self.name == "immediate" or not self.processes:
            return False
        if self.name == "database":
            from django_tasks_db.models import DBTaskResult

            if DBTaskResult.objects.ready().exists():
                return True
            running = DBTaskResult.objects.running().values_list("worker_ids", flat=True)
            return any(set(ids or ()) & set(self.processes) for ids in running)
        from rq.worker import Worker

        queue = _rq_queue()
        if queue.count:
            return True
        live = {worker.name for worker in Worker.all(queue=queue)} & set(self.processes)
        return any(
            worker.get_current_job_id() for worker in Worker.all(queue=queue) if worker.name in live
        )

    def drain(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Wait until no task is queued or running on a live worker (or `timeout` passed)."""
        deadline = time.monotonic() + timeout
        while self.busy() and time.monotonic() < deadline:
            time.sleep(0.1)

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


def _rq_queue_delete() -> None:
    queue = _rq_queue()
    queue.delete(delete_jobs=True)
    for key in queue.connection.scan_iter(f"rq:queue:{settings.TASK_QUEUE}:*"):
        queue.connection.delete(key)


def engine_fixtures(params: list[str], extra_env: dict | None = None):
    """A module's `_engines` (one Engine per backend, started on first use) and `engine`
    (the task engine of the test, parametrized over `params`) fixtures."""

    @pytest.fixture(scope="module")
    def _engines(django_db_setup, tmp_path_factory):
        started: dict[str, Engine] = {}

        def get(name: str) -> Engine:
            if name not in started:
                if name == "rq" and (reason := _redis_reachable()):
                    pytest.skip(reason)
                directory = tmp_path_factory.mktemp(f"engine-{name}")
                started[name] = Engine(name, directory, extra_env)
                started[name].start()
            return started[name]

        yield get
        for engine in started.values():
            engine.stop()
        if "rq" in started:
            _rq_queue_delete()

    @pytest.fixture(params=params)
    def engine(request, _engines, transactional_db, settings):
        engine = _engines(request.param)
        settings.TASKS = {
            "default": {"BACKEND": BACKENDS[engine.name], "QUEUES": [settings.TASK_QUEUE]}
        }
        for path in engine.mail_dir.glob("*"):
            path.unlink()
        assert engine.alive(), f"a worker process died: see {engine.log}"
        yield engine
        # Tasks the test's writes requested last (a webhook dispatch) finish before the test
        # database is emptied under them.
        engine.drain()

    return _engines, engine
