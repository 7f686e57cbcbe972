"""A customer's or an order's change page shows its times in its channel's time zone, and
names the zone; the API answers in UTC whatever the channel's zone."""

import datetime

import pytest
from django.utils import timezone

from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.i18n.conftest import needs_catalogs
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

NOON_UTC = datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def sao_paulo(db):
    return ChannelFactory(code="br", time_zone="America/Sao_Paulo")


def test_customer_page_shows_times_in_the_channel_zone(staff_client, sao_paulo):
    customer = CustomerFactory(channel=sao_paulo, created_at=NOON_UTC, date_joined=NOON_UTC)

    page = staff_client.get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()

    assert f"<h2>{customer.email} · times in America/Sao_Paulo</h2>" in page
    assert '<div class="readonly">Jan. 15, 2026, 9 a.m.</div>' in page  # created_at
    assert 'name="date_joined_1" value="09:00:00"' in page


def test_order_page_shows_times_in_the_channel_zone(staff_client, sao_paulo):
    order = OrderFactory(customer=CustomerFactory(channel=sao_paulo), placed_at=NOON_UTC)

    page = staff_client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()

    assert "times in America/Sao_Paulo</h2>" in page
    assert 'name="placed_at_1" value="09:00:00"' in page


@needs_catalogs
def test_zone_note_in_the_staff_language(staff_client, sao_paulo):
    customer = CustomerFactory(channel=sao_paulo)

    page = staff_client.get(
        f"/admin/customers/customer/{customer.pk}/change/", HTTP_ACCEPT_LANGUAGE="pt-br"
    ).content.decode()

    assert f"<h2>{customer.email} · horários em America/Sao_Paulo</h2>" in page


def test_a_change_page_leaves_the_default_zone_afterwards(staff_client, sao_paulo):
    customer = CustomerFactory(channel=sao_paulo, created_at=NOON_UTC)
    staff_client.get(f"/admin/customers/customer/{customer.pk}/change/")

    page = staff_client.get("/admin/customers/customer/").content.decode()

    assert "America/Sao_Paulo" not in page
    assert timezone.get_current_timezone_name() == "UTC"


def test_api_times_stay_utc(api_client, sao_paulo):
    customer = CustomerFactory(channel=sao_paulo, created_at=NOON_UTC)

    response = api_client.get(f"/api/v1/customers/{customer.pk}/")

    assert response.data["created_at"] == "2026-01-15T12:00:00Z"


def test_channel_admin_edits_language_zone_and_link_and_refuses_a_bad_zone(staff_client, sao_paulo):
    url = f"/admin/customers/channel/{sao_paulo.pk}/change/"
    form = {
        "name": "Brasil",
        "currency": "BRL",
        "is_active": "on",
        "language": "pt-br",
        "set_password_url": "https://loja.example/senha?u={uid}&t={token}",
    }

    refused = staff_client.post(url, {**form, "time_zone": "America/Sao Paulo"})
    saved = staff_client.post(url, {**form, "time_zone": "America/Recife"})

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors == {
        "time_zone": [
            "Unknown time zone 'America/Sao Paulo': use an IANA name such as 'America/Sao_Paulo'."
        ]
    }
    assert saved.status_code == 302
    sao_paulo.refresh_from_db()
    assert (sao_paulo.language, sao_paulo.time_zone, sao_paulo.set_password_url) == (
        "pt-br",
        "America/Recife",
        "https://loja.example/senha?u={uid}&t={token}",
    )
