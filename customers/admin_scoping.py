"""The admin seen through the API's channel rule (customers.selectors.channel_scope).

A staff user limited to some channels (the channel's "API users") sees, picks, filters,
exports and imports only their rows, as through the API: other channels' rows are not in
the changelists, their change pages are 404 (Django's "does not exist" redirect), and they
are not valid choices in any form.
"""

from django.contrib import admin

from customers.models import Address, Channel, Customer
from customers.selectors import channel_scope, user_is_channel_scoped
from orders.models import Order, OrderItem

# How each model that belongs to a channel reaches it.
CHANNEL_FIELDS = {
    Channel: "",
    Customer: "channel",
    Address: "customer__channel",
    Order: "channel",
    OrderItem: "order__channel",
}


def request_channel_scoped(request) -> bool:
    """Tell whether the request's user is limited to some channels, asking the database once
    per request (a page scopes its rows, filters, choices and the sidebar's permissions)."""
    if not hasattr(request, "_channel_scoped"):
        user = request.user
        request._channel_scoped = user.is_authenticated and user_is_channel_scoped(user)
    return request._channel_scoped


def request_channel_scope(queryset, request, channel_field: str = "channel"):
    """channel_scope for the request's user."""
    scoped = request_channel_scoped(request)
    return channel_scope(queryset, user=request.user, channel_field=channel_field, scoped=scoped)


class ChannelListFilter(admin.RelatedFieldListFilter):
    """The channel filter, offering only the channels the user may see."""

    def field_choices(self, field, request, model_admin):
        channels = request_channel_scope(Channel.objects.all(), request, channel_field="")
        return [(channel.pk, str(channel)) for channel in channels]


class ChannelScopedAdminMixin:
    """Rows, choices and the channel filter limited to the user's channels."""

    channel_field = "channel"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return request_channel_scope(queryset, request, self.channel_field)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        model = db_field.remote_field.model
        if model in CHANNEL_FIELDS:
            kwargs["queryset"] = request_channel_scope(
                model._default_manager.all(), request, CHANNEL_FIELDS[model]
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ChannelScopedInlineMixin(ChannelScopedAdminMixin):
    """For inlines: their parent is scoped already, only their choices need to be."""

    def get_queryset(self, request):
        return super(ChannelScopedAdminMixin, self).get_queryset(request)


def user_may_manage_channels(request) -> bool:
    """Tell whether the user may create and delete channels and choose their API users: never
    a user limited to some channels (leaving them all would widen the user's own view)."""
    return not request_channel_scoped(request)
