"""The admin's front page: what each channel the staff member may see sold and gained over
the last DAYS days, and the latest imports and background jobs.

Every number comes from three GROUP BY queries (customers per channel, customers per channel
and day, orders per channel, day and currency) over the created_at / placed_at indexes, so
the page costs the same with a million customers; the result is cached for CACHE_SECONDS
per set of channels.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.contrib import admin
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from config.charts import daily_bar_chart
from config.money import money_format
from customers.admin_scoping import request_channel_scope, request_channel_scoped
from customers.models import Channel
from customers.selectors import customer_counts_by_channel, customer_daily_counts
from jobs.models import JobKind
from jobs.selectors import job_list
from orders.selectors import order_daily_totals

DAYS = 90
CACHE_SECONDS = 60
RECENT_JOBS = 6
CUSTOMERS_COLOUR = "#417690"
ORDERS_COLOUR = "#c1713a"
NEW_CUSTOMERS_OF = _("New customers of {channel}")
ORDERS_OF = _("Orders of {channel}")


def dashboard_channels(
    *, channels: list[Channel], today: datetime.date, every_channel: bool = False
) -> dict:
    """The channels' totals and daily charts for the DAYS days up to `today`, cached.
    `every_channel`: `channels` are all there are (the queries then name none). Cached per
    language too: the charts' labels are in the staff member's."""
    ids = "all" if every_channel else ",".join(str(channel.pk) for channel in channels)
    key = f"admin-dashboard:{today.isoformat()}:{get_language()}:{ids}"
    built = cache.get(key)
    if built is None:
        built = _channels_build(channels, today, every_channel=every_channel)
        cache.set(key, built, CACHE_SECONDS)
    return built


def _channels_build(channels: list[Channel], today: datetime.date, *, every_channel) -> dict:
    days = [today - datetime.timedelta(days=DAYS - 1 - index) for index in range(DAYS)]
    since = timezone.make_aware(datetime.datetime.combine(days[0], datetime.time()))
    ids = None if every_channel else [channel.pk for channel in channels]
    customers = customer_counts_by_channel(channel_ids=ids)
    new = customer_daily_counts(channel_ids=ids, since=since)
    orders: dict[tuple[int, datetime.date], int] = defaultdict(int)
    revenue: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in order_daily_totals(channel_ids=ids, since=since):
        orders[row.channel_id, row.day] += row.count
        revenue[row.channel_id][row.currency] += row.revenue
    rows = [
        _channel_row(channel, days, customers, new, orders, revenue[channel.pk])
        for channel in channels
    ]
    return {"days": DAYS, "first_day": days[0], "last_day": today, "rows": rows}


def _channel_row(channel, days, customers, new, orders, revenue) -> dict:
    new_per_day = [new.get((channel.pk, day), 0) for day in days]
    orders_per_day = [orders.get((channel.pk, day), 0) for day in days]
    amounts = sorted(revenue.items()) or [(channel.currency, Decimal(0))]
    return {
        "code": channel.code,
        "name": channel.name,
        "pk": channel.pk,
        "customers": customers.get(channel.pk, 0),
        "new_customers": sum(new_per_day),
        "orders": sum(orders_per_day),
        "revenue": [money_format(amount, currency) for currency, amount in amounts],
        "customers_chart": daily_bar_chart(
            days,
            new_per_day,
            label=NEW_CUSTOMERS_OF.format(channel=channel.code),
            colour=CUSTOMERS_COLOUR,
        ),
        "orders_chart": daily_bar_chart(
            days, orders_per_day, label=ORDERS_OF.format(channel=channel.code), colour=ORDERS_COLOUR
        ),
    }


def dashboard_context(request) -> dict | None:
    """The dashboard for the request's user, or None for staff who may not view customers."""
    if not request.user.has_perm("customers.view_customer"):
        return None
    channels = list(request_channel_scope(Channel.objects.order_by("code"), request, ""))
    jobs = job_list(user=request.user).order_by("-id")
    every_channel = not request_channel_scoped(request)
    return {
        **dashboard_channels(
            channels=channels, today=timezone.localdate(), every_channel=every_channel
        ),
        "imports": list(jobs.filter(kind=JobKind.IMPORT)[:RECENT_JOBS]),
        "jobs": list(jobs.exclude(kind=JobKind.IMPORT)[:RECENT_JOBS]),
    }


class PatronAdminSite(admin.AdminSite):
    """Django's admin site with Patron's name and the dashboard on its index."""

    site_header = "Patron"
    site_title = _("Patron admin")
    index_title = _("Dashboard")
    # The apps' sidebar would take 290 px from every list, which then overflowed a 1440 px
    # screen beside its filters; the dashboard and the breadcrumbs lead to every page.
    enable_nav_sidebar = False

    def index(self, request, extra_context=None):
        context = {**(extra_context or {}), "dashboard": dashboard_context(request)}
        return super().index(request, context)
