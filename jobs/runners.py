"""What each kind of job does, on a worker: the customers app's own services do the work.

A job is claimed (queued -> running) by one conditional UPDATE, so an engine that delivers a
task twice (at-least-once brokers) runs it once. Progress and the cancel check are a query
per batch; a cancelled job stops at the next batch boundary, keeping the batches written.
"""

import csv
import io
import logging
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, connections
from django.db.models import Q
from django.utils import timezone

from config.history import history_user_as
from customers.exports import customers_export
from customers.imports import BATCH_SIZE, ImportCancelled, customers_import
from customers.imports.newer_edits import unchanged_since_parse
from customers.imports.readers import ImportFileError, rows_count, rows_read
from customers.imports.reports import RejectedRows, rejected_rows_format, rejected_rows_write
from customers.selectors import channel_list, customer_all, customer_list
from customers.services import customer_invite_send
from jobs.models import Job, JobKind, JobStatus

logger = logging.getLogger(__name__)

INVITATION_CHUNK = 200
# Failures that belong to the job's input (a broken file, an unknown channel): the job fails
# with the message. Anything else also fails the job and is re-raised for the engine's log.
INPUT_ERRORS = (ImportFileError, UnicodeDecodeError, ValueError)
INVITATION_REPORT_HEADER = ("customer_id", "email", "message")


class JobCancelled(Exception):
    """Staff cancelled the job while it ran."""


class Progress:
    """Reports rows done and answers whether the job was cancelled, one query each."""

    def __init__(self, job: Job):
        self.job = job

    def total_set(self, total: int | None) -> None:
        self.job.rows_total = total
        Job.objects.filter(pk=self.job.pk).update(rows_total=total)

    def report(self, rows_done: int) -> None:
        self.job.rows_done = rows_done
        Job.objects.filter(pk=self.job.pk).update(rows_done=rows_done)

    def cancelled(self) -> bool:
        return Job.objects.filter(pk=self.job.pk, status=JobStatus.CANCELLED).exists()

    def step(self, rows_done: int) -> None:
        """Report, then stop here if the job was cancelled."""
        self.report(rows_done)
        if self.cancelled():
            raise JobCancelled


def job_history_reason(job: Job) -> str:
    """The source the job's changes are recorded with: "import (customers.csv, job #12)"."""
    kind = job.get_kind_display().lower()
    name = job.input_file_name
    return f"{kind} ({name}, job #{job.pk})" if name else f"{kind} (job #{job.pk})"


