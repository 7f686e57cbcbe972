"""Named reads of channels and customers, limited to what the caller may see."""

from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

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


EXPANSIONS = ("recent_orders", "recent_addresses", "phones", "memberships")
RECENT_ORDERS = 5
RECENT_ADDRESSES = 5
ADDRESS_FIELDS = frozenset({"addresses", "default_address", "billing_address"})
ADDRESS_EXPANSIONS = frozenset({"recent_addresses", "phones"})


def _wants(fields: set[str] | None, names) -> bool:
    return fields is None or bool(fields & set(names))


def _memberships_visible(user) -> QuerySet:
    """Memberships of the customers the user may see, decided inside SQL (no query here)."""
    from groups.models import UserCustomerGroup

    memberships = UserCustomerGroup.objects.all()
    if user.is_superuser:
        return memberships
    own = Channel.objects.filter(api_users=user).values("pk")
    return memberships.filter(~Exists(own) | Q(customer__channel__in=own))


def _memberships_prefetch(*, expanded: bool, user) -> Prefetch:
    from groups.models import UserCustomerGroup

    memberships = UserCustomerGroup.objects.select_related("group")
    if expanded:
        member_count = (
            _memberships_visible(user)
            .filter(group_id=OuterRef("group_id"))
            .order_by()
            .values("group_id")
            .annotate(n=Count("*"))
            .values("n")
        )
        memberships = UserCustomerGroup.objects.select_related("group__parent").annotate(
            group_member_count=Coalesce(Subquery(member_count), 0)
        )
    return Prefetch("memberships", queryset=memberships)


def _recent_orders_prefetch() -> Prefetch:
    from orders.models import Order

    # A sliced prefetch is one window-function query for the whole page.
    recent = Order.objects.only(
        "id", "customer_id", "number", "placed_at", "total", "status"
    ).order_by("-placed_at", "-id")[:RECENT_ORDERS]
    return Prefetch("orders", queryset=recent, to_attr="recent_orders")


def customer_list_for_api(
    *, user, fields: set[str] | None = None, expand: Iterable[str] = ()
) -> QuerySet[Customer]:
    """Return customer_list(user=...) with only the relations the asked fields need prefetched.

    Each relation costs one query per page whatever its size; `fields` None means all fields.
    """
    expand = set(expand)
    customers = customer_list(user=user)
    if _wants(fields, ADDRESS_FIELDS) or expand & ADDRESS_EXPANSIONS:
        customers = customers.prefetch_related("addresses")
    if _wants(fields, {"groups"}) or "memberships" in expand:
        customers = customers.prefetch_related(
            _memberships_prefetch(expanded="memberships" in expand, user=user)
        )
    if "recent_orders" in expand:
        customers = customers.prefetch_related(_recent_orders_prefetch())
    return customers
