"""The admin's customer import page: upload, dry-run preview, then the import as a job.

It runs the same service as `manage.py import_customers` (customers.imports). The upload is
kept in the default storage; the preview is a dry run of its first PREVIEW_ROWS rows (within
the request) showing what each row changes, field by field, and warning of rows that would
overwrite newer edits; its rejected rows can be downloaded, as the rows themselves to fix and
import again, or as the error report of `line,field,message` (customers.imports.reports). The
import itself is a background job of any size (jobs app), which the page hands over to:
staff follow its progress, cancel it and download its rejected rows in the Jobs admin.

The page also offers a sample file of each format and the column reference, both made from
the export's columns (customers.import_samples).
"""

import io
import itertools
import re
import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from customers.import_samples import SAMPLE_FORMATS, import_columns, sample_codes, sample_text
from customers.imports import customers_import
from customers.imports.newer_edits import SINCE_ROW, unchanged_since_parse
from customers.imports.readers import ImportFileError, format_infer, rows_read
from customers.imports.reports import (
    RejectedRows,
    error_report_writer,
    rejected_rows_format,
    rejected_rows_write,
)
from customers.models import Customer
from customers.selectors import channel_list
from jobs.models import PREVIEW_REPORT_DIR, UPLOAD_DIR, Job, JobKind
from jobs.services import job_start

PREVIEW_ROWS = 1000
# The preview's reports are kept by upload token in PREVIEW_REPORT_DIR, apart from the
# upload (an upload's folder in UPLOAD_DIR holds one file).
# The preview's two downloads: the rejected rows themselves, and the line,field,message list.
PREVIEW_REPORTS = {"rows": "rejected_rows", "lines": "errors"}
SHOWN_ERRORS = 200
TEMPLATE = "admin/customers/customer/import.html"
NO_FORMAT = _("Cannot tell the format from the file name: choose CSV, JSON or NDJSON.")
UPLOAD_GONE = _("The uploaded file is no longer available: upload it again.")
STARTED = _("The import of {name} runs as {job}: follow it here.")
BOTH_CHECKS = _("Choose one: the file's own updated_at/version, or a date and time.")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
FORMAT_CHOICES = [
    ("", _("From the file name")),
    ("csv", "CSV"),
    ("ndjson", "NDJSON"),
    ("json", "JSON"),
]


class CustomerImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV, JSON or NDJSON of customers, as export_customers writes."),
    )
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, required=False)
    channel = forms.ModelChoiceField(
        queryset=None,
        to_field_name="code",
        required=False,
        label=_("Channel"),
        help_text=_("For rows that name no channel."),
    )
    protect_newer_edits = forms.BooleanField(
        required=False,
        label=_("Skip rows edited since the export"),
        help_text=_(
            "Reject (instead of overwriting) the rows whose customer was changed after the "
            "file was exported, by the updated_at and version columns an export carries."
        ),
    )
    unchanged_since = forms.DateTimeField(
        required=False,
        label=_("Or skip customers changed after"),
        help_text=_("Reject the rows whose customer was changed after this date and time."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = channel_list(user=user).order_by("code")

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        cleaned["format"] = cleaned.get("format") or format_infer(upload.name)
        if not cleaned["format"]:
            self.add_error("format", NO_FORMAT)
        if cleaned.get("protect_newer_edits") and cleaned.get("unchanged_since"):
            self.add_error("unchanged_since", BOTH_CHECKS)
        return cleaned

    def since(self) -> str:
        """The import's if_unchanged_since, as the job's params hold it ("" for none)."""
        if self.cleaned_data.get("protect_newer_edits"):
            return SINCE_ROW
        since = self.cleaned_data.get("unchanged_since")
        return since.isoformat() if since else ""


class _Report(RejectedRows):
    """Collects the first SHOWN_ERRORS rejected fields of an import, every rejected line (for
    the rejected rows report) and the error report's `line,field,message` text."""

    def __init__(self):
        super().__init__()
        self.errors = []
        self.lines = io.StringIO()
        self._line_write = error_report_writer(self.lines)

    def __call__(self, error) -> None:
        super().__call__(error)
        self._line_write(error)
        if len(self.errors) < SHOWN_ERRORS:
            self.errors.append(error)


def _upload_store(upload) -> str:
    """Keep the upload in the default storage (where a worker finds it); return its token."""
    token = uuid.uuid4().hex
    default_storage.save(f"{UPLOAD_DIR}/{token}/{get_valid_filename(upload.name)}", upload)
    return token


def _upload_name(token: str) -> str | None:
    """The stored upload of the token, unless it is unknown or already imported."""
    if not _TOKEN.match(token):
        return None
    try:
        names = default_storage.listdir(f"{UPLOAD_DIR}/{token}")[1]
    except FileNotFoundError:
        return None
    if len(names) != 1:
        return None
    name = f"{UPLOAD_DIR}/{token}/{names[0]}"
    return None if Job.objects.filter(input_file=name).exists() else name


def _preview_run(name: str, *, fmt: str, channel: str | None, user, since: str):
    """Dry-run the first PREVIEW_ROWS rows; return (result, report, file error, more)."""
    report = _Report()
    try:
        with default_storage.open(name, "rb") as raw:
            rows = rows_read(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""), fmt)
            result = customers_import(
                itertools.islice(rows, PREVIEW_ROWS),
                dry_run=True,
                default_channel=channel,
                channels=channel_list(user=user),
                on_error=report,
                if_unchanged_since=unchanged_since_parse(since),
                preview=True,
            )
            more = next(rows, None) is not None
    except (ImportFileError, UnicodeDecodeError, ValueError) as error:
        return None, report, str(error), False
    return result, report, "", more


def _preview_reports_save(token: str, name: str, fmt: str, report: _Report) -> None:
    """Store the preview's rejected rows report and its error report."""
    text = io.StringIO()
    with default_storage.open(name, "rb") as raw:
        rejected_rows_write(
            io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""), fmt, report, text
        )
    folder = f"{PREVIEW_REPORT_DIR}/{token}"
    rows_name = f"{folder}/{PREVIEW_REPORTS['rows']}.{rejected_rows_format(fmt)}"
    default_storage.save(rows_name, ContentFile(text.getvalue().encode("utf-8")))
    lines_name = f"{folder}/{PREVIEW_REPORTS['lines']}.csv"
    default_storage.save(lines_name, ContentFile(report.lines.getvalue().encode("utf-8")))


