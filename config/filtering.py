"""The project's filter backend: django-filter, plus range checks the databases need.

A number past 64 bits cannot be bound on SQLite (OverflowError) nor compared with a bigint in
every lookup, and a date at the end of the calendar overflows when shifted to UTC or to the end
of its day: both are answered 400 naming the parameter instead of a 500.
"""

import datetime
from decimal import Decimal

from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions

INT64_MAX = 2**63 - 1
NUMBER_OUT_OF_RANGE = f"Ensure this value is between {-INT64_MAX - 1} and {INT64_MAX}."
DATE_OUT_OF_RANGE = "Ensure this date is between year 2 and year 9998."
FIRST_YEAR, LAST_YEAR = 2, 9998


def _in_range(value) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int | Decimal):
        return -INT64_MAX - 1 <= value <= INT64_MAX
    if isinstance(value, datetime.date):
        return FIRST_YEAR <= value.year <= LAST_YEAR
    return True


def _message(value) -> str:
    return DATE_OUT_OF_RANGE if isinstance(value, datetime.date) else NUMBER_OUT_OF_RANGE


def filter_values_check(cleaned_data: dict) -> dict[str, list[str]]:
    """Return {parameter: [message]} for the filter values the database could not take."""
    errors = {}
    for name, value in cleaned_data.items():
        values = value if isinstance(value, list | tuple) else [value]
        bad = [item for item in values if not _in_range(item)]
        if bad:
            errors[name] = [_message(bad[0])]
    return errors


def _utc(value):
    # PostgreSQL takes UTC offsets up to 15:59 only; Python allows 23:59.
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.UTC)
    return value


class FilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend that also refuses out-of-range numbers and dates (400).

    Aware date-times are moved to UTC first, within the range that makes safe.
    """

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise utils.translate_validation(filterset.errors)
        cleaned = filterset.form.cleaned_data
        errors = filter_values_check(cleaned)
        if errors:
            raise exceptions.ValidationError(errors)
        for name, value in cleaned.items():
            cleaned[name] = _utc(value)
        return filterset.qs
