"""CustomerFilterSet: the contract's filter table, as django-filter declarations.

It sits below the API layer: the customer list view and the export (customers.exports, for
the export_customers command) both filter with it.
"""

import datetime
import json
import math

import django_filters
from django import forms
from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.constants import EMPTY_VALUES
from rest_framework import exceptions

from config.filtering import INT64_MAX, KEY_PLACEHOLDER, PkAliasMixin
from customers.models import Customer
from customers.search import folded_field_q, search_narrowed, search_word_q
from groups.selectors import customer_filter_group

# JSON fields filtered by key, in two forms: `attributes={"tier": "gold"}` (a declared filter
# taking a JSON object) and the shorthand `attributes__tier=gold`, one parameter per key, whose
# names are `<field>__<key>` for any key (see json_key_filter_field).
JSON_FILTER_FIELDS = ("attributes", "extra_field")
JSON_OBJECT_INVALID = _(
    'Give a JSON object of keys and values (strings, numbers, true, false or null), e.g. {"tier": '
    '"gold"}.'
)
SINCE_ID_ORDERING = _("since_id pages by id: leave ordering out or use ordering=id.")
COMPARISONS = ["exact", "gt", "gte", "lt", "lte"]
MOMENTS = [*COMPARISONS, "date"]


class NumberInFilter(filters.BaseInFilter, filters.NumberFilter):
    pass


class CharInFilter(filters.BaseInFilter, filters.CharFilter):
    pass


class ChoiceInFilter(filters.BaseInFilter, filters.ChoiceFilter):
    pass


NAME_HELP = "{field}, in any case and with or without accents."


class SearchedFieldFilter(filters.CharFilter):
    """A lookup on a name, in any case and with or without accents ("maria" is María).

    Names have no index of their own: the search index finds the candidates.
    """

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        match = folded_field_q(self.field_name, self.lookup_expr, value)
        return qs.filter(search_narrowed(match, value))


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0, yes/no); anything else is invalid instead of silently ignored."""

    widget = forms.TextInput
    default_error_messages = {"invalid": "Use true or false."}
    values = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return self.values[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class JsonKeysField(forms.CharField):
    """A JSON object of keys and scalar values, each value as the text the key must hold."""

    default_error_messages = {"invalid": JSON_OBJECT_INVALID}

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            parsed = json.loads(value, parse_constant=_refuse)
        except (ValueError, RecursionError):
            parsed = None
        if not isinstance(parsed, dict) or not all(map(_plain, parsed.values())):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        texts = {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in parsed.items()
        }
        if any("\x00" in text for item in texts.items() for text in item):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return texts


def _refuse(constant: str):
    raise ValueError(constant)  # NaN and Infinity are not JSON


def _plain(value) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


class JsonKeysFilter(filters.CharFilter):
    """`attributes={"tier": "gold"}`: every key's JSON value, as text, equals the given text."""

    field_class = JsonKeysField

    def filter(self, qs, value):
        for key, text in (value or {}).items():
            qs = _json_key_filter(qs, self.field_name, key, text)
        return qs


class DayFilter(filters.DateFilter):
    """`moment__date=YYYY-MM-DD` as a range on the column, so the column's btree serves it.

    Django's `__date` casts every row's timestamp to a date, which no plain index can serve;
    the same day (in the current time zone) as `>= midnight AND < next midnight` can.
    """

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        start = timezone.make_aware(datetime.datetime.combine(value, datetime.time.min))
        end = timezone.make_aware(
            datetime.datetime.combine(value + datetime.timedelta(days=1), datetime.time.min)
        )
        return qs.filter(**{f"{self.field_name}__gte": start, f"{self.field_name}__lt": end})


def _day_filter(field: str) -> DayFilter:
    return DayFilter(field_name=field, help_text=f"`{field}` falls on this day (UTC).")


def _min_filter(field: str, verb: str) -> filters.IsoDateTimeFilter:
    return filters.IsoDateTimeFilter(
        field_name=field, lookup_expr="gte", help_text=f"{verb} at or after (ISO 8601)."
    )


