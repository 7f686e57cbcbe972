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


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    name = factory.Faker("word")
    quantity = 1
    unit_price = Decimal("100.00")


class OrderCustomDataFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderCustomData

    order = factory.SubFactory(OrderFactory)
    name = factory.Sequence(lambda n: f"key-{n}")
    value = "value"
