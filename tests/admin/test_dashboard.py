"""The admin's front page: per-channel totals with currency, daily charts over 90 days, the
latest imports and jobs, limited to the staff member's channels and cached for a minute."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from customers.admin_dashboard import DAYS
from jobs.models import Job, JobKind
from tests.conftest import patron_user_create
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

INDEX = "/admin/"


@pytest.fixture(autouse=True)
def _cache_cleared():
    cache.clear()
    yield
    cache.clear()


def _days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def shop():
    """Two channels selling in BRL and EUR, with customers and orders inside and outside the
    90 days."""
    brazil = ChannelFactory(code="br-web", name="Brazil web", currency="BRL")
    europe = ChannelFactory(code="eu-web", name="Europe web", currency="EUR")
    buyer = CustomerFactory(channel=brazil, created_at=_days_ago(3))
    CustomerFactory(channel=brazil, created_at=_days_ago(DAYS + 5))
    CustomerFactory(channel=europe, created_at=_days_ago(1))
    OrderFactory(customer=buyer, currency="BRL", total=Decimal("1234.56"), placed_at=_days_ago(2))
    OrderFactory(customer=buyer, currency="BRL", total=Decimal("10.00"), placed_at=_days_ago(2))
    OrderFactory(customer=buyer, currency="BRL", total=Decimal("99.00"), placed_at=_days_ago(400))
    return brazil, europe


def _rows(response) -> dict:
    return {row["code"]: row for row in response.context["dashboard"]["rows"]}


def test_dashboard_totals_by_channel_with_currency(staff_client, shop):
    response = staff_client.get(INDEX)

    assert response.status_code == 200
    rows = _rows(response)
    assert {
        code: (r["customers"], r["new_customers"], r["orders"], r["revenue"])
        for code, r in rows.items()
    } == {
        "br-web": (2, 1, 2, ["1,244.56 BRL"]),
        "eu-web": (1, 1, 0, ["0.00 EUR"]),
    }
    html = response.content.decode()
    assert "1,244.56 BRL" in html
    assert html.count('<svg class="patron-chart"') == 4  # new customers and orders per channel
    assert "<title>" + timezone.localdate(_days_ago(2)).isoformat() + ": 2</title>" in html


def test_dashboard_lists_recent_imports_and_jobs(staff_client, staff_user, shop):
    Job.objects.create(kind=JobKind.IMPORT, created_by=staff_user)
    Job.objects.create(kind=JobKind.EXPORT, created_by=staff_user)

    html = staff_client.get(INDEX).content.decode()

    imports = html[html.index('id="dashboard-imports"') : html.index('id="dashboard-jobs"')]
    assert "Import #" in imports
    assert "Export #" not in imports
    assert "Export #" in html[html.index('id="dashboard-jobs"') :]


def test_dashboard_shows_only_the_channels_of_a_limited_user(client, shop):
    brazil, _ = shop
    clerk = patron_user_create("clerk", is_staff=True)
    brazil.api_users.add(clerk)
    client.force_login(clerk)

    assert list(_rows(client.get(INDEX))) == ["br-web"]


def test_dashboard_is_not_shown_without_the_customer_view_permission(client, shop):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("nobody", is_staff=True)
    client.force_login(user)

    response = client.get(INDEX)

    assert response.status_code == 200
    assert response.context["dashboard"] is None


def test_dashboard_queries_are_few_and_cached(staff_client, shop, django_assert_num_queries):
    for _ in range(3):  # more rows do not mean more queries
        OrderFactory(customer=CustomerFactory(channel=shop[1]), currency="EUR")
    # session, user, channel scope, permissions (2), channels, customers per channel,
    # customers per day, orders per day, imports, jobs, recent actions
    with django_assert_num_queries(12):
        assert staff_client.get(INDEX).status_code == 200
    # within the minute the channel figures come from the cache
    with django_assert_num_queries(9):
        assert staff_client.get(INDEX).status_code == 200


def test_daily_figures_read_the_date_indexes_on_postgresql(shop):
    """The per-day figures are range scans of created_at / placed_at, not table scans."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from customers.admin_dashboard import dashboard_channels
    from customers.models import Channel

    if connection.vendor != "postgresql":
        pytest.skip("query plans are PostgreSQL's")
    with CaptureQueriesContext(connection) as queries:
        dashboard_channels(
            channels=list(Channel.objects.all()), today=timezone.localdate(), every_channel=True
        )
    daily = [q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"]][1:]
    plans = []
    with connection.cursor() as cursor:
        # A test table is tiny: make the planner show the path it takes on a big one.
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in daily:
            cursor.execute(f"EXPLAIN {sql}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    assert len(plans) == 2
    assert "customers_customer_created_at" in plans[0], plans[0]
    # either index on placed_at serves the range (order_recent_idx is placed_at, id)
    assert "order_placed_at_idx" in plans[1] or "order_recent_idx" in plans[1], plans[1]
