import pytest
from django.contrib.admin import helpers
from django.core import mail
from django.urls import reverse

from customers.models import Customer
from customers.services import ANONYMIZED_EMAIL
from groups.models import UserCustomerGroup
from jobs.models import Job, JobKind, JobStatus
from tests.admin.helpers import CUSTOMERS
from tests.customers.factories import AddressFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers():
    return [
        CustomerFactory(email="a@example.com", status="inactive"),
        CustomerFactory(email="b@example.com", status="frozen"),
        CustomerFactory(email="c@example.com", status="active"),
    ]


def _run(client, action, customers, **extra):
    data = {
        "action": action,
        "index": "0",
        helpers.ACTION_CHECKBOX_NAME: [str(c.pk) for c in customers],
        **extra,
    }
    return client.post(CUSTOMERS, data)


def _statuses():
    return dict(Customer.objects.values_list("email", "status"))


@pytest.mark.parametrize(
    ("action", "status"),
    [
        pytest.param("customers_activate", "active", id="activate"),
        pytest.param("customers_deactivate", "inactive", id="deactivate"),
        pytest.param("customers_freeze", "frozen", id="freeze"),
    ],
)
def test_status_actions(staff_client, customers, action, status):
    response = _run(staff_client, action, customers[:2])

    assert response.status_code == 302
    statuses = _statuses()
    assert statuses["a@example.com"] == statuses["b@example.com"] == status
    assert statuses["c@example.com"] == "active"


def test_status_action_writes_only_the_status(staff_client, customers):
    """Legacy data elsewhere in the row does not stop a status change, and stays as it is."""
    Customer.objects.filter(pk=customers[0].pk).update(attributes=[])

    response = _run(staff_client, "customers_freeze", customers[:2])

    texts = [str(m) for m in response.wsgi_request._messages]
    assert texts == ["1 customer(s) frozen."]
    assert _statuses()["a@example.com"] == "frozen"
    assert Customer.objects.get(pk=customers[0].pk).attributes == []
    assert customers[0].history.count() == 2


def test_add_to_group_asks_for_the_group_first(staff_client, customers):
    UserGroupFactory(code="vip")

    page = _run(staff_client, "customers_group_add", customers[:2])

    assert page.status_code == 200
    html = page.content.decode()
    assert "2 customers selected" in html
    assert "a@example.com" in html
    assert '<select name="group"' in html
    assert not UserCustomerGroup.objects.exists()


def test_add_to_group(staff_client, customers):
    group = UserGroupFactory(code="vip")
    UserCustomerGroupFactory(customer=customers[0], group=group)

    response = _run(
        staff_client, "customers_group_add", customers[:2], group=str(group.pk), apply="yes"
    )

    assert response.status_code == 302
    members = UserCustomerGroup.objects.filter(group=group).values_list(
        "customer__email", flat=True
    )
    assert sorted(members) == ["a@example.com", "b@example.com"]


def test_remove_from_group(staff_client, customers):
    group = UserGroupFactory(code="vip")
    for customer in customers:
        UserCustomerGroupFactory(customer=customer, group=group)

    page = _run(staff_client, "customers_group_remove", customers[:2])
    response = _run(
        staff_client, "customers_group_remove", customers[:2], group=str(group.pk), apply="yes"
    )

    assert page.status_code == 200
    assert response.status_code == 302
    members = UserCustomerGroup.objects.values_list("customer__email", flat=True)
    assert list(members) == ["c@example.com"]


def test_send_invite(staff_client, customers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _run(staff_client, "customers_invite_send", customers[1:])

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    assert sorted(message.to[0] for message in mail.outbox) == ["b@example.com", "c@example.com"]
    assert (job.kind, job.status, job.rows_done, job.rows_total) == (
        JobKind.INVITATION,
        JobStatus.DONE,
        2,
        2,
    )
    assert job.summary == {"sent": 2, "failed": 0, "missing": 0}


def test_anonymize_asks_for_confirmation(staff_client, customers):
    page = _run(staff_client, "customers_anonymize", customers[:1])

    assert page.status_code == 200
    assert "This cannot be undone." in page.content.decode()
    assert Customer.objects.filter(email="a@example.com").exists()


def test_anonymize_after_confirmation(staff_client, customers):
    AddressFactory(customer=customers[0], city="Lisbon", country="PT")

    response = _run(staff_client, "customers_anonymize", customers[:1], apply="yes")

    assert response.status_code == 302
    customer = Customer.objects.get(pk=customers[0].pk)
    assert customer.email == ANONYMIZED_EMAIL.format(pk=customer.pk)
    assert customer.first_name == ""
    address = customer.addresses.get()
    assert (address.city, address.country) == ("", "PT")


def test_actions_apply_to_every_row_selected_across_pages(staff_client, customers):
    response = _run(staff_client, "customers_freeze", customers[:1], select_across="1")

    assert response.status_code == 302
    assert set(_statuses().values()) == {"frozen"}


def test_export_selected_as_csv_in_the_export_command_format(
    staff_client, customers, django_capture_on_commit_callbacks
):
    exports = pytest.importorskip("customers.exports", reason="arrives with issue-6")

    with django_capture_on_commit_callbacks(execute=True):
        started = _run(staff_client, "customers_export_csv", customers[:2])
    job = Job.objects.get()
    response = staff_client.get(reverse("admin:jobs_job_download", args=[job.pk, "result"]))

    assert started.status_code == 302
    assert (job.kind, job.status, job.rows_done) == (JobKind.EXPORT, JobStatus.DONE, 2)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="customers.csv"'
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == ",".join(exports.CSV_HEADER)
    emails = {line.split(",")[exports.CSV_HEADER.index("email")] for line in lines[1:]}
    assert emails == {"a@example.com", "b@example.com"}
