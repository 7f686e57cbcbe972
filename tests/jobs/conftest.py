"""Real task engines for the job tests (tests/engines.py): `engine` is parametrized over the
embedded database backend and the broker-backed one (RQ on Redis), each with two worker
processes started once per module, plus "immediate" (the task runs inside the request).
"""

import time

import pytest

from jobs.models import Job
from tests.engines import engine_fixtures

JOB_TIMEOUT = 120

_engines, engine = engine_fixtures(["immediate", "database", "rq"])


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
