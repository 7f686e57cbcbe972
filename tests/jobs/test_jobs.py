"""Admin imports, exports and invitations run as jobs on each task engine (tests/jobs/conftest):
in the request (immediate), on the database backend's workers and on RQ workers over Redis."""

import csv
import io

import pytest
from django.contrib.admin import helpers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from customers.models import Customer
from customers.validation import INVALID_EMAIL
from jobs.models import Job, JobKind, JobStatus
from jobs.services import job_cancel, job_start
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory
from tests.jobs.conftest import job_wait

pytestmark = pytest.mark.django_db(transaction=True)

IMPORT = reverse("admin:customers_customer_import")
CUSTOMERS = reverse("admin:customers_customer_changelist")
MB = 1024 * 1024
NOTE = "n" * 2000
ROWS = 2650
BAD_LINES = (2, 1500, ROWS + 1)


def _big_csv(rows: int) -> str:
    """A CSV of `rows` customers of about 2 KB each; the rows on BAD_LINES are refused."""
    lines = ["channel,email,first_name,note"]
    for line in range(2, rows + 2):
        email = "not-an-email" if line in BAD_LINES else f"c{line}@example.com"
        lines.append(f"web,{email},Name{line},{NOTE}")
    return "\n".join(lines) + "\n"


def _download(client, job: Job, which: str) -> str:
    response = client.get(reverse("admin:jobs_job_download", args=[job.pk, which]))
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def _action(client, action: str, **data):
    return client.post(CUSTOMERS, {"action": action, "index": "0", **data})


def test_admin_import_of_a_file_over_5_mb_completes_as_a_job(engine, staff_client, staff_user):
    ChannelFactory(code="web")
    text = _big_csv(ROWS)
    assert len(text.encode()) > 5 * MB

    upload = SimpleUploadedFile("big.csv", text.encode(), content_type="text/csv")
    preview = staff_client.post(IMPORT, {"file": upload})
    assert preview.status_code == 200, preview.context["form"].errors
    assert preview.context["more"] is True
    started = staff_client.post(IMPORT, {"token": preview.context["token"], "format": "csv"})
    job = job_wait(Job.objects.get())

    assert started.status_code == 302
    assert (job.kind, job.status, job.error) == (JobKind.IMPORT, JobStatus.DONE, "")
    assert (job.rows_done, job.rows_total) == (ROWS, ROWS)
    assert (job.summary["created"], job.summary["rejected"]) == (ROWS - 3, 3)
    assert job.started_at <= job.finished_at
    assert Customer.objects.count() == ROWS - 3
    assert job.created_by == staff_user
    report = list(csv.DictReader(io.StringIO(_download(staff_client, job, "errors"))))
    assert [int(row["line"]) for row in report] == list(BAD_LINES)
    assert {(row["email"], row["note"], row["errors"]) for row in report} == {
        ("not-an-email", NOTE, f"email: {INVALID_EMAIL}")
    }
    page = staff_client.get(started["Location"]).content.decode()
    assert f"{ROWS:,} / {ROWS:,} (100%) · " in page
    assert 'http-equiv="refresh"' not in page  # finished: no more refreshing
    assert reverse("admin:jobs_job_download", args=[job.pk, "errors"]) in page
    assert "Download rejected rows (to fix and import again)</a>" in page
    assert job.error_report.name.rsplit("/", 1)[-1].startswith("rejected_rows")


def test_export_job_result_equals_export_customers_output(engine, staff_client, tmp_path):
    group = UserGroupFactory(code="vip")
    for number in range(30):
        customer = CustomerFactory(email=f"e{number}@example.com")
        AddressFactory(customer=customer)
        if number % 3 == 0:
            UserCustomerGroupFactory(customer=customer, group=group)
    selected = list(Customer.objects.order_by("id").values_list("pk", flat=True))

    started = _action(
        staff_client,
        "customers_export_csv",
        select_across="1",
        **{helpers.ACTION_CHECKBOX_NAME: [str(selected[0])]},
    )
    job = job_wait(Job.objects.get())
    call_command("export_customers", str(tmp_path / "all.csv"))

    assert started.status_code == 302
    assert (job.status, job.rows_done, job.rows_total) == (JobStatus.DONE, 30, 30)
    exported = _download(staff_client, job, "result")
    assert exported == (tmp_path / "all.csv").read_bytes().decode()
    assert len(exported.splitlines()) == 31


def test_invitation_job_sends_the_emails(engine, staff_client):
    customers = [CustomerFactory(email=f"i{number}@example.com") for number in range(3)]
    CustomerFactory(email="not-chosen@example.com")

    _action(
        staff_client,
        "customers_invite_send",
        **{helpers.ACTION_CHECKBOX_NAME: [str(customer.pk) for customer in customers]},
    )
    job = job_wait(Job.objects.get())

    assert (job.kind, job.status, job.rows_done, job.rows_total) == (
        JobKind.INVITATION,
        JobStatus.DONE,
        3,
        3,
    )
    assert job.summary == {"sent": 3, "failed": 0, "missing": 0}
    assert engine.sent_to() == [customer.email for customer in customers]


def test_cancel_stops_a_running_import_between_batches(engine, staff_user):
    if engine.name == "immediate":
        pytest.skip("an immediate job has finished before anyone can cancel it")
    ChannelFactory(code="web")
    rows, batch = 20_000, 50
    lines = ["channel,email"] + [f"web,c{n}@example.com" for n in range(rows)]
    name = default_storage.save("tests/cancel.csv", ContentFile("\n".join(lines).encode()))
    job = job_start(
        kind=JobKind.IMPORT,
        user=staff_user,
        params={"format": "csv", "batch_size": batch},
        input_name=name,
    )

    job_wait(job, until=lambda job: job.rows_done > 0 or job.finished)
    assert job_cancel(job=job)
    job = job_wait(job)

    written = Customer.objects.count()
    assert job.status == JobStatus.CANCELLED
    assert job.finished_at is not None
    assert job.rows_total == rows
    assert 0 < written < rows
    # Whole batches only: the one being written when the cancel came is finished, no other.
    assert written % batch == 0
    assert job.rows_done == written
    assert job_wait(job, timeout=1).status == JobStatus.CANCELLED


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"channel,email\nweb,\xff\xfe@example.com\n", "can't decode byte 0xff"),
        (b"channel,email,shoe_size\nweb,a@example.com,42\n", "shoe_size"),
    ],
    ids=["not-utf-8", "unknown-column"],
)
def test_a_failing_job_is_marked_failed_with_its_error(engine, staff_user, content, error):
    ChannelFactory(code="web")
    name = default_storage.save("tests/broken.csv", ContentFile(content))

    job = job_wait(
        job_start(kind=JobKind.IMPORT, user=staff_user, params={"format": "csv"}, input_name=name)
    )

    assert job.status == JobStatus.FAILED
    assert error in job.error
    assert job.finished_at is not None
    assert Customer.objects.count() == 0


def test_an_unexpected_error_fails_the_job_with_its_type(engine, staff_user):
    job = job_wait(
        job_start(
            kind=JobKind.EXPORT,
            user=staff_user,
            params={"format": "csv"},
            input_name="tests/no-such-file.txt",
        )
    )

    assert job.status == JobStatus.FAILED
    assert job.error.startswith("FileNotFoundError: ")
