"""The admin applies the API's channel rule: a staff user limited to some channels sees,
picks, exports and imports only their rows."""

import pytest
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import Customer
from jobs.models import Job
from tests.conftest import patron_user_create
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory
from tests.orders.factories import OrderCustomDataFactory, OrderFactory

pytestmark = pytest.mark.django_db

CUSTOMERS = reverse("admin:customers_customer_changelist")
IMPORT = reverse("admin:customers_customer_import")


@pytest.fixture
def shops():
    web, b2b = ChannelFactory(code="web"), ChannelFactory(code="b2b")
    mine = CustomerFactory(channel=web, email="mine@example.com")
    theirs = CustomerFactory(channel=b2b, email="theirs@example.com")
    return {"web": web, "b2b": b2b, "mine": mine, "theirs": theirs}


@pytest.fixture
def web_staff(shops, client):
    """A staff member limited to the web channel, with every Patron permission."""
    user = patron_user_create("web-staff", password="pw-web-staff-123", is_staff=True)
    shops["web"].api_users.add(user)
    client.force_login(user)
    return client


def _rows(client, name: str) -> list:
    response = client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        pytest.param("customers_customer", lambda customer: customer, id="customers"),
        pytest.param("customers_address", lambda c: AddressFactory(customer=c), id="addresses"),
        pytest.param(
            "groups_usercustomergroup",
            lambda customer: UserCustomerGroupFactory(customer=customer),
            id="memberships",
        ),
        pytest.param("orders_order", lambda c: OrderFactory(customer=c), id="orders"),
        pytest.param(
            "orders_ordercustomdata",
            lambda c: OrderCustomDataFactory(order=OrderFactory(customer=c)),
            id="custom-data",
        ),
    ],
)
def test_lists_and_change_pages_hold_only_the_users_channels(shops, web_staff, name, make):
    mine, theirs = make(shops["mine"]), make(shops["theirs"])

    assert _rows(web_staff, name) == [mine]
    assert web_staff.get(reverse(f"admin:{name}_change", args=[mine.pk])).status_code == 200
    hidden = web_staff.get(reverse(f"admin:{name}_change", args=[theirs.pk]))
    assert hidden.status_code == 302  # the admin's "does not exist" answer
    assert hidden["Location"] == reverse("admin:index")


def test_a_superuser_still_sees_every_channel(shops, admin_client):
    assert {c.email for c in _rows(admin_client, "customers_customer")} == {
        "mine@example.com",
        "theirs@example.com",
    }


def test_channels_filters_and_choices_offer_only_the_users_channels(shops, web_staff):
    app = ChannelFactory(code="app")  # a second channel of the user's: the filter shows
    app.api_users.add(get_user_model().objects.get(username="web-staff"))
    assert [channel.code for channel in _rows(web_staff, "customers_channel")] == ["app", "web"]
    changelist = web_staff.get(CUSTOMERS)
    (channel_filter,) = [
        spec
        for spec in changelist.context["cl"].filter_specs
        if getattr(spec, "field_path", None) == "channel"
    ]
    assert sorted(channel_filter.lookup_choices) == [
        (shops["web"].pk, str(shops["web"])),
        (app.pk, str(app)),
    ]
    assert f"channel__id__exact={shops['b2b'].pk}" not in changelist.content.decode()
    add_form = web_staff.get(reverse("admin:customers_customer_add")).context["adminform"].form
    assert set(add_form.fields["channel"].queryset) == {shops["web"], app}


def test_a_customer_cannot_be_added_to_another_channel(shops, web_staff):
    response = web_staff.post(
        reverse("admin:customers_customer_add"),
        {
            "channel": "b2b",
            "email": "new@example.com",
            "status": "active",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "channel" in response.context["adminform"].form.errors
    assert not Customer.objects.filter(email="new@example.com").exists()


def test_a_limited_user_cannot_add_channels_or_change_their_api_users(shops, web_staff):
    assert web_staff.get(reverse("admin:customers_channel_add")).status_code == 403
    change = web_staff.get(reverse("admin:customers_channel_change", args=[shops["web"].pk]))
    assert "api_users" not in change.context["adminform"].form.fields


def test_an_order_cannot_name_another_channels_customer(shops, web_staff):
    order = OrderFactory(customer=shops["mine"])
    form = (
        web_staff.get(reverse("admin:orders_order_change", args=[order.pk]))
        .context["adminform"]
        .form
    )

    assert not form.fields["customer"].queryset.filter(pk=shops["theirs"].pk).exists()
    assert form.fields["customer"].queryset.filter(pk=shops["mine"].pk).exists()


def test_an_export_of_hand_picked_ids_holds_only_the_users_channels(
    shops, web_staff, django_capture_on_commit_callbacks
):
    # given: the other channel's id slipped into the selection
    data = {
        "action": "customers_export_csv",
        "index": "0",
        helpers.ACTION_CHECKBOX_NAME: [str(shops["mine"].pk), str(shops["theirs"].pk)],
    }

    # when
    with django_capture_on_commit_callbacks(execute=True):
        web_staff.post(CUSTOMERS, data)

    # then
    job = Job.objects.get()
    download = web_staff.get(reverse("admin:jobs_job_download", args=[job.pk, "result"]))
    exported = b"".join(download.streaming_content).decode()
    assert "mine@example.com" in exported
    assert "theirs@example.com" not in exported


def test_an_import_writes_only_into_the_users_channels(
    shops, web_staff, django_capture_on_commit_callbacks
):
    csv = "channel,email,first_name\nweb,new-web@example.com,W\nb2b,new-b2b@example.com,B\n"
    upload = SimpleUploadedFile("customers.csv", csv.encode(), content_type="text/csv")

    preview = web_staff.post(IMPORT, {"file": upload})
    assert [(error.line, error.field) for error in preview.context["errors"]] == [(3, "channel")]
    with django_capture_on_commit_callbacks(execute=True):
        web_staff.post(IMPORT, {"token": preview.context["token"], "format": "csv"})

    emails = set(Customer.objects.values_list("email", flat=True))
    assert "new-web@example.com" in emails
    assert "new-b2b@example.com" not in emails
    assert Job.objects.get().summary["rejected"] == 1


def test_the_import_page_offers_only_the_users_channels(shops, web_staff):
    upload = SimpleUploadedFile("customers.csv", b"email\nx@example.com\n")

    form = web_staff.get(IMPORT).context["form"]
    refused = web_staff.post(IMPORT, {"file": upload, "channel": "b2b"})

    assert list(form.fields["channel"].queryset) == [shops["web"]]
    assert "channel" in refused.context["form"].errors
