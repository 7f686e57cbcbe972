"""The admin's customer import page: upload, dry-run preview, then the import as a job.

It runs the same service as `manage.py import_customers` (customers.imports). The upload is
kept in the default storage; the preview is a dry run of its first PREVIEW_ROWS rows (within
the request), and the import itself is a background job of any size (jobs app), which the
page hands over to: staff follow its progress, cancel it and download its error report in
the Jobs admin.
"""

import io
import itertools
import re
import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import get_valid_filename

from customers.imports import customers_import
from customers.imports.readers import ImportFileError, format_infer, rows_read
from customers.models import Customer
from customers.selectors import channel_list
from jobs.models import Job, JobKind
from jobs.services import job_start

PREVIEW_ROWS = 1000
UPLOAD_DIR = "jobs/uploads"
SHOWN_ERRORS = 200
TEMPLATE = "admin/customers/customer/import.html"
NO_FORMAT = "Cannot tell the format from the file name: choose CSV, JSON or NDJSON."
UPLOAD_GONE = "The uploaded file is no longer available: upload it again."
STARTED = "The import of {name} runs as {job}: follow it here."
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
FORMAT_CHOICES = [
    ("", "From the file name"),
    ("csv", "CSV"),
    ("ndjson", "NDJSON"),
    ("json", "JSON"),
]


class CustomerImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV, JSON or NDJSON of customers, as export_customers writes."
    )
    format = forms.ChoiceField(choices=FORMAT_CHOICES, required=False)
    channel = forms.ModelChoiceField(
        queryset=None,
        to_field_name="code",
        required=False,
        help_text="For rows that name no channel.",
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
        return cleaned


class _Report:
    """Collects the first SHOWN_ERRORS rejected fields of an import."""

    def __init__(self):
        self.errors = []

    def __call__(self, error) -> None:
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


def _preview_run(name: str, *, fmt: str, channel: str | None, user):
    """Dry-run the first PREVIEW_ROWS rows; return (result, shown errors, file error, more)."""
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
            )
            more = next(rows, None) is not None
    except (ImportFileError, UnicodeDecodeError, ValueError) as error:
        return None, [], str(error), False
    return result, report.errors, "", more


def customer_import_view(request):
    """Upload -> dry-run preview -> import job; staff need add and change rights on customers."""
    if not (
        request.user.has_perm("customers.add_customer")
        and request.user.has_perm("customers.change_customer")
    ):
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": "Import customers",
        "opts": Customer._meta,
        "preview_rows": PREVIEW_ROWS,
    }
    if request.method == "POST" and "token" in request.POST:
        return _import_confirmed(request, context)
    form = CustomerImportForm(request.POST or None, request.FILES or None, user=request.user)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        token = _upload_store(form.cleaned_data["file"])
        channel = form.cleaned_data["channel"]
        code = channel.code if channel else ""
        result, errors, problem, more = _preview_run(
            _upload_name(token),
            fmt=form.cleaned_data["format"],
            channel=code or None,
            user=request.user,
        )
        context.update(
            result=result,
            errors=errors,
            problem=problem,
            more=more,
            dry_run=True,
            token=token,
            format=form.cleaned_data["format"],
            channel=code,
            filename=form.cleaned_data["file"].name,
        )
    return TemplateResponse(request, TEMPLATE, context)


def _import_confirmed(request, context):
    token, fmt = request.POST.get("token", ""), request.POST.get("format", "")
    code = request.POST.get("channel") or ""
    name = _upload_name(token)
    channel = channel_list(user=request.user).filter(code=code).first() if code else None
    if name is None or fmt not in ("csv", "json", "ndjson") or (code and channel is None):
        messages.error(request, UPLOAD_GONE)
        context["form"] = CustomerImportForm(user=request.user)
        return TemplateResponse(request, TEMPLATE, context)
    job = job_start(
        kind=JobKind.IMPORT,
        user=request.user,
        params={"format": fmt, "channel": code},
        input_name=name,
        channel=channel,
    )
    messages.success(request, STARTED.format(name=name.rsplit("/", 1)[-1], job=job))
    return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
