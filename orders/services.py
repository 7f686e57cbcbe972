"""Every write to orders goes through here, and keeps the customers' statistics exact."""

from django.db import transaction
from django.db.models import Count, DecimalField, Max, Min, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from customers.models import Customer
from orders.models import Order, OrderStatus

# Orders in these statuses count towards a customer's statistics; cancelled and refunded
# orders do not.
COUNTED_STATUSES = (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.FULFILLED)


def _counted_orders_of_outer_customer():
    return Order.objects.filter(customer=OuterRef("pk"), status__in=COUNTED_STATUSES)


def _aggregate(expression):
    return Subquery(
        _counted_orders_of_outer_customer()
        .order_by()
        .values("customer")
        .annotate(value=expression)
        .values("value")
    )


@transaction.atomic
def customer_stats_recompute() -> int:
    """Rebuild every customer's order statistics in one set-based UPDATE; return the rows."""
    money = DecimalField(max_digits=14, decimal_places=2)
    last_order = _counted_orders_of_outer_customer().order_by("-placed_at", "-id")
    return Customer.objects.update(
        orders_count=Coalesce(_aggregate(Count("*")), 0),
        total_spent=Coalesce(_aggregate(Sum("total")), Value(0, output_field=money)),
        total_spent_currency=Coalesce(Subquery(last_order.values("currency")[:1]), Value("")),
        first_order_at=_aggregate(Min("placed_at")),
        last_order_at=_aggregate(Max("placed_at")),
        last_order_id=Subquery(last_order.values("id")[:1]),
    )
