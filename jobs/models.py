"""Background jobs: an admin import, export or mass invitation running on the task engine."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Channel

ROWS_PER_SECOND = _("{rate} rows/s")
TIME_LEFT = _("about {duration} left")


# Where the admin's import page keeps an upload (one folder per upload token, one file in it)
# and its preview's reports; jobs.services.uploads_purge deletes those no job took.
UPLOAD_DIR = "jobs/uploads"
PREVIEW_REPORT_DIR = "jobs/previews"


class JobKind(models.TextChoices):
    IMPORT = "import", _("Import")
    EXPORT = "export", _("Export")
    INVITATION = "invitation", _("Invitation")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", pgettext_lazy("job", "Cancelled")


def _job_file_path(job: "Job", filename: str) -> str:
    # A directory of its own per file: the name stays the one staff download.
    return f"jobs/{job.created_at:%Y/%m}/{job.pk}-{uuid.uuid4().hex[:12]}/{filename}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Job(models.Model):
    """One run of a long operation; the task engine runs it, staff follow it in the admin.

    `channel` is the job's scope: staff limited to channels see the jobs of their channels
    (and their own); a job over several channels has none and is for unlimited staff.
    """

    kind = models.CharField(max_length=16, choices=JobKind.choices, verbose_name=_("kind"))
    status = models.CharField(
        max_length=16,
        choices=JobStatus.choices,
        default=JobStatus.QUEUED,
        db_index=True,
        verbose_name=_("status"),
    )
    # What the job is asked to do: a format, a default channel, a batch size.
    params = models.JSONField(default=dict, blank=True, verbose_name=_("params"))
    rows_done = models.PositiveBigIntegerField(default=0, verbose_name=_("rows done"))
    rows_total = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("rows total"))
    # What it did: the import's created/updated/rejected counts, the e-mails sent, ...
    summary = models.JSONField(default=dict, blank=True, verbose_name=_("summary"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("created by"),
    )
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("channel")
    )
    input_file = models.FileField(
        upload_to=_job_file_path, max_length=300, blank=True, verbose_name=_("input file")
    )
    result_file = models.FileField(
        upload_to=_job_file_path, max_length=300, blank=True, verbose_name=_("result file")
    )
    error_report = models.FileField(
        upload_to=_job_file_path, max_length=300, blank=True, verbose_name=_("error report")
    )
    # Why a failed job failed.
    error = models.TextField(blank=True, verbose_name=_("error"))
    task_id = models.CharField(max_length=64, blank=True, verbose_name=_("task id"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    # Written by the job's worker every JOB_HEARTBEAT_SECONDS while it runs: a running job
    # silent for JOB_STALE_AFTER lost its worker (jobs.services.jobs_stale_fail).
    heartbeat_at = models.DateTimeField(null=True, blank=True, verbose_name=_("heartbeat at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    # When the scheduler deleted the job's files, JOB_FILE_RETENTION_DAYS after it finished
    # (jobs.services.job_files_purge); the file fields keep the names for the record.
    files_deleted_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("files deleted at")
    )

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-id"]
        indexes = [models.Index(fields=["created_by", "-id"], name="jobs_job_creator_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def input_file_name(self) -> str:
        """The uploaded file's name as staff chose it ("" for a job without one)."""
        return self.input_file.name.rpartition("/")[2] if self.input_file else ""

    @property
    def progress(self) -> str:
        """Rows done / total, the share done, the rate and (running) the time left, as the
        admin shows it."""
        total = "?" if self.rows_total is None else f"{self.rows_total:,}"
        parts = [f"{self.rows_done:,} / {total}"]
        if self.percent is not None:
            parts[0] += f" ({self.percent}%)"
        rate = self.rows_per_second
        if rate:
            parts.append(ROWS_PER_SECOND.format(rate=f"{rate:,.0f}"))
        left = self.seconds_left
        if left is not None:
            parts.append(TIME_LEFT.format(duration=_duration(left)))
        return " · ".join(parts)

    @property
    def percent(self) -> int | None:
        """How much of a known total is done, 0 to 100."""
        if not self.rows_total:
            return None
        return min(100, self.rows_done * 100 // self.rows_total)

    @property
    def rows_per_second(self) -> float | None:
        """Rows a second since it started (until it finished)."""
        if self.started_at is None or not self.rows_done:
            return None
        seconds = ((self.finished_at or timezone.now()) - self.started_at).total_seconds()
        return self.rows_done / seconds if seconds > 0 else None

    @property
    def seconds_left(self) -> float | None:
        """At the rate so far, the time a running job needs for the rest of its total."""
        rate = self.rows_per_second
        if self.finished or not rate or self.rows_total is None:
            return None
        return max(self.rows_total - self.rows_done, 0) / rate

    @property
    def finished(self) -> bool:
        """Over: its worker has stopped (a running job cancelled is "cancelled" at once, and
        finished when its worker reaches the next batch)."""
        return self.finished_at is not None
