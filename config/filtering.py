"""The project's filter backend: django-filter, plus range checks the databases need.

A number past 64 bits cannot be bound on SQLite (OverflowError) nor compared with a bigint in
every lookup, and a date at the end of the calendar overflows when shifted to UTC or to the end
of its day: both are answered 400 naming the parameter instead of a 500.

Also what a FilterSet tells the strict query parameters (config.query_params) it reads, and
Omnitron's `pk` filters as aliases of `id`.
"""

import copy
import datetime
from decimal import Decimal

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions

from config.values import DATE_OUT_OF_RANGE, FIRST_YEAR, INT64_MAX, LAST_YEAR

NUMBER_OUT_OF_RANGE = format_lazy(
    _("Ensure this value is between {low} and {high}."), low=-INT64_MAX - 1, high=INT64_MAX
)


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


# A FilterSet's family of parameters with any key, such as customers' `attributes__<key>`.
KEY_PLACEHOLDER = "<key>"
PK_ALIAS_HELP = "Alias of `{name}` (Omnitron's `pk`)."


def filterset_param_names(filterset_class) -> set[str]:
    """The parameters a FilterSet reads: its filters, each generated lookup included, and its
    `keyed_params` families ("attributes__<key>": any non-empty key)."""
    return {*filterset_class.base_filters, *getattr(filterset_class, "keyed_params", ())}


def param_name_known(name: str, known: set[str]) -> bool:
    """Tell whether `name` is one of the known names or of a "<prefix><key>" family among them."""
    if name in known:
        return True
    for pattern in known:
        if pattern.endswith(KEY_PLACEHOLDER):
            prefix = pattern.removesuffix(KEY_PLACEHOLDER)
            if name.startswith(prefix) and len(name) > len(prefix):
                return True
    return False


class PkAliasMixin:
    """Every `id` filter of the FilterSet (id, id__gt, id__in, ...) also answers as `pk...`.

    Omnitron's clients filter by `pk` (`?pk__gt=498`); the aliases are copies of the id
    filters, so they take the same values and give the same answers. Subclasses inherit them.
    """

    @classmethod
    def get_filters(cls):
        filters = super().get_filters()
        for name in [name for name in filters if name == "id" or name.startswith("id__")]:
            alias = copy.deepcopy(filters[name])
            alias.extra["help_text"] = PK_ALIAS_HELP.format(name=name)
            filters["pk" + name.removeprefix("id")] = alias
        return filters


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

    def query_param_names(self, view) -> set[str]:
        """The query parameters the view's FilterSet reads (config.query_params)."""
        filterset_class = self.get_filterset_class(view, getattr(view, "queryset", None))
        return set() if filterset_class is None else filterset_param_names(filterset_class)
