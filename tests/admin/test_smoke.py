"""Every registered model: changelist, search, add, change and history pages answer 200."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import api_key_create
from duplicates.models import DuplicateDismissal
from jobs.models import Job, JobKind
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory
from tests.merges.factories import merge_make
from tests.orders.factories import OrderCustomDataFactory, OrderFactory
from tests.webhooks.factories import DeliveryFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def _dismissal(user=None):
    channel = ChannelFactory()
    low, high = CustomerFactory(channel=channel), CustomerFactory(channel=channel)
    return DuplicateDismissal.objects.create(customer_low=low, customer_high=high)


AXES_REQUEST = {"user_agent": "test", "http_accept": "*/*", "path_info": "/admin/login/"}
FACTORIES = {
    "auth.Group": lambda user: Group.objects.create(name="editors"),
    "auth.User": lambda user: user,
    "accounts.ApiKey": lambda user: api_key_create(user=user, name="smoke")[0],
    "axes.AccessAttempt": lambda user: AccessAttempt.objects.create(
        username="x", ip_address="10.0.0.1", failures_since_start=1, **AXES_REQUEST
    ),
    "axes.AccessLog": lambda user: AccessLog.objects.create(
        username="x", ip_address="10.0.0.1", **AXES_REQUEST
    ),
    "axes.AccessFailureLog": lambda user: AccessFailureLog.objects.create(
        username="x", ip_address="10.0.0.1", **AXES_REQUEST
    ),
    "otp_totp.TOTPDevice": lambda user: TOTPDevice.objects.create(user=user, name="app"),
    "groups.UserGroup": lambda user: UserGroupFactory(),
    "groups.UserCustomerGroup": lambda user: UserCustomerGroupFactory(),
    "customers.Customer": lambda user: CustomerFactory(),
    "customers.Channel": lambda user: ChannelFactory(),
    "customers.Address": lambda user: AddressFactory(),
    "orders.Order": lambda user: OrderFactory(),
    "orders.OrderCustomData": lambda user: OrderCustomDataFactory(),
    "webhooks.Subscription": lambda user: SubscriptionFactory(),
    "webhooks.Delivery": lambda user: DeliveryFactory(),
    "jobs.Job": lambda user: Job.objects.create(kind=JobKind.EXPORT, created_by=user),
    "merges.Merge": lambda user: merge_make(user=user),
    "duplicates.DuplicateDismissal": _dismissal,
}
PATRON_APPS = ("customers", "groups", "orders")
# Made by the system only: their add page is refused (403), the rest answers.
NOT_ADDABLE = {
    "duplicates.DuplicateDismissal",
    "webhooks.Delivery",
    "jobs.Job",
    "axes.AccessAttempt",
    "axes.AccessLog",
    "axes.AccessFailureLog",
    "merges.Merge",
}


def test_every_registered_model_has_a_factory_here():
    assert {model._meta.label for model in admin.site._registry} == set(FACTORIES)


@pytest.mark.parametrize("label", sorted(FACTORIES))
def test_admin_pages(client, superuser, staff_user, label):
    obj = FACTORIES[label](superuser)
    opts = obj._meta
    # Patron models are for staff with model permissions; auth models for superusers.
    client.force_login(staff_user if opts.app_label in PATRON_APPS else superuser)
    name = f"admin:{opts.app_label}_{opts.model_name}"

    assert client.get(reverse(f"{name}_changelist")).status_code == 200
    assert client.get(reverse(f"{name}_changelist"), {"q": "x"}).status_code == 200
    add_status = 403 if label in NOT_ADDABLE else 200
    assert client.get(reverse(f"{name}_add")).status_code == add_status
    assert client.get(reverse(f"{name}_change", args=[obj.pk])).status_code == 200
    assert client.get(reverse(f"{name}_history", args=[obj.pk])).status_code == 200


# Each count includes whether the staff user is limited to some channels (asked once per
# request: rows, choices and the sidebar's channel permissions follow it).
@pytest.mark.parametrize(
    ("url", "make", "most"),
    [
        pytest.param("admin:orders_order_changelist", lambda: OrderFactory(), 10, id="orders"),
        pytest.param(
            "admin:customers_address_changelist", lambda: AddressFactory(), 8, id="addresses"
        ),
        pytest.param(
            "admin:groups_usercustomergroup_changelist",
            lambda: UserCustomerGroupFactory(),
            8,
            id="memberships",
        ),
        pytest.param(
            "admin:orders_ordercustomdata_changelist",
            lambda: OrderCustomDataFactory(),
            8,
            id="custom-data",
        ),
        pytest.param(
            # + whether the user is limited to some channels (for rows and permissions)
            "admin:customers_channel_changelist",
            lambda: ChannelFactory(),
            9,
            id="channels",
        ),
        pytest.param(
            "admin:duplicates_duplicatedismissal_changelist", _dismissal, 9, id="dismissals"
        ),
    ],
)
def test_changelists_query_count_does_not_grow_with_rows(
    staff_client, django_assert_max_num_queries, url, make, most
):
    for _ in range(6):
        make()

    with django_assert_max_num_queries(most):
        response = staff_client.get(reverse(url))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 6