def _import_allowed(user) -> None:
    if not (user.has_perm("customers.add_customer") and user.has_perm("customers.change_customer")):
        raise PermissionDenied


def customer_import_sample_view(request, fmt: str):
    """A sample file of the format: examples of every column, importable as it is."""
    _import_allowed(request.user)
    if fmt not in SAMPLE_FORMATS:
        raise Http404("No sample of this format.")
    channels, groups = sample_codes(user=request.user)
    filename, content_type, _ = SAMPLE_FORMATS[fmt]
    text = sample_text(fmt, channel=channels[0] if channels else "web", groups=groups)
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def customer_import_errors_view(request, token: str, report: str = "rows"):
    """A report of the preview: its rejected rows themselves ("rows") or its error report of
    `line,field,message` ("lines")."""
    _import_allowed(request.user)
    if not _TOKEN.match(token):
        raise Http404
    folder = f"{PREVIEW_REPORT_DIR}/{token}"
    try:
        names = default_storage.listdir(folder)[1]
    except FileNotFoundError:
        names = []
    stem = f"{PREVIEW_REPORTS[report]}."
    names = [name for name in names if name.startswith(stem)]
    if not names:
        raise Http404("This preview has no error report.")
    name = f"{folder}/{names[0]}"
    return FileResponse(default_storage.open(name, "rb"), as_attachment=True, filename=names[0])


def customer_import_urls(admin_site) -> list:
    """The import page, its samples and its preview's error report (the customer admin's)."""
    wrap = admin_site.admin_view
    return [
        path("import/", wrap(customer_import_view), name="customers_customer_import"),
        path(
            "import/sample/<str:fmt>/",
            wrap(customer_import_sample_view),
            name="customers_customer_import_sample",
        ),
        path(
            "import/errors/<str:token>/",
            wrap(customer_import_errors_view),
            name="customers_customer_import_errors",
        ),
        path(
            "import/errors/<str:token>/lines/",
            wrap(customer_import_errors_view),
            {"report": "lines"},
            name="customers_customer_import_error_lines",
        ),
    ]


def _reference_context(user) -> dict:
    channels, groups = sample_codes(user=user)
    return {
        "columns": import_columns(channels=channels, groups=groups),
        "samples": [(fmt, label) for fmt, (_, _, label) in SAMPLE_FORMATS.items()],
    }


def customer_import_view(request):
    """Upload -> dry-run preview -> import job; staff need add and change rights on customers."""
    _import_allowed(request.user)
    context = {
        **admin.site.each_context(request),
        "title": _("Import customers"),
        "opts": Customer._meta,
        "preview_rows": PREVIEW_ROWS,
        **_reference_context(request.user),
    }
    if request.method == "POST" and "token" in request.POST:
        return _import_confirmed(request, context)
    form = CustomerImportForm(request.POST or None, request.FILES or None, user=request.user)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        context.update(_preview(form, user=request.user))
    return TemplateResponse(request, TEMPLATE, context)


def _preview(form: CustomerImportForm, *, user) -> dict:
    token = _upload_store(form.cleaned_data["file"])
    name, fmt = _upload_name(token), form.cleaned_data["format"]
    channel = form.cleaned_data["channel"]
    code = channel.code if channel else ""
    since = form.since()
    result, report, problem, more = _preview_run(
        name, fmt=fmt, channel=code or None, user=user, since=since
    )
    if result is not None and result.rejected:
        _preview_reports_save(token, name, fmt, report)
    return {
        "result": result,
        "errors": report.errors,
        "changes": result.changes if result is not None else [],
        "warned": sum(1 for change in result.changes if change.warning) if result else 0,
        "problem": problem,
        "more": more,
        "dry_run": True,
        "token": token,
        "format": fmt,
        "channel": code,
        "since": since,
        "filename": form.cleaned_data["file"].name,
    }


def _import_confirmed(request, context):
    token, fmt = request.POST.get("token", ""), request.POST.get("format", "")
    code = request.POST.get("channel") or ""
    since = request.POST.get("since") or ""
    name = _upload_name(token)
    channel = channel_list(user=request.user).filter(code=code).first() if code else None
    try:
        unchanged_since_parse(since)
    except ValueError:
        name = None
    if name is None or fmt not in ("csv", "json", "ndjson") or (code and channel is None):
        messages.error(request, UPLOAD_GONE)
        context["form"] = CustomerImportForm(user=request.user)
        return TemplateResponse(request, TEMPLATE, context)
    job = job_start(
        kind=JobKind.IMPORT,
        user=request.user,
        params={"format": fmt, "channel": code, "if_unchanged_since": since},
        input_name=name,
        channel=channel,
    )
    messages.success(request, STARTED.format(name=name.rsplit("/", 1)[-1], job=job))
    return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
