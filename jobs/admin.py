"""The Jobs admin: follow background jobs, cancel them, download their files.

Read-only: jobs are started by the customer admin (import page, export and invitation
actions). Staff see the jobs jobs.selectors.job_list gives them, and nothing else: the
download view looks the job up in that same queryset.
"""

from pathlib import PurePosixPath

from django.conf import settings
from django.contrib import admin, messages
from django.http import FileResponse, Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_rq.models import Dashboard
from django_tasks_db.models import DBTaskResult

from config.admin import ZonedTimesAdminMixin, datetime_short
from jobs.models import Job, JobKind, JobStatus
from jobs.selectors import job_list
from jobs.services import job_cancel

FILES = {"input": "input_file", "result": "result_file", "errors": "error_report"}
FILE_LABELS = {"input": _("input file"), "result": _("result"), "errors": _("error report")}
# An import's report holds the rejected rows themselves (customers.imports.reports), not the
# line,field,message list that import_customers --errors writes.
IMPORT_REPORT_LABEL = _("rejected rows (to fix and import again)")
DOWNLOAD = _("Download {file}")
FILES_DELETED = _("Deleted on {date} (a job's files are kept {days} days after it finishes)")
FILE_DELETED = _("This job's files were deleted (they are kept {days} days after it finishes).")
JOBS_CANCELLED = _("{count} job(s) cancelled.")
JOB_CANCELLED = _("{job} cancelled.")
JOB_NOT_CANCELLED = _("{job} can no longer be cancelled.")


def _file_label(job: Job, which: str) -> str:
    if which == "errors" and job.kind == JobKind.IMPORT:
        return IMPORT_REPORT_LABEL
    return FILE_LABELS[which]


def _may_cancel(user, job: Job) -> bool:
    cancellable = job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    return cancellable and (job.created_by_id == user.pk or user.has_perm("jobs.change_job"))


@admin.register(Job)
class JobAdmin(ZonedTimesAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "status",
        "progress",
        "created_by",
        "channel",
        "created_at",
        "started_at",
        "finished_at",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["created_by", "channel"]
    ordering = ["-id"]
    show_full_result_count = False
    actions = ["jobs_cancel"]
    fields = [
        "kind",
        "status",
        "progress",
        "summary",
        "error",
        "files",
        "params",
        "created_by",
        "channel",
        "created_at",
        "started_at",
        "finished_at",
        "files_deleted_at",
        "task_id",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return job_list(user=request.user)

    # Every staff member has a Jobs page: it lists their own jobs at least.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_cancel_permission(self, request):
        return self.has_module_permission(request)

    @admin.display(description=_("rows done / total"))
    def progress(self, job: Job) -> str:
        if job.percent is None:
            return job.progress
        return format_html(
            '<progress class="job-progress" max="100" value="{}"></progress> {}',
            job.percent,
            job.progress,
        )

    @admin.display(description=_("files"))
    def files(self, job: Job) -> str:
        if job.files_deleted_at is not None:
            date = datetime_short(job.files_deleted_at)
            return FILES_DELETED.format(date=date, days=settings.JOB_FILE_RETENTION_DAYS)
        links = [
            format_html(
                '<a class="job-download" href="{}">{}</a>',
                reverse("admin:jobs_job_download", args=[job.pk, which]),
                DOWNLOAD.format(file=_file_label(job, which)),
            )
            for which, field in FILES.items()
            if getattr(job, field)
        ]
        return format_html(" · ".join(["{}"] * len(links)), *links) if links else "-"

    @admin.action(description=_("Cancel selected jobs"), permissions=["cancel"])
    def jobs_cancel(self, request, queryset):
        cancelled = sum(job_cancel(job=job) for job in queryset if _may_cancel(request.user, job))
        self.message_user(request, JOBS_CANCELLED.format(count=cancelled), messages.SUCCESS)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/cancel/", wrap(self.cancel_view), name="jobs_job_cancel"),
            path(
                "<int:pk>/download/<str:which>/",
                wrap(self.download_view),
                name="jobs_job_download",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "may_cancel": job is not None and _may_cancel(request.user, job),
            "job_running": job is not None and not job.finished,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def cancel_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = get_object_or_404(self.get_queryset(request), pk=pk)
        if _may_cancel(request.user, job) and job_cancel(job=job):
            self.message_user(request, JOB_CANCELLED.format(job=job), messages.SUCCESS)
        else:
            self.message_user(request, JOB_NOT_CANCELLED.format(job=job), messages.WARNING)
        return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))

    def download_view(self, request, pk: int, which: str):
        job = get_object_or_404(self.get_queryset(request), pk=pk)
        if which not in FILES or not getattr(job, FILES[which]):
            raise Http404("This job has no such file.")
        if job.files_deleted_at is not None:
            raise Http404(FILE_DELETED.format(days=settings.JOB_FILE_RETENTION_DAYS))
        stored = getattr(job, FILES[which])
        return FileResponse(
            stored.open("rb"), as_attachment=True, filename=PurePosixPath(stored.name).name
        )


# The engine's own records (django-tasks-db's task results, django-rq's dashboard) are for
# operators, not store staff: jobs are followed here.
for _model in (DBTaskResult, Dashboard):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