def _max_filter(field: str, verb: str) -> filters.IsoDateTimeFilter:
    return filters.IsoDateTimeFilter(
        method="filter_max",
        field_name=field,
        help_text=f"{verb} at or before (ISO 8601; a bare date includes that day).",
    )


def _lower(value: str) -> str:
    return value.strip().lower()


def _day_end(value: datetime.datetime) -> datetime.datetime:
    """A bare date as an upper bound means the whole day."""
    if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
        return value + datetime.timedelta(days=1) - datetime.timedelta(microseconds=1)
    return value


class GivenFiltersMixin:
    """Builds only the filters the request names (a filter given no value filters nothing).

    A FilterSet deep-copies every declared filter and builds a form field for each on every
    request: for the customer list's ~90 filters that is milliseconds before any query.
    """

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            self.base_filters = {
                name: value for name, value in type(self).base_filters.items() if name in data
            }
        super().__init__(data, *args, **kwargs)


class CustomerNameFilterSet(filters.FilterSet):
    """The accent- and case-folded name filters, shared by every list of customers."""

    first_name = SearchedFieldFilter(help_text=NAME_HELP.format(field="First name"))
    first_name__istartswith = SearchedFieldFilter(
        field_name="first_name",
        lookup_expr="istartswith",
        help_text=NAME_HELP.format(field="First name's beginning"),
    )
    last_name = SearchedFieldFilter(help_text=NAME_HELP.format(field="Last name"))
    last_name__istartswith = SearchedFieldFilter(
        field_name="last_name",
        lookup_expr="istartswith",
        help_text=NAME_HELP.format(field="Last name's beginning"),
    )


