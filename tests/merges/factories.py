from customers.models import Channel, Customer
from merges.services import customer_merge
from tests.customers.factories import ChannelFactory, CustomerFactory


def merge_make(*, user, channel: Channel | None = None):
    """A Merge made by the service: one new customer merged into another."""
    channel = channel or ChannelFactory()
    kept: Customer = CustomerFactory(channel=channel)
    other: Customer = CustomerFactory(channel=channel)
    return customer_merge(keep=kept.pk, merge=[other.pk], user=user).merge
