"""The admin seen through the API's channel rule (customers.selectors.channel_scope).

A staff user limited to some channels (the channel's "API users") sees, picks, filters,
exports and imports only their rows, as through the API: other channels' rows are not in
the changelists, their change pages are 404 (Django's "does not exist" redirect), and they
are not valid choices in any form.
"""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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


TIMES_IN_ZONE = _("%(object)s · times in %(zone)s")


class ChannelTimeZoneAdminMixin:
    """A change page shows, and reads, its times in the time zone of the object's channel,
    named under the title: staff of a store in São Paulo see São Paulo's times. (The API
    always answers in UTC.)"""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        request._channel_time_zone_wanted = True
        try:
            response = super().change_view(request, object_id, form_url, extra_context)
            # The page is rendered here, while the channel's zone is the current one.
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            return response
        finally:
            timezone.deactivate()

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and getattr(request, "_channel_time_zone_wanted", False):
            request._channel_time_zone = obj.channel.time_zone
            timezone.activate(request._channel_time_zone)
        return obj

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        zone = getattr(request, "_channel_time_zone", None)
        if obj is not None and zone:
            context["subtitle"] = TIMES_IN_ZONE % {"object": obj, "zone": zone}
        return super().render_change_form(request, context, add, change, form_url, obj)


def user_may_manage_channels(request) -> bool:
    """Tell whether the user may create and delete channels and choose their API users: never
    a user limited to some channels (leaving them all would widen the user's own view)."""
    return not request_channel_scoped(request)
