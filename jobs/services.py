"""Starting and cancelling background jobs."""

import contextlib
import datetime
import logging
import os
from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from customers.models import Channel
from jobs.models import PREVIEW_REPORT_DIR, UPLOAD_DIR, Job, JobKind, JobStatus
from jobs.tasks import job_run

logger = logging.getLogger(__name__)

NOT_QUEUED = "The task engine did not take the job: {error}"
STALE = (
    "Its worker stopped (no heartbeat for over {seconds:g} s: stopped, killed or cut off from "
    "the database). What it wrote before stays; start the job again."
)


@transaction.atomic
def job_start(
    *,
    kind: JobKind,
    user,
    params: dict | None = None,
    input_name: str = "",
    ids: Iterable[int] | None = None,
    channel: Channel | None = None,
) -> Job:
    """Create a queued job and hand it to the task engine once the transaction commits.

    The job reads its input from the storage: `input_name`, a file already stored there (an
    uploaded import), or `ids`, the selected customers, written to one.
    """
    job = Job.objects.create(kind=kind, params=params or {}, created_by=user, channel=channel)
    if ids is not None:
        text = "".join(f"{pk}\n" for pk in ids)
        job.input_file.save("selection.txt", ContentFile(text.encode()), save=False)
    elif input_name:
        job.input_file.name = input_name
    job.save(update_fields=["input_file"])
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    """Queue the task; an engine that refuses it (a broker down) fails the job, visibly."""
    try:
        result = job_run.enqueue(job_id)
    except Exception as error:
        logger.exception("Job %s could not be queued", job_id)
        Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.FAILED,
            error=NOT_QUEUED.format(error=error),
            finished_at=timezone.now(),
        )
        return
    Job.objects.filter(pk=job_id).update(task_id=result.id)


def job_cancel(*, job: Job) -> bool:
    """Cancel a queued or running job; return whether it was still cancellable.

    A queued job never starts; a running one stops at its next batch (what it wrote stays)
    and its worker records when it stopped.
    """
    now = timezone.now()
    if Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED, finished_at=now
    ):
        return True
    return bool(
        Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(status=JobStatus.CANCELLED)
    )


def jobs_stale_fail() -> int:
    """Mark failed the running jobs whose worker has been silent for JOB_STALE_AFTER (its
    heartbeat stopped: the worker was killed or lost), so staff see it and start them again;
    a job cancelled while running, whose worker never reached its next batch, is finished.
    Return how many jobs."""
    seconds = settings.JOB_STALE_AFTER
    now = timezone.now()
    cutoff = now - datetime.timedelta(seconds=seconds)
    silent = Job.objects.filter(finished_at__isnull=True, started_at__isnull=False).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    failed = silent.filter(status=JobStatus.RUNNING).update(
        status=JobStatus.FAILED, error=STALE.format(seconds=seconds), finished_at=now
    )
    return failed + silent.filter(status=JobStatus.CANCELLED).update(finished_at=now)


def uploads_purge(*, hours: int) -> int:
    """Delete the admin's import uploads that no job took (previewed, never imported) and the
    previews' reports, once older than `hours`; an upload a job reads is the job's and stays.
    Return how many files were deleted."""
    cutoff = timezone.now() - datetime.timedelta(hours=hours)
    taken = set(
        Job.objects.filter(input_file__startswith=f"{UPLOAD_DIR}/").values_list(
            "input_file", flat=True
        )
    )
    deleted = 0
    for folder in (UPLOAD_DIR, PREVIEW_REPORT_DIR):
        try:
            tokens = default_storage.listdir(folder)[0]
        except FileNotFoundError:
            continue
        for token in tokens:
            names = [
                f"{folder}/{token}/{name}"
                for name in default_storage.listdir(f"{folder}/{token}")[1]
            ]
            if any(name in taken for name in names):
                continue
            old = [name for name in names if default_storage.get_modified_time(name) < cutoff]
            for name in old:
                default_storage.delete(name)
            deleted += len(old)
            if len(old) == len(names):
                _folder_remove(f"{folder}/{token}")
    return deleted


# A job's files: its upload (or the invitation's selection), its export, its report.
JOB_FILE_FIELDS = ("input_file", "result_file", "error_report")


def job_files_purge(*, days: int) -> int:
    """Delete the files of the jobs that finished more than `days` ago: an import's upload and
    its rejected rows, an export, an invitation's selection hold customers' personal data. The
    jobs stay, with their summaries and the files' names; `files_deleted_at` says when. Return
    how many files were deleted (`days` 0: none, files are kept)."""
    if days <= 0:
        return 0
    cutoff = timezone.now() - datetime.timedelta(days=days)
    has_files = Q()
    for name in JOB_FILE_FIELDS:
        has_files |= ~Q(**{name: ""})
    finished = Job.objects.filter(finished_at__lt=cutoff, files_deleted_at__isnull=True)
    deleted = 0
    for job in finished.filter(has_files).order_by("pk").iterator():
        for name in JOB_FILE_FIELDS:
            stored = getattr(job, name)
            if not stored:
                continue
            if stored.storage.exists(stored.name):
                stored.storage.delete(stored.name)
                deleted += 1
            _folder_remove(os.path.dirname(stored.name))
        Job.objects.filter(pk=job.pk).update(files_deleted_at=timezone.now())
    return deleted


def _folder_remove(folder: str) -> None:
    """Remove an emptied folder where the storage has folders on disk (others have none)."""
    with contextlib.suppress(NotImplementedError, OSError):
        os.rmdir(default_storage.path(folder))
