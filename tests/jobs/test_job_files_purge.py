"""A finished job's files (an import's upload and rejected rows, an export, an invitation's
selection: customers' personal data) are deleted by the scheduler's hourly purge
JOB_FILE_RETENTION_DAYS after the job finished; the job stays, and its page says so."""

import datetime
import io
import os

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job, JobKind, JobStatus
from jobs.schedule import purge

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_media(settings, tmp_path):
    """Storage of this test's own, and the default retention."""
    settings.MEDIA_ROOT = str(tmp_path)
    settings.JOB_FILE_RETENTION_DAYS = 30


def job_with_files(user, *, finished_days_ago: float | None, status=JobStatus.DONE) -> Job:
    """An import job with its upload and its rejected rows, finished that many days ago
    (None: still running)."""
    finished = None
    if finished_days_ago is not None:
        finished = timezone.now() - datetime.timedelta(days=finished_days_ago)
    job = Job.objects.create(
        kind=JobKind.IMPORT, status=status, created_by=user, finished_at=finished
    )
    job.input_file.save("clientes.csv", ContentFile(b"email\nana@example.com\n"), save=False)
    job.error_report.save("rejected_rows.csv", ContentFile(b"email\nbad\n"), save=False)
    job.save()
    return job


def paths(job: Job) -> list[str]:
    return [job.input_file.path, job.error_report.path]


def test_the_hourly_purge_deletes_the_files_of_jobs_finished_past_the_retention(staff_user):
    # given: jobs finished 31 and 29 days ago, a failed one 40 days ago, a running one
    old = job_with_files(staff_user, finished_days_ago=31)
    failed = job_with_files(staff_user, finished_days_ago=40, status=JobStatus.FAILED)
    recent = job_with_files(staff_user, finished_days_ago=29)
    running = job_with_files(staff_user, finished_days_ago=None, status=JobStatus.RUNNING)

    # when
    outcome = purge()

    # then: the old jobs' files are gone (their folders too), the jobs and names stay
    assert outcome["job_files"] == 4
    for job in (old, failed):
        assert not any(os.path.exists(path) for path in paths(job))
        assert not os.path.isdir(os.path.dirname(job.input_file.path))
        job.refresh_from_db()
        assert job.files_deleted_at is not None
        assert job.input_file_name == "clientes.csv"
    for job in (recent, running):
        assert all(os.path.exists(path) for path in paths(job))
        job.refresh_from_db()
        assert job.files_deleted_at is None
    # and a second purge has nothing left to do
    assert purge()["job_files"] == 0


def test_a_retention_of_0_days_keeps_every_file(settings, staff_user):
    settings.JOB_FILE_RETENTION_DAYS = 0
    job = job_with_files(staff_user, finished_days_ago=3650)

    assert purge()["job_files"] == 0

    assert all(os.path.exists(path) for path in paths(job))


def test_run_scheduler_reports_the_deleted_files(staff_user):
    job_with_files(staff_user, finished_days_ago=31)
    out = io.StringIO()

    call_command("run_scheduler", "--once", stdout=out)

    assert "job_files 2" in out.getvalue()


def test_the_jobs_page_says_the_files_were_deleted_and_offers_no_download(client, staff_user):
    # given: a job whose files the purge deleted
    job = job_with_files(staff_user, finished_days_ago=31)
    purge()
    client.force_login(staff_user)

    # when
    page = client.get(reverse("admin:jobs_job_change", args=[job.pk]))
    download = client.get(reverse("admin:jobs_job_download", args=[job.pk, "input"]))

    # then
    assert page.status_code == 200
    assert "job-download" not in page.content.decode()
    assert "a job&#x27;s files are kept 30 days after it finishes" in page.content.decode()
    assert download.status_code == 404
