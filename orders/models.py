from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
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
    PENDING = "pending", _("Pending")
    PAID = "paid", _("Paid")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class Order(VersionedModel):
    Status = OrderStatus

    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="orders", verbose_name=_("channel")
    )
    number = models.CharField(max_length=CODE_LENGTH, verbose_name=_("number"))
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer")
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, verbose_name=_("status")
    )
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    subtotal = models.DecimalField(**MONEY, verbose_name=_("subtotal"))
    shipping_total = models.DecimalField(**MONEY, verbose_name=_("shipping total"))
    tax_total = models.DecimalField(**MONEY, verbose_name=_("tax total"))
    discount_total = models.DecimalField(**MONEY, verbose_name=_("discount total"))
    total = models.DecimalField(**MONEY, verbose_name=_("total"))
    placed_at = models.DateTimeField(default=timezone.now, verbose_name=_("placed at"))
    shipping_address = models.JSONField(null=True, blank=True, verbose_name=_("shipping address"))
    billing_address = models.JSONField(null=True, blank=True, verbose_name=_("billing address"))

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
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
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="items", verbose_name=_("order")
    )
    sku = models.CharField(max_length=CODE_LENGTH, verbose_name=_("sku"))
    name = models.CharField(max_length=NAME_LENGTH, blank=True, default="", verbose_name=_("name"))
    quantity = models.PositiveIntegerField(default=1, verbose_name=_("quantity"))
    unit_price = models.DecimalField(**MONEY, verbose_name=_("unit price"))

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
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

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="custom_data", verbose_name=_("order")
    )
    item = models.ForeignKey(
        OrderItem,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="custom_data",
        verbose_name=_("item"),
    )
    name = models.CharField(max_length=100, verbose_name=_("name"))
    value = models.CharField(max_length=1000, verbose_name=_("value"))
    # Kibo's manufacturerID and catalogID: numbers of the seller's catalogue, stored as sent.
    manufacturer_number = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("manufacturer number")
    )
    catalog_number = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("catalog number")
    )

    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        verbose_name = _("order custom data")
        verbose_name_plural = _("order custom data")
        ordering = ["id"]
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
