"""The import page staff can trust: samples, column reference, diffs, newer-edit warnings and
the rejected rows to download, fix and import again, and the `line,field,message` error report."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.import_samples import SAMPLE_FORMATS
from customers.models import Customer
from customers.services import customer_update
from customers.validation import INVALID_EMAIL
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.groups.factories import UserGroupFactory
from tests.imports.helpers import run

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:customers_customer_import")


@pytest.fixture
def channel():
    return ChannelFactory(code="web")


def _upload(client, text, name="customers.csv", **extra):
    upload = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post(IMPORT, {"file": upload, **extra})


def _sample(client, fmt: str) -> bytes:
    response = client.get(reverse("admin:customers_customer_import_sample", args=[fmt]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{SAMPLE_FORMATS[fmt][0]}"'
    return response.content


@pytest.mark.parametrize("fmt", list(SAMPLE_FORMATS))
def test_each_sample_file_imports_cleanly(staff_client, channel, tmp_path, fmt):
    # given: a group to belong to, and the sample as the page offers it
    UserGroupFactory(code="vip")
    path = tmp_path / SAMPLE_FORMATS[fmt][0]
    path.write_bytes(_sample(staff_client, fmt))

    # when
    code, out, err = run("import_customers", str(path), format="csv" if fmt == "csv" else None)

    # then: every field of the full customer is taken, with its address and group
    assert (code, err) == (0, "")
    assert "2 created, 0 updated, 0 unchanged, 0 rejected" in out
    maria = Customer.objects.get(email="maria.silva@example.com")
    assert (maria.first_name, maria.last_name, maria.status) == ("María", "Silva", "active")
    assert maria.discount_percent == 5
    address = maria.addresses.get()
    assert (address.city, address.country, address.is_default) == ("São Paulo", "BR", True)
    assert address.is_billing
    assert list(maria.memberships.values_list("group__code", flat=True)) == ["vip"]
    # and again: nothing changes
    assert "0 created, 0 updated, 2 unchanged" in run("import_customers", str(path))[1]


def test_unknown_sample_format_is_404(staff_client):
    url = reverse("admin:customers_customer_import_sample", args=["xml"])
    assert staff_client.get(url).status_code == 404


def test_the_page_lists_samples_and_every_column(staff_client, channel):
    response = staff_client.get(IMPORT)

    html = response.content.decode()
    for fmt in SAMPLE_FORMATS:
        assert reverse("admin:customers_customer_import_sample", args=[fmt]) in html
    names = [column.name for column in response.context["columns"]]
    assert names[:2] == ["channel", "email"]
    assert {"status", "groups", "address.city", "updated_at", "version"} <= set(names)
    status = next(c for c in response.context["columns"] if c.name == "status")
    assert (status.type, status.allowed, status.required) == (
        "choice",
        "active, inactive, frozen",
        False,
    )
    assert "<td><code>status</code></td><td>choice</td>" in html


def test_preview_shows_each_updates_field_diff_and_unchanged_rows(staff_client, channel):
    # given
    CustomerFactory(channel=channel, email="ann@example.com", first_name="Ann", company="Old")
    CustomerFactory(channel=channel, email="bob@example.com", first_name="Bob", company="")
    text = (
        "channel,email,first_name,company\n"
        "web,ann@example.com,Ann,New Co\n"
        "web,bob@example.com,Bob,\n"
        "web,cy@example.com,Cy,\n"
    )

    # when
    response = _upload(staff_client, text)

    # then
    changes = {c.email: (c.status, c.fields) for c in response.context["changes"]}
    assert changes == {
        "ann@example.com": ("update", [("company", "Old", "New Co")]),
        "bob@example.com": ("unchanged", []),
        "cy@example.com": ("create", []),
    }
    html = response.content.decode()
    assert "<code>company</code>: <del>Old</del> &rarr; <ins>New Co</ins>" in html
    assert ">unchanged</td>" in html
    assert Customer.objects.get(email="ann@example.com").company == "Old"


def test_preview_diff_covers_groups_and_new_addresses(staff_client, channel):
    UserGroupFactory(code="vip")
    CustomerFactory(channel=channel, email="ann@example.com")
    text = "channel,email,groups,address.city\nweb,ann@example.com,vip,Lima\n"

    [change] = _upload(staff_client, text).context["changes"]

    assert change.fields == [("groups", "", "vip"), ("address", "", "+ Lima")]


@pytest.fixture
def exported_then_edited(channel, api_user, tmp_path):
    """An export of Ann and Bob; Ann is edited after it; the file renames both."""
    for email in ("ann@example.com", "bob@example.com"):
        CustomerFactory(channel=channel, email=email, first_name="Old")
    path = tmp_path / "export.csv"
    run("export_customers", str(path))
    ann = Customer.objects.get(email="ann@example.com")
    customer_update(customer=ann, data={"company": "Edited"}, user=api_user, partial=True)
    return path.read_text(encoding="utf-8").replace(",Old,", ",FromFile,")


def test_preview_warns_of_rows_that_would_overwrite_newer_edits(staff_client, exported_then_edited):
    response = _upload(staff_client, exported_then_edited)

    warned = {c.email: c.warning for c in response.context["changes"] if c.warning}
    assert list(warned) == ["ann@example.com"]
    assert warned["ann@example.com"].startswith("Would overwrite newer edits")
    assert response.context["warned"] == 1
    assert 'id="newer-edits-warning"' in response.content.decode()


def test_skipping_newer_edits_rejects_them_in_preview_and_import(
    staff_client, exported_then_edited, django_capture_on_commit_callbacks
):
    # given: the preview with the box ticked
    preview = _upload(staff_client, exported_then_edited, protect_newer_edits="on")
    assert preview.context["result"].rejected == 1
    assert preview.context["errors"][0].message.startswith("Would overwrite newer edits")

    # when: the import runs as a job
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            IMPORT,
            {"token": preview.context["token"], "format": "csv", "since": preview.context["since"]},
        )

    # then
    names = dict(Customer.objects.values_list("email", "first_name"))
    assert names == {"ann@example.com": "Old", "bob@example.com": "FromFile"}


def test_both_newer_edit_checks_at_once_are_refused(staff_client, channel):
    response = _upload(
        staff_client,
        "email\na@example.com\n",
        protect_newer_edits="on",
        unchanged_since="2026-01-01 10:00",
    )

    assert response.context["form"].errors == {
        "unchanged_since": ["Choose one: the file's own updated_at/version, or a date and time."]
    }


def test_preview_rejected_rows_download_fix_and_reimport(staff_client, channel, tmp_path):
    # given
    text = "channel,email,first_name\nweb,a@example.com,Ann\nweb,nope,Bad\n"
    preview = _upload(staff_client, text)
    url = reverse("admin:customers_customer_import_errors", args=[preview.context["token"]])
    assert url in preview.content.decode()

    # when: the report downloaded, its bad cell fixed and imported
    response = staff_client.get(url)
    assert response["Content-Disposition"] == 'attachment; filename="rejected_rows.csv"'
    report = b"".join(response.streaming_content).decode()
    assert report.splitlines()[0] == "channel,email,first_name,line,errors"
    path = tmp_path / "fixed.csv"
    path.write_text(report.replace(",nope,", ",bad@example.com,"), encoding="utf-8")
    code, out, _ = run("import_customers", str(path))

    # then
    assert code == 0
    assert Customer.objects.get().email == "bad@example.com"


def test_preview_error_report_download_is_line_field_message(staff_client, channel):
    text = "channel,email,first_name\nweb,a@example.com,Ann\nweb,nope,Bad\n"
    preview = _upload(staff_client, text)
    url = reverse("admin:customers_customer_import_error_lines", args=[preview.context["token"]])
    assert url in preview.content.decode()

    response = staff_client.get(url)

    assert response["Content-Disposition"] == 'attachment; filename="errors.csv"'
    report = b"".join(response.streaming_content).decode()
    assert list(csv.reader(io.StringIO(report))) == [
        ["line", "field", "message"],
        ["3", "email", str(INVALID_EMAIL)],
    ]


@pytest.mark.parametrize(
    "name", ["customers_customer_import_errors", "customers_customer_import_error_lines"]
)
def test_preview_errors_of_an_unknown_token_are_404(staff_client, name):
    url = reverse(f"admin:{name}", args=["0" * 32])
    assert staff_client.get(url).status_code == 404


def test_json_preview_report_is_ndjson(staff_client, channel):
    text = json.dumps([{"channel": "web", "email": "nope"}])
    preview = _upload(staff_client, text, name="c.json")

    url = reverse("admin:customers_customer_import_errors", args=[preview.context["token"]])
    report = b"".join(staff_client.get(url).streaming_content).decode()

    assert json.loads(report)["line"] == 1
