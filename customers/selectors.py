"""Named reads of channels and customers, limited to what the caller may see."""

from django.db.models import QuerySet

from customers.models import Channel, Customer


def user_is_channel_scoped(user) -> bool:
    """Tell whether the user is limited to some channels (superusers never are)."""
    return not user.is_superuser and user.api_channels.exists()


def channel_list(*, user) -> QuerySet[Channel]:
    """Return the channels the user may see: all, unless the user is limited to some."""
    if not user.is_authenticated:
        return Channel.objects.none()
    if user_is_channel_scoped(user):
        return Channel.objects.filter(api_users=user)
    return Channel.objects.all()


def customer_list(*, user) -> QuerySet[Customer]:
    """Return the customers of the channels the user may see."""
    customers = Customer.objects.select_related("channel")
    if not user.is_authenticated:
        return customers.none()
    if user_is_channel_scoped(user):
        return customers.filter(channel__api_users=user)
    return customers
