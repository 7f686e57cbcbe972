"""The admin's customer import page: upload, dry-run preview, then the real import.

It runs the same service as `manage.py import_customers` (customers.imports). Files up to
SYNC_LIMIT are imported within the request (the bulk path writes tens of thousands of rows a
second, so that is a few seconds at most); bigger files are refused with a pointer to the
command, which streams any size.
"""

import re
import tempfile
import uuid
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from customers.imports import customers_import
from customers.imports.readers import ImportFileError, format_infer, rows_read
from customers.models import Channel, Customer

SYNC_LIMIT = 5 * 1024 * 1024
UPLOAD_DIR = Path(tempfile.gettempdir()) / "patron-admin-imports"
SHOWN_ERRORS = 200
TEMPLATE = "admin/customers/customer/import.html"
TOO_LARGE = (
    "This file has {size:.1f} MB; the admin imports files up to 5 MB. Import bigger files "
    "with `manage.py import_customers PATH` (it streams files of any size)."
)
NO_FORMAT = "Cannot tell the format from the file name: choose CSV, JSON or NDJSON."
UPLOAD_GONE = "The uploaded file is no longer available: upload it again."
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
        queryset=Channel.objects.order_by("code"),
        to_field_name="code",
        required=False,
        help_text="For rows that name no channel.",
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        if upload.size > SYNC_LIMIT:
            self.add_error("file", TOO_LARGE.format(size=upload.size / 1024 / 1024))
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
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    with open(UPLOAD_DIR / token, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return token


def _import_run(path: Path, *, fmt: str, channel: str | None, dry_run: bool):
    """Run the import service on the stored file; return (result, shown errors, file error)."""
    report = _Report()
    try:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            result = customers_import(
                rows_read(stream, fmt), dry_run=dry_run, default_channel=channel, on_error=report
            )
    except (ImportFileError, UnicodeDecodeError, ValueError) as error:
        return None, [], str(error)
    return result, report.errors, ""


def customer_import_view(request):
    """Upload -> dry-run preview -> import; staff need add and change rights on customers."""
    if not (
        request.user.has_perm("customers.add_customer")
        and request.user.has_perm("customers.change_customer")
    ):
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": "Import customers",
        "opts": Customer._meta,
        "limit_mb": SYNC_LIMIT // 1024 // 1024,
    }
    if request.method == "POST" and "token" in request.POST:
        return _import_confirmed(request, context)
    form = CustomerImportForm(request.POST or None, request.FILES or None)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        token = _upload_store(form.cleaned_data["file"])
        channel = form.cleaned_data["channel"]
        code = channel.code if channel else ""
        result, errors, problem = _import_run(
            UPLOAD_DIR / token, fmt=form.cleaned_data["format"], channel=code or None, dry_run=True
        )
        context.update(
            result=result,
            errors=errors,
            problem=problem,
            dry_run=True,
            token=token,
            format=form.cleaned_data["format"],
            channel=code,
            filename=form.cleaned_data["file"].name,
        )
    return TemplateResponse(request, TEMPLATE, context)


def _import_confirmed(request, context):
    token, fmt = request.POST.get("token", ""), request.POST.get("format", "")
    channel = request.POST.get("channel") or None
    path = UPLOAD_DIR / token
    if not _TOKEN.match(token) or fmt not in ("csv", "json", "ndjson") or not path.exists():
        messages.error(request, UPLOAD_GONE)
        context["form"] = CustomerImportForm()
        return TemplateResponse(request, TEMPLATE, context)
    try:
        result, errors, problem = _import_run(path, fmt=fmt, channel=channel, dry_run=False)
    finally:
        path.unlink(missing_ok=True)
    if result is not None:
        messages.success(
            request,
            f"Imported: {result.created} created, {result.updated} updated, "
            f"{result.rejected} rejected.",
        )
    context.update(result=result, errors=errors, problem=problem, dry_run=False)
    context["form"] = CustomerImportForm()
    return TemplateResponse(request, TEMPLATE, context)