class CustomerFilterSet(GivenFiltersMixin, PkAliasMixin, CustomerNameFilterSet):
    # `attributes__<key>=text` for any key (see _filter_json_keys).
    keyed_params = tuple(f"{field}__{KEY_PLACEHOLDER}" for field in JSON_FILTER_FIELDS)
    id__in = NumberInFilter(field_name="id", lookup_expr="in", help_text="Comma-separated ids.")
    email = filters.CharFilter(method="filter_email", help_text="Exact e-mail (any case).")
    email__startswith = filters.CharFilter(
        method="filter_email_prefix", help_text="E-mail prefix (e-mails are stored lower-case)."
    )
    email__istartswith = filters.CharFilter(
        method="filter_email_prefix", help_text="E-mail prefix, case-insensitive."
    )
    channel = filters.CharFilter(field_name="channel__code", help_text="Channel code.")
    channel__in = CharInFilter(
        field_name="channel__code", lookup_expr="in", help_text="Comma-separated channel codes."
    )
    status__in = ChoiceInFilter(field_name="status", choices=Customer.Status.choices)
    gender__in = ChoiceInFilter(field_name="gender", choices=Customer.Gender.choices)
    user_type__in = ChoiceInFilter(field_name="user_type", choices=Customer.UserType.choices)
    is_active = StrictBooleanFilter(
        method="filter_is_active", help_text="true: status is active; false: any other status."
    )
    group = filters.CharFilter(method="filter_group", help_text="Members of the group (code).")
    group_tree = filters.CharFilter(
        method="filter_group_tree", help_text="Members of the group (code) or of its sub-groups."
    )
    since_id = filters.NumberFilter(
        method="filter_since_id",
        help_text="Only customers with a greater id, by id (sync cursor; `count` is null).",
    )
    created_at_min = _min_filter("created_at", "Created")
    created_at_max = _max_filter("created_at", "Created")
    updated_at_min = _min_filter("updated_at", "Updated")
    updated_at_max = _max_filter("updated_at", "Updated")
    created_at__date = _day_filter("created_at")
    updated_at__date = _day_filter("updated_at")
    date_joined__date = _day_filter("date_joined")
    last_order_at__date = _day_filter("last_order_at")
    attributes = JsonKeysFilter(
        help_text='A JSON object, e.g. `{"tier": "gold", "size": 2}`: customers whose '
        '`attributes` hold each key with that value, compared as text (2 matches 2 and "2"). '
        "One key may also be given as `attributes__<key>=<value>`, e.g. `attributes__tier=gold`."
    )
    extra_field = JsonKeysFilter(
        help_text="Like `attributes`, for `extra_field`; `extra_field__<key>=<value>` too."
    )
    q = filters.CharFilter(
        method="filter_q",
        help_text="Search in names, e-mail, identification and phone, in any case and with or "
        "without accents; every word must match.",
    )

    class Meta:
        model = Customer
        fields = {
            "id": COMPARISONS,
            "phone": ["exact"],
            "username": ["exact"],
            "identification": ["exact"],
            "erp_code": ["exact"],
            "channel_code": ["exact"],
            "status": ["exact"],
            "gender": ["exact"],
            "user_type": ["exact"],
            "email_allowed": ["exact"],
            "sms_allowed": ["exact"],
            "call_allowed": ["exact"],
            "created_at": MOMENTS,
            "updated_at": MOMENTS,
            "date_joined": MOMENTS,
            "last_order_at": MOMENTS,
            "date_of_birth": COMPARISONS,
            "orders_count": COMPARISONS,
            "total_spent": COMPARISONS,
        }
        filter_overrides = {models.BooleanField: {"filter_class": StrictBooleanFilter}}

    def filter_email(self, queryset, name, value):
        return queryset.filter(email=_lower(value))

    def filter_email_prefix(self, queryset, name, value):
        return queryset.filter(email__startswith=_lower(value))

    def filter_is_active(self, queryset, name, value):
        active = Q(status=Customer.Status.ACTIVE)
        return queryset.filter(active if value else ~active)

    def filter_group(self, queryset, name, value):
        return customer_filter_group(queryset, code=value)

    def filter_group_tree(self, queryset, name, value):
        return customer_filter_group(queryset, code=value, include_subgroups=True)

    def filter_since_id(self, queryset, name, value):
        ordering = self.request.query_params.get("ordering") if self.request else None
        if ordering and ordering.strip() != "id":
            raise exceptions.ValidationError({"since_id": [SINCE_ID_ORDERING]})
        return queryset.filter(id__gt=value).order_by("id")

    def filter_max(self, queryset, name, value):
        return queryset.filter(**{f"{name}__lte": _day_end(value)})

    def filter_q(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(search_word_q(word))
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        return self._filter_json_keys(super().filter_queryset(queryset))

    def _filter_json_keys(self, queryset: QuerySet) -> QuerySet:
        """`attributes__<key>=text`: the key's JSON value, as text, equals the given text."""
        for param, value in self.data.items():
            field = json_key_filter_field(param)
            if field is not None:
                queryset = _json_key_filter(queryset, field, param.partition("__")[2], value)
        return queryset


def json_key_filter_field(param: str) -> str | None:
    """The JSON field a `<field>__<key>` query parameter filters by key, or None."""
    field, _, key = param.partition("__")
    return field if field in JSON_FILTER_FIELDS and key else None


def _json_key_filter(queryset: QuerySet, field: str, key: str, text: str) -> QuerySet:
    alias = f"_json_{field}_{len(queryset.query.annotations)}"
    return queryset.alias(**{alias: KeyTransform(key, field)}).filter(
        _json_as_text_match(alias, text)
    )


def _json_as_text_match(alias: str, text: str) -> Q:
    """Match a JSON string equal to the text, or a number/boolean/null written as the text."""
    match = Q(**{alias: text})
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return match
    if (
        parsed is None
        or isinstance(parsed, bool)
        or (isinstance(parsed, int) and -INT64_MAX - 1 <= parsed <= INT64_MAX)
        or (isinstance(parsed, float) and math.isfinite(parsed))
    ):
        return match | Q(**{alias: parsed})
    return match
