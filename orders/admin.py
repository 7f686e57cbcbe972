from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from config.admin import (
    EstimatedCountPaginator,
    PeriodChangeList,
    ServiceDeletesMixin,
    ZonedTimesAdminMixin,
    datetime_short,
    time_column,
)
from config.forms import JSON_FORMFIELD_OVERRIDES
from config.money import money_format
from customers.admin_scoping import (
    ChannelListFilter,
    ChannelScopedAdminMixin,
    ChannelScopedInlineMixin,
    ChannelTimeZoneAdminMixin,
)
from customers.models import ADDRESS_TEXT_FIELDS, Address
from orders.models import ORDER_FIELDS, Order, OrderCustomData, OrderItem
from orders.services import (
    CUSTOM_DATA_NAME_TAKEN,
    CUSTOMER_OTHER_CHANNEL,
    customer_stats_refresh,
    order_custom_data_check,
    order_custom_data_create,
    order_custom_data_delete,
    order_custom_data_update,
    order_delete,
    order_items_replace,
    order_save,
    orders_delete,
)
from orders.validation import order_input_clean, order_item_clean

ITEM_FIELDS = ["sku", "name", "quantity", "unit_price"]


def _errors_add(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's errors on the form: `shipping_address.country` on its field."""
    for name, messages in error.message_dict.items():
        field = name.partition(".")[0]
        field = field if field in form.fields else None
        if field is None or field not in form.errors:
            form.add_error(field, messages)


class _ServiceCheckedForm(forms.ModelForm):
    def validate_unique(self):
        # The service's check in clean() covers the model's constraints, with its messages.
        pass


class OrderItemInlineForm(_ServiceCheckedForm):
    # Plain integers: the service's check answers below 1 with its own message.
    quantity = forms.IntegerField(initial=1)

    class Meta:
        model = OrderItem
        fields = ITEM_FIELDS

    def clean(self):
        cleaned = super().clean()
        try:
            cleaned.update(order_item_clean({k: v for k, v in cleaned.items() if k in ITEM_FIELDS}))
        except ValidationError as error:
            _errors_add(self, error)
        return cleaned


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    form = OrderItemInlineForm
    extra = 0
    fields = ITEM_FIELDS


class OrderCustomDataInlineForm(_ServiceCheckedForm):
    class Meta:
        model = OrderCustomData
        fields = ["item", "name", "value"]

    def clean(self):
        cleaned = super().clean()
        stored = self.instance
        order = cleaned.get("order") if "order" in self.fields else None
        record = OrderCustomData(
            pk=stored.pk,
            order_id=order.pk if order is not None else stored.order_id,
            item=cleaned.get("item") if "item" in self.fields else stored.item,
            name=cleaned.get("name") if "name" in self.fields else stored.name,
            value=cleaned.get("value"),
        )
        try:
            order_custom_data_check(record=record, previous=stored if stored.pk else None)
        except ValidationError as error:
            _errors_add(self, error)
        return cleaned


class OrderCustomDataForm(OrderCustomDataInlineForm):
    class Meta:
        model = OrderCustomData
        fields = ["order", "item", "name", "value"]


class OrderCustomDataInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        """Refuse two records with one name on the same order or item in one submission."""
        super().clean()
        seen = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            key = (form.cleaned_data.get("item"), form.cleaned_data.get("name"))
            if key[1] and key in seen and "name" not in form.errors:
                form.add_error("name", CUSTOM_DATA_NAME_TAKEN)
            seen.add(key)


class OrderCustomDataInline(ChannelScopedInlineMixin, admin.TabularInline):
    model = OrderCustomData
    form = OrderCustomDataInlineForm
    formset = OrderCustomDataInlineFormSet
    extra = 0
    fields = ["item", "name", "value"]
    raw_id_fields = ["item"]


class OrderAdminForm(_ServiceCheckedForm):
    class Meta:
        model = Order
        fields = list(ORDER_FIELDS)

    def clean(self):
        cleaned = super().clean()
        channel, customer = cleaned.get("channel"), cleaned.get("customer")
        if channel and customer and customer.channel_id != channel.pk:
            raise ValidationError({"customer": CUSTOMER_OTHER_CHANNEL})
        instance = self.instance if self.instance.pk else None
        try:
            cleaned.update(order_input_clean(cleaned, instance=instance, partial=True))
        except ValidationError as error:
            _errors_add(self, error)
        return cleaned


def _saved_forms(formset) -> list:
    """The formset's forms to save: not deleted, and not blank extra rows."""
    deleted = set(map(id, formset.deleted_forms))
    return [
        form
        for form in formset.forms
        if id(form) not in deleted and (form.instance.pk or form.has_changed())
    ]


def _item_row(form) -> dict:
    row = {name: form.cleaned_data[name] for name in ITEM_FIELDS if name in form.cleaned_data}
    return {"id": form.instance.pk, **row} if form.instance.pk else row


def _items_save(formset) -> None:
    saved = _saved_forms(formset)
    items = [_item_row(form) for form in saved]
    formset.new_objects = order_items_replace(order=formset.instance, items=items)
    formset.changed_objects = [
        (form.instance, form.changed_data)
        for form in saved
        if form.instance.pk and form.changed_data
    ]
    formset.deleted_objects = [form.instance for form in formset.deleted_forms if form.instance.pk]


def _custom_data_save(formset) -> None:
    formset.deleted_objects = [form.instance for form in formset.deleted_forms if form.instance.pk]
    for record in formset.deleted_objects:
        order_custom_data_delete(record=record)
    formset.new_objects, formset.changed_objects = [], []
    for form in _saved_forms(formset):
        data = form.cleaned_data
        if not form.instance.pk:
            formset.new_objects.append(
                order_custom_data_create(
                    order=formset.instance,
                    item=data.get("item"),
                    name=data["name"],
                    value=data["value"],
                )
            )
        elif form.changed_data:
            order_custom_data_update(record=form.instance, data={"value": data["value"]})
            formset.changed_objects.append((form.instance, form.changed_data))


def address_table(snapshot: dict | None) -> str:
    """An order's address snapshot as a table of its filled-in parts, labelled as on a
    customer's address."""
    if not snapshot:
        return "-"
    rows = format_html_join(
        "",
        "<tr><th>{}</th><td>{}</td></tr>",
        (
            (Address._meta.get_field(name).verbose_name.capitalize(), snapshot[name])
            for name in ADDRESS_TEXT_FIELDS
            if snapshot.get(name)
        ),
    )
    return format_html('<table class="patron-address">{}</table>', rows)


@admin.register(Order)
class OrderAdmin(ChannelTimeZoneAdminMixin, ChannelScopedAdminMixin, admin.ModelAdmin):
    form = OrderAdminForm
    formfield_overrides = JSON_FORMFIELD_OVERRIDES
    # Short columns, so that the list fits a 1440 px screen beside its filters.
    list_display = [
        "number",
        "channel",
        "customer_email",
        "status",
        "total_display",
        "placed_at_short",
    ]
    list_select_related = ["channel", "customer"]
    list_filter = [("channel", ChannelListFilter), "status"]
    date_hierarchy = "placed_at"
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    autocomplete_fields = ["customer"]
    search_fields = ["number", "customer__email"]
    readonly_fields = [
        "total_display",
        "shipping_address_parts",
        "billing_address_parts",
        "created_at",
        "updated_at",
    ]
    inlines = [OrderItemInline, OrderCustomDataInline]
    fieldsets = [
        (None, {"fields": ["channel", "number", "customer", "status", "placed_at"]}),
        (
            _("Amounts"),
            {
                "fields": [
                    "currency",
                    ("subtotal", "shipping_total", "tax_total", "discount_total"),
                    "total",
                    "total_display",
                ]
            },
        ),
        (_("Addresses"), {"fields": [("shipping_address_parts", "billing_address_parts")]}),
        (
            _("Edit the addresses (JSON)"),
            {"fields": ["shipping_address", "billing_address"], "classes": ["collapse"]},
        ),
        (_("Record"), {"fields": [("created_at", "updated_at")]}),
    ]

    @admin.display(description=_("customer e-mail"), ordering="customer__email")
    def customer_email(self, order):
        return order.customer.email

    @admin.display(description=_("total"), ordering="total")
    def total_display(self, order):
        return money_format(order.total, order.currency)

    @admin.display(description=time_column(_("placed at")), ordering="placed_at")
    def placed_at_short(self, order):
        return datetime_short(order.placed_at)

    @admin.display(description=_("shipping address"))
    def shipping_address_parts(self, order):
        return address_table(order.shipping_address)

    @admin.display(description=_("billing address"))
    def billing_address_parts(self, order):
        return address_table(order.billing_address)

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

    def save_formset(self, request, form, formset, change):
        if formset.model is OrderItem:
            _items_save(formset)
        elif formset.model is OrderCustomData:
            _custom_data_save(formset)
        else:
            super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Items do not count towards the statistics, but keep the rule in one place anyway.
        customer_stats_refresh(customer_ids=[form.instance.customer_id])

    def delete_model(self, request, obj):
        order_delete(order=obj)

    def delete_queryset(self, request, queryset):
        orders_delete(orders=queryset)


@admin.register(OrderCustomData)
class OrderCustomDataAdmin(
    ZonedTimesAdminMixin, ChannelScopedAdminMixin, ServiceDeletesMixin, SimpleHistoryAdmin
):
    channel_field = "order__channel"
    list_display = ["name", "value", "order", "item", "updated_at"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_select_related = ["order__channel", "item"]
    raw_id_fields = ["order", "item"]
    search_fields = ["=name", "=order__number"]
    form = OrderCustomDataForm

    def get_readonly_fields(self, request, obj=None):
        # A record's order, item and name never change (order_custom_data_update).
        return ["order", "item", "name"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            order_custom_data_update(record=obj, data={"value": obj.value})
        else:
            obj.pk = order_custom_data_create(
                order=obj.order, item=obj.item, name=obj.name, value=obj.value
            ).pk

    def object_delete(self, obj):
        order_custom_data_delete(record=obj)
