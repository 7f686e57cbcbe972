from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from simple_history.admin import SimpleHistoryAdmin

from config.admin import EstimatedCountPaginator, PeriodChangeList
from orders.models import Order, OrderCustomData, OrderItem
from orders.services import (
    CUSTOMER_OTHER_CHANNEL,
    customer_stats_refresh,
    order_delete,
    order_save,
    orders_delete,
)

ITEM_OF_OTHER_ORDER = "This item belongs to another order."


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    fields = ["sku", "name", "quantity", "unit_price"]


class OrderCustomDataInlineForm(forms.ModelForm):
    class Meta:
        model = OrderCustomData
        fields = ["item", "name", "value"]

    def clean(self):
        cleaned = super().clean()
        item = cleaned.get("item")
        if item is not None and self.instance.order_id and item.order_id != self.instance.order_id:
            raise ValidationError({"item": ITEM_OF_OTHER_ORDER})
        return cleaned


class OrderCustomDataInline(admin.TabularInline):
    model = OrderCustomData
    form = OrderCustomDataInlineForm
    extra = 0
    fields = ["item", "name", "value"]
    raw_id_fields = ["item"]


class OrderAdminForm(forms.ModelForm):
    class Meta:
        model = Order
        fields = [
            "channel",
            "number",
            "customer",
            "status",
            "currency",
            "subtotal",
            "shipping_total",
            "tax_total",
            "discount_total",
            "total",
            "placed_at",
            "shipping_address",
            "billing_address",
        ]

    def clean(self):
        cleaned = super().clean()
        channel, customer = cleaned.get("channel"), cleaned.get("customer")
        if channel and customer and customer.channel_id != channel.pk:
            raise ValidationError({"customer": CUSTOMER_OTHER_CHANNEL})
        return cleaned


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    form = OrderAdminForm
    list_display = ["number", "channel", "customer_email", "status", "total", "placed_at"]
    list_select_related = ["channel", "customer"]
    list_filter = ["channel", "status"]
    date_hierarchy = "placed_at"
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    raw_id_fields = ["customer"]
    search_fields = ["number", "customer__email"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [OrderItemInline, OrderCustomDataInline]

    @admin.display(description="customer e-mail", ordering="customer__email")
    def customer_email(self, order):
        return order.customer.email

    def get_changelist(self, request, **kwargs):
        return PeriodChangeList

    def get_search_results(self, request, queryset, search_term):
        # Exact matches (e-mails are stored lower-cased) keep the search on the indexes.
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(number=term) | Q(customer__email=term.lower())), False

    def save_model(self, request, obj, form, change):
        previous = form.initial.get("customer") if change else None
        order_save(order=obj, previous_customer_id=previous)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Items do not count towards the statistics, but keep the rule in one place anyway.
        customer_stats_refresh(customer_ids=[form.instance.customer_id])

    def delete_model(self, request, obj):
        order_delete(order=obj)

    def delete_queryset(self, request, queryset):
        orders_delete(orders=queryset)


@admin.register(OrderCustomData)
class OrderCustomDataAdmin(SimpleHistoryAdmin):
    list_display = ["name", "value", "order", "item", "updated_at"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_select_related = ["order", "item"]
    raw_id_fields = ["order", "item"]
    search_fields = ["=name", "=order__number"]
