"""Heartbeats: a running job's worker writes one regularly; a job whose heartbeat stopped (its
worker was killed) is failed by the sweep with a clear error, so staff start it again."""

import datetime
import time

import pytest
from django.test import override_settings
from django.utils import timezone

from jobs.models import Job, JobKind, JobStatus
from jobs.runners import _heartbeat
from jobs.services import jobs_stale_fail


def ago(seconds: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=seconds)


def job(status: JobStatus, *, heartbeat: float | None, started: float = 3600, **fields) -> Job:
    return Job.objects.create(
        kind=JobKind.EXPORT,
        status=status,
        started_at=ago(started) if started is not None else None,
        heartbeat_at=ago(heartbeat) if heartbeat is not None else None,
        **fields,
    )


@pytest.mark.django_db
@override_settings(JOB_STALE_AFTER=600)
def test_jobs_silent_for_longer_than_job_stale_after_are_failed():
    silent = job(JobStatus.RUNNING, heartbeat=601)
    old_without_heartbeat = job(JobStatus.RUNNING, heartbeat=None, started=601)
    beating = job(JobStatus.RUNNING, heartbeat=10)
    queued = job(JobStatus.QUEUED, heartbeat=None, started=None)
    cancelled_mid_run = job(JobStatus.CANCELLED, heartbeat=700)
    done = job(JobStatus.DONE, heartbeat=700, finished_at=ago(650))
    # when
    assert jobs_stale_fail() == 3
    # then
    for stale in (silent, old_without_heartbeat):
        stale.refresh_from_db()
        assert stale.status == JobStatus.FAILED
        assert "Its worker stopped (no heartbeat for over 600 s" in stale.error
        assert "start the job again" in stale.error
        assert stale.finished
    cancelled_mid_run.refresh_from_db()
    assert (cancelled_mid_run.status, cancelled_mid_run.finished) == (JobStatus.CANCELLED, True)
    for untouched in (beating, queued, done):
        before = (untouched.status, untouched.finished_at)
        untouched.refresh_from_db()
        assert (untouched.status, untouched.finished_at) == before
    assert jobs_stale_fail() == 0


@pytest.mark.django_db(transaction=True)
@override_settings(JOB_HEARTBEAT_SECONDS=0.05)
def test_a_running_job_beats_from_its_own_thread_until_it_ends():
    running = job(JobStatus.RUNNING, heartbeat=60)
    with _heartbeat(running.pk):
        deadline = time.monotonic() + 30
        while Job.objects.get(pk=running.pk).heartbeat_at < ago(5):
            assert time.monotonic() < deadline, "no heartbeat within 30 s"
            time.sleep(0.05)
    last = Job.objects.get(pk=running.pk).heartbeat_at
    time.sleep(0.3)
    assert Job.objects.get(pk=running.pk).heartbeat_at == last  # stopped with the block
