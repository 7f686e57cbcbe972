"""Omnitron's customer filter table (the seed's `"filters"`), as Patron's filters renamed.

Every filter but `channel` is CustomerFilterSet's own, under Omnitron's name: the same
lookups, values and messages as the native list. `channel` takes channel ids (Omnitron's
ModelMultipleChoiceFilter), not codes, and a repeated `channel` means any of them.
"""

import copy

from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from config.filtering import INT64_MAX
from customers.filters import COMPARISONS, MOMENTS, CustomerFilterSet
from customers.models import Channel
from customers.selectors import channel_list


def _lookups(omnitron: str, patron: str, lookups) -> dict[str, str]:
    """{omnitron__lookup: patron__lookup} for each lookup ("exact" is the bare name)."""
    suffix = {lookup: "" if lookup == "exact" else f"__{lookup}" for lookup in lookups}
    return {omnitron + suffix[lookup]: patron + suffix[lookup] for lookup in lookups}


# Omnitron's filter (with lookup) → the CustomerFilterSet filter it is; in the seed's order.
FILTERS = {
    **_lookups("created_date", "created_at", MOMENTS),
    **_lookups("modified_date", "updated_at", MOMENTS),
    "attributes": "attributes",
    "channel": "channel",
    **_lookups("email", "email", ["exact", "startswith"]),
    "first_name": "first_name",
    "last_name": "last_name",
    "phone_number": "phone",
    "is_active": "is_active",
    "channel_code": "channel_code",
    "erp_code": "erp_code",
    "extra_field": "extra_field",
    "email_allowed": "email_allowed",
    "sms_allowed": "sms_allowed",
    "call_allowed": "call_allowed",
    "date_joined": "date_joined",
    "gender": "gender",
    "user_type": "user_type",
    "date_of_birth": "date_of_birth",
    **_lookups("id", "id", COMPARISONS),
    **_lookups("pk", "pk", COMPARISONS),
}
# Omnitron's lookup on a field whose Patron name differs, for the help texts.
_RENAMED_FIELDS = {"created_at": "created_date", "updated_at": "modified_date"}


class ChannelIdsField(forms.ModelMultipleChoiceField):
    """Channel ids; a value that is no id of a visible channel is refused before any query
    (a number past 64 bits cannot even be bound on SQLite)."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk).strip()
            if not (
                text.isascii() and text.isdigit() and len(text) < 20 and int(text) <= INT64_MAX
            ):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


@extend_schema_field({"type": "array", "items": {"type": "integer", "minimum": 1}})
class ChannelIdsFilter(filters.ModelMultipleChoiceFilter):
    field_class = ChannelIdsField


VISIBLE_CHANNELS_ATTR = "_omnitron_visible_channels"


def _visible_channels(request):
    """The channels the user may filter by (none without a request: the schema); built once
    per request, as django-filter asks for them more than once."""
    if request is None:
        return Channel.objects.none()
    if not hasattr(request, VISIBLE_CHANNELS_ATTR):
        setattr(request, VISIBLE_CHANNELS_ATTR, channel_list(user=request.user))
    return getattr(request, VISIBLE_CHANNELS_ATTR)


def _help_text(patron: str) -> str | None:
    text = CustomerFilterSet.base_filters[patron].extra.get("help_text")
    if text is None:
        return None
    for before, after in _RENAMED_FIELDS.items():
        text = text.replace(f"`{before}`", f"`{after}`")
    return text


class OmnitronCustomerFilterSet(CustomerFilterSet):
    channel = ChannelIdsFilter(
        field_name="channel",
        queryset=_visible_channels,
        distinct=False,
        help_text="Channel id; repeat the parameter for any of several channels.",
    )

    @classmethod
    def get_filters(cls):
        patron = super().get_filters()
        renamed = {}
        for name, source in FILTERS.items():
            found = copy.deepcopy(patron[source])
            if name != source and _help_text(source) is not None:
                found.extra["help_text"] = _help_text(source)
            renamed[name] = found
        return renamed
