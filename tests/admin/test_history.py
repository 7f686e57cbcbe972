import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from customers.models import Address, Customer
from customers.services import address_create, customer_anonymize, customer_update
from groups.models import UserCustomerGroup
from orders.models import OrderCustomData
from tests.admin.helpers import address_form, customer_change_url, customer_form
from tests.conftest import api_key_for
from tests.customers.factories import AddressFactory, CustomerFactory
from tests.groups.factories import UserGroupFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _last(model, **filters):
    return model.history.filter(**filters).order_by("-history_id").first()


def test_admin_change_is_recorded_with_the_staff_user_and_the_diff(staff_client, staff_user):
    customer = CustomerFactory(first_name="Ana")

    staff_client.post(
        customer_change_url(customer),
        customer_form(customer, first_name="Anabela", addresses=[address_form(country="PT")]),
    )

    record = _last(Customer, id=customer.pk)
    assert (record.history_type, record.history_user) == ("~", staff_user)
    delta = record.diff_against(record.prev_record)
    assert ("first_name", "Ana", "Anabela") in [(c.field, c.old, c.new) for c in delta.changes]
    assert _last(Address, customer_id=customer.pk).history_user == staff_user


def test_history_page_shows_the_change(staff_client, staff_user):
    customer = CustomerFactory(first_name="Ana")
    staff_client.post(customer_change_url(customer), customer_form(customer, first_name="Bia"))

    response = staff_client.get(customer_change_url(customer).replace("change/", "history/"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "staff" in html
    assert "Bia" in html or "First name" in html


def test_api_change_with_a_token_is_recorded_with_the_api_user(api_user):
    customer = CustomerFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(api_user)}")

    response = client.patch(
        f"/api/v1/customers/{customer.pk}/", {"first_name": "Token"}, format="json"
    )

    assert response.status_code == 200
    record = _last(Customer, id=customer.pk)
    assert (record.first_name, record.history_user) == ("Token", api_user)


def test_custom_data_changes_are_recorded(api_client, api_user):
    order = OrderFactory()

    response = api_client.post(
        f"/api/v1/orders/{order.pk}/custom-data/", {"name": "gift", "value": "yes"}, format="json"
    )

    assert response.status_code == 201
    record = _last(OrderCustomData, order_id=order.pk)
    assert (record.history_type, record.value, record.history_user) == ("+", "yes", api_user)


def test_flag_moves_done_in_bulk_are_recorded():
    customer = CustomerFactory()
    first = AddressFactory(customer=customer, is_default=True)

    address_create(customer=customer, data={"city": "New", "is_default": True})

    record = _last(Address, id=first.pk)
    assert (record.history_type, record.is_default) == ("~", False)


def test_anonymize_records_the_erased_addresses():
    address = AddressFactory(city="Lisbon")

    customer_anonymize(customer=address.customer)

    assert _last(Address, id=address.pk).city == ""
    assert _last(Customer, id=address.customer_id).first_name == ""


def test_groups_set_records_added_and_removed_memberships():
    customer = CustomerFactory()
    UserGroupFactory(code="old")
    UserGroupFactory(code="new")
    user = get_user_model().objects.create_superuser("history-editor", password="pw-123-x")
    customer_update(customer=customer, data={"groups": ["old"]}, user=user, partial=True)

    customer_update(customer=customer, data={"groups": ["new"]}, user=user, partial=True)

    types = UserCustomerGroup.history.order_by("history_id").values_list(
        "group__code", "history_type"
    )
    assert list(types) == [("old", "+"), ("old", "-"), ("new", "+")]


def test_password_is_not_kept_in_history():
    assert "password" not in {f.name for f in Customer.history.model._meta.fields}


def test_rows_written_in_bulk_are_recorded_set_based(staff_user):
    from config.history import history_record_queryset

    customers = CustomerFactory.create_batch(3, first_name="Bulk")
    Customer.objects.update(first_name="Copied")

    written = history_record_queryset(
        Customer.objects.filter(pk__in=[c.pk for c in customers[:2]]),
        user_id=staff_user.pk,
        reason="import",
    )

    assert written == 2
    rows = Customer.history.filter(history_change_reason="import").order_by("id")
    assert [(r.id, r.first_name, r.history_type, r.history_user_id) for r in rows] == [
        (c.pk, "Copied", "~", staff_user.pk) for c in customers[:2]
    ]


def test_admin_change_names_the_admin_as_its_source(staff_client, staff_user):
    customer = CustomerFactory(first_name="Ana")

    staff_client.post(customer_change_url(customer), customer_form(customer, first_name="Bia"))

    record = _last(Customer, id=customer.pk)
    assert (record.history_user, record.history_change_reason) == (staff_user, "admin")


def test_api_change_names_the_api_key(api_user):
    customer = CustomerFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(api_user, name='erp-sync')}")

    client.patch(f"/api/v1/customers/{customer.pk}/", {"first_name": "Key"}, format="json")

    record = _last(Customer, id=customer.pk)
    assert (record.history_user, record.history_change_reason) == (api_user, "API (erp-sync)")


def test_command_import_names_its_file_and_the_history_page_shows_it(staff_client, tmp_path):
    # given
    from io import StringIO

    from django.core.management import call_command

    from tests.customers.factories import ChannelFactory

    ChannelFactory(code="web")
    path = tmp_path / "spring-customers.csv"
    path.write_text("channel,email,first_name\nweb,ana@example.com,Ana\n", encoding="utf-8")

    # when
    call_command("import_customers", str(path), stdout=StringIO())

    # then
    customer = Customer.objects.get(email="ana@example.com")
    record = _last(Customer, id=customer.pk)
    assert (record.history_user, record.history_change_reason) == (
        None,
        "import (spring-customers.csv)",
    )
    html = staff_client.get(customer_change_url(customer).replace("change/", "history/"))
    html = html.content.decode()
    assert '<th scope="col">Source</th>' in html
    assert "import (spring-customers.csv)" in html
    assert ">None<" not in html.replace(" ", "").replace("\n", "")


def test_background_job_changes_name_the_job():
    from config.history import history_reason_current, history_user_as

    with history_user_as(None, reason="import (a.csv, job #7)"):
        assert history_reason_current() == "import (a.csv, job #7)"
    assert history_reason_current() == "command"
