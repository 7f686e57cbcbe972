from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from customers.models import (
    CODE_LENGTH,
    NAME_LENGTH,
    Channel,
    Customer,
    TimeStampedModel,
    VersionedModel,
)

MONEY = {"max_digits": 14, "decimal_places": 2, "default": 0}


class OrderStatus(models.TextChoices):
    PENDING = "pending"
    PAID = "paid"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class Order(VersionedModel):
    Status = OrderStatus

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(max_length=CODE_LENGTH)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(**MONEY)
    shipping_total = models.DecimalField(**MONEY)
    tax_total = models.DecimalField(**MONEY)
    discount_total = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    placed_at = models.DateTimeField(default=timezone.now)
    shipping_address = models.JSONField(null=True, blank=True)
    billing_address = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "number"], name="order_unique_number"),
            models.CheckConstraint(condition=~Q(number=""), name="order_number_not_empty"),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="order_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="order_currency_iso4217"
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{field}__gte": 0}), name=f"order_{field}_not_negative"
                )
                for field in ("subtotal", "shipping_total", "tax_total", "discount_total", "total")
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-placed_at"], name="order_customer_recent_idx"),
            models.Index(fields=["placed_at"], name="order_placed_at_idx"),
            # The order list's sort (newest first, id breaking ties) read straight off an index.
            models.Index(fields=["-placed_at", "-id"], name="order_recent_idx"),
            models.Index(fields=["status"], name="order_status_idx"),
            models.Index(fields=["total"], name="order_total_idx"),
        ]

    def __str__(self):
        # Lists showing orders select their channel with them.
        return f"{self.number} ({self.channel.code})"


class OrderItem(TimeStampedModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(max_length=CODE_LENGTH)
    name = models.CharField(max_length=NAME_LENGTH, blank=True, default="")
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(sku=""), name="orderitem_sku_not_empty"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="orderitem_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="orderitem_unit_price_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.sku} x {self.quantity}"


class OrderCustomData(VersionedModel):
    """Kibo's custom order data: a name/value record on an order, or on one of its items."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="custom_data")
    item = models.ForeignKey(
        OrderItem, null=True, blank=True, on_delete=models.CASCADE, related_name="custom_data"
    )
    name = models.CharField(max_length=100)
    value = models.CharField(max_length=1000)
    # Kibo's manufacturerID and catalogID: numbers of the seller's catalogue, stored as sent.
    manufacturer_number = models.PositiveIntegerField(null=True, blank=True)
    catalog_number = models.PositiveIntegerField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "order custom data"
        constraints = [
            models.UniqueConstraint(
                fields=["order", "name"],
                condition=Q(item__isnull=True),
                name="customdata_unique_name_per_order",
            ),
            models.UniqueConstraint(
                fields=["item", "name"],
                condition=Q(item__isnull=False),
                name="customdata_unique_name_per_item",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="customdata_name_not_empty"),
            models.CheckConstraint(condition=~Q(value=""), name="customdata_value_not_empty"),
            models.CheckConstraint(
                condition=Q(manufacturer_number__gte=1), name="customdata_manufacturer_positive"
            ),
        ]

    def __str__(self):
        return self.name


# An order's own fields that staff, the API and imports write, in the model's order.
ORDER_FIELDS = tuple(
    f.name
    for f in Order._meta.concrete_fields
    if f.name not in {"id", "created_at", "updated_at", "version"}
)
