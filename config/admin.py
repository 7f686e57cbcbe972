"""Admin helpers shared by the apps' admins."""

import datetime

from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import Max, Min, QuerySet
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.functional import cached_property, lazy
from django.utils.translation import gettext_lazy as _

from config.rest import queryset_unfiltered

# Changelists count at most this many matching rows; past it they show "more than" this.
COUNT_CAP = 10_000


class EstimatedCountPaginator(Paginator):
    """Count rows without scanning a huge table on every changelist page.

    Unfiltered on PostgreSQL: the planner's row estimate (pg_class.reltuples), which is
    instant. Filtered or searched: an exact count up to COUNT_CAP rows, then COUNT_CAP + 1.
    """

    # "exact", "estimate" (unfiltered, from the planner) or "more" (more than COUNT_CAP).
    count_kind = "exact"

    @property
    def count_cap(self) -> int:
        return COUNT_CAP

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        if queryset_unfiltered(queryset):
            estimate = _row_estimate(queryset)
            if estimate > COUNT_CAP:
                self.count_kind = "estimate"
                return estimate
        count = queryset.order_by()[: COUNT_CAP + 1].count()
        if count > COUNT_CAP:
            self.count_kind = "more"
        return count


def _row_estimate(queryset: QuerySet) -> int:
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return -1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else -1


class _PeriodsQuerySet(QuerySet):
    """A queryset whose dates()/datetimes() list periods from MIN..MAX, not SELECT DISTINCT.

    The admin's date_hierarchy lists the years (months, days) that have rows with a DISTINCT
    over every row; on millions of rows that is a full scan per page. MIN and MAX are two probes
    of the column's index; a period without rows inside the range is shown but harmless.
    """

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        return self._periods(field_name, kind, as_datetime=True)

    def dates(self, field_name, kind, order="ASC"):
        return self._periods(field_name, kind, as_datetime=False)

    def aggregate(self, *args, **kwargs):
        result = super().aggregate(*args, **kwargs)
        # date_hierarchy asks for MIN and MAX first: keep them for _periods().
        if set(kwargs) == {"first", "last"} and not args:
            self._bounds = result
        return result

    def _periods(self, field_name, kind, *, as_datetime):
        bounds = getattr(self, "_bounds", None) or self.order_by().aggregate(
            first=Min(field_name), last=Max(field_name)
        )
        first, last = bounds["first"], bounds["last"]
        if first is None or last is None:
            return []
        if as_datetime:
            first, last = timezone.localtime(first).date(), timezone.localtime(last).date()
        periods, current = [], _truncate(first, kind)
        while current is not None and current <= last:
            periods.append(_as_datetime(current) if as_datetime else current)
            current = _next_period(current, kind)
        return periods


def _truncate(day: datetime.date, kind: str) -> datetime.date:
    if kind == "year":
        return day.replace(month=1, day=1)
    if kind == "month":
        return day.replace(day=1)
    return day


def _next_period(day: datetime.date, kind: str) -> datetime.date | None:
    """The start of the period after `day`'s; None past the end of the calendar (a row of
    the year 9999 has no next year)."""
    try:
        if kind == "year":
            return day.replace(year=day.year + 1)
        if kind == "month":
            return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        return day + datetime.timedelta(days=1)
    except (OverflowError, ValueError):
        return None


def _as_datetime(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


class PeriodChangeList(ChangeList):
    """A ChangeList whose date_hierarchy costs index probes instead of a scan of the table.

    Its drill-down also works in the last year of the calendar: Django computes the end of
    the year 9999 (or of its December) as a date of the year 10000 and fails with a 500; that
    last period is asked as "from its start" instead.
    """

    def get_filters_params(self, params=None):
        lookup = super().get_filters_params(params)
        field = self.date_hierarchy
        if not field or f"{field}__year" not in lookup:
            return lookup
        parts = [lookup.get(f"{field}__{part}", ["1"])[-1] for part in ("year", "month", "day")]
        try:
            start = datetime.date(*map(int, parts))
        except (TypeError, ValueError, OverflowError):
            return lookup  # Django answers a bad date itself
        kind = (
            "day"
            if f"{field}__day" in lookup
            else "month"
            if f"{field}__month" in lookup
            else "year"
        )
        if _next_period(start, kind) is None:
            for part in ("year", "month", "day"):
                lookup.pop(f"{field}__{part}", None)
            lookup[f"{field}__gte"] = [_as_datetime(start).isoformat()]
        return lookup

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        periods = queryset._chain()
        periods.__class__ = _PeriodsQuerySet
        return periods


class ServiceDeletesMixin:
    """Admin deletes, of one object or by the "delete selected" action, through the app's
    delete service one object at a time, so that its rules run (the next default address,
    statistics, versions, history) as they do for the API."""

    def object_delete(self, obj) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj):
        self.object_delete(obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.object_delete(obj)


COLUMN_IN_ZONE = _("{column} ({zone})")


def time_column(title):
    """A list column's title naming the time zone its times are shown in, "last order (UTC)":
    the active zone when the list is drawn (lists mix channels, so their own zones can't be)."""

    def text() -> str:
        return COLUMN_IN_ZONE.format(column=title, zone=timezone.get_current_timezone_name())

    return lazy(text, str)()


def datetime_short(value: datetime.datetime | None) -> str:
    """A moment as a list column shows it: "2026-12-04 10:30" in the current time zone."""
    if value is None:
        return "-"
    return date_format(timezone.localtime(value), "Y-m-d H:i")


class ZonedTimesAdminMixin:
    """A list's date-time columns show "2026-12-04 10:30" in the active time zone, under a
    title naming it ("Created at (UTC)"): a list mixes channels, so it can't use their zones
    (a change page does, ChannelTimeZoneAdminMixin)."""

    def get_list_display(self, request):
        return [self._zoned_column(name) for name in super().get_list_display(request)]

    def _zoned_column(self, name):
        """The name of the zoned column standing for a date-time field; other names as given."""
        if not isinstance(name, str):
            return name
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return name
        if not isinstance(field, models.DateTimeField):
            return name
        column = f"{name}_zoned"
        if not hasattr(self, column):

            def show(obj, name=name):
                return datetime_short(getattr(obj, name))

            show.short_description = time_column(field.verbose_name)
            show.admin_order_field = name
            setattr(self, column, show)
        return column