def job_execute(job_id: int) -> None:
    """Run the job if it is still queued; record its outcome on the Job row."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        # Cancelled before it started, or already run (a task delivered twice).
        return
    job = Job.objects.select_related("created_by").get(pk=job_id)
    progress = Progress(job)
    try:
        with _heartbeat(job.pk), history_user_as(job.created_by, reason=job_history_reason(job)):
            summary = RUNNERS[job.kind](job, progress)
    except (JobCancelled, ImportCancelled):
        _finish(job, JobStatus.CANCELLED, from_status=JobStatus.CANCELLED)
    except INPUT_ERRORS as error:
        _finish(job, JobStatus.FAILED, error=str(error))
    except Exception as error:
        _finish(job, JobStatus.FAILED, error=f"{type(error).__name__}: {error}")
        raise
    else:
        _finish(job, JobStatus.DONE, summary=summary)


@contextmanager
def _heartbeat(job_id: int) -> Iterator[None]:
    """Write the job's heartbeat_at every JOB_HEARTBEAT_SECONDS from a thread of its own
    while the block runs (a batch that takes long still beats)."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.JOB_HEARTBEAT_SECONDS):
                try:
                    Job.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    logger.warning("Job %s: heartbeat not written", job_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _finish(job: Job, status: str, *, from_status=JobStatus.RUNNING, **fields) -> None:
    """Record the end; a job cancelled at its very end stays cancelled (with its summary)."""
    fields = {**fields, "rows_done": job.rows_done, "finished_at": timezone.now()}
    updated = Job.objects.filter(pk=job.pk, status=from_status).update(status=status, **fields)
    if not updated:
        Job.objects.filter(pk=job.pk).filter(~Q(status=JobStatus.RUNNING)).update(**fields)


@contextmanager
def _spool() -> Iterator[io.TextIOWrapper]:
    """A temporary UTF-8 text file for a job's output, until it is saved to the storage."""
    with tempfile.TemporaryFile() as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        try:
            yield text
        finally:
            text.detach()


def _file_attach(job: Job, field: str, name: str, text: io.TextIOWrapper) -> None:
    """Save the spooled output in the default storage as the job's file `field`."""
    text.flush()
    text.buffer.seek(0)
    getattr(job, field).save(name, File(text.buffer, name=name), save=False)
    Job.objects.filter(pk=job.pk).update(**{field: getattr(job, field).name})


@contextmanager
def _input_text(job: Job) -> Iterator[io.TextIOWrapper]:
    with job.input_file.storage.open(job.input_file.name, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        try:
            yield text
        finally:
            text.detach()


def _import_run(job: Job, progress: Progress) -> dict:
    fmt = job.params["format"]
    with _input_text(job) as stream:
        progress.total_set(rows_count(stream, fmt))
    rejected = RejectedRows()
    with _input_text(job) as stream:
        result = customers_import(
            rows_read(stream, fmt),
            default_channel=job.params.get("channel") or None,
            # the channels its author may see, as in the admin's preview
            channels=_channels_of(job),
            batch_size=job.params.get("batch_size", BATCH_SIZE),
            on_error=rejected,
            on_batch=lambda result: progress.report(result.rows),
            should_stop=progress.cancelled,
            if_unchanged_since=unchanged_since_parse(job.params.get("if_unchanged_since")),
            history_reason=job_history_reason(job),
        )
    progress.report(result.rows)
    if result.rejected:
        with _spool() as report, _input_text(job) as stream:
            rejected_rows_write(stream, fmt, rejected, report)
            _file_attach(job, "error_report", f"rejected_rows.{rejected_rows_format(fmt)}", report)
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": result.rejected,
        "superseded": result.superseded,
        "seconds": round(result.seconds, 3),
    }


def _channels_of(job: Job):
    """The channels the job's author may see (all for a job without one: a command's)."""
    return channel_list(user=job.created_by) if job.created_by else None


def _customers_of(job: Job):
    """The customers the job's author may see, so a job never reaches past the admin's
    rule, even if the author's channels changed since it was started."""
    if job.created_by is None:
        return customer_all().select_related("channel")
    return customer_list(user=job.created_by)


def _selected_ids(job: Job) -> list[int]:
    """The customers chosen in the admin: the input file holds their ids, one a line."""
    with _input_text(job) as stream:
        return [int(line) for line in stream if line.strip()]


def _export_run(job: Job, progress: Progress) -> dict:
    fmt = job.params["format"]
    ids = _selected_ids(job)
    progress.total_set(len(ids))
    queryset = _customers_of(job).filter(pk__in=ids).order_by("id")
    with _spool() as result:
        count = customers_export(
            queryset=queryset, fmt=fmt, stream=result, on_progress=progress.step
        )
        progress.report(count)
        _file_attach(job, "result_file", f"customers.{fmt}", result)
    return {"exported": count}


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _invitation_run(job: Job, progress: Progress) -> dict:
    ids = _selected_ids(job)
    progress.total_set(len(ids))
    sent, failures, done = 0, [], 0
    for chunk in _chunks(ids, INVITATION_CHUNK):
        customers = _customers_of(job).filter(pk__in=chunk)
        for customer in customers.order_by("id"):
            try:
                customer_invite_send(customer=customer)
            except Exception as error:  # noqa: BLE001 - one refused address fails one row
                failures.append((customer.pk, customer.email, str(error)))
            else:
                sent += 1
        done += len(chunk)
        progress.step(done)
    if failures:
        _report_attach(job, INVITATION_REPORT_HEADER, failures)
    return {"sent": sent, "failed": len(failures), "missing": len(ids) - sent - len(failures)}


def _report_attach(job: Job, header: tuple, rows: list) -> None:
    with _spool() as report:
        writer = csv.writer(report)
        writer.writerow(header)
        writer.writerows(rows)
        _file_attach(job, "error_report", "errors.csv", report)


RUNNERS: dict[str, Callable[[Job, Progress], dict]] = {
    JobKind.IMPORT: _import_run,
    JobKind.EXPORT: _export_run,
    JobKind.INVITATION: _invitation_run,
}
