from decimal import Decimal

import factory

from orders.models import Order, OrderCustomData, OrderItem
from tests.customers.factories import CustomerFactory


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    channel = factory.LazyAttribute(lambda order: order.customer.channel)
    number = factory.Sequence(lambda n: f"ORD-{n:06d}")
    currency = "USD"
    subtotal = Decimal("100.00")
    total = Decimal("100.00")
    status = Order.Status.PAID


class OrderPartFactory(factory.django.DjangoModelFactory):
    """A row that belongs to an order: a new order unless one is given."""

    class Meta:
        abstract = True

    order = factory.SubFactory(OrderFactory)


class OrderItemFactory(OrderPartFactory):
    class Meta:
        model = OrderItem

    sku = factory.Sequence(lambda n: f"SKU-{n}")
    name = factory.Faker("word")
    quantity = 1
    unit_price = Decimal("100.00")


class OrderCustomDataFactory(OrderPartFactory):
    class Meta:
        model = OrderCustomData

    name = factory.Sequence(lambda n: f"key-{n}")
    value = "value"
