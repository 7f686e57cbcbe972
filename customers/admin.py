from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from customers.models import Address, Channel, Customer
from customers.services import channel_update, customer_update
from customers.validation import country_normalize, email_normalize

ADDRESS_FIELDS = [
    "customer",
    "first_name",
    "last_name",
    "company",
    "address",
    "number",
    "floor",
    "address2",
    "address3",
    "locality",
    "city",
    "province",
    "zipcode",
    "country",
    "phone",
    "is_default",
    "is_billing",
]
CUSTOMER_FIELDS = [
    "channel",
    "email",
    "username",
    "first_name",
    "last_name",
    "company",
    "phone",
    "phone_secondary",
    "identification",
    "note",
    "status",
    "gender",
    "user_type",
    "date_of_birth",
    "date_joined",
    "email_allowed",
    "sms_allowed",
    "call_allowed",
    "discount_percent",
    "preferred_shipping_method",
    "erp_code",
    "channel_code",
    "attributes",
    "extra_field",
]


class AddressInlineForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = ADDRESS_FIELDS

    def clean_country(self):
        return country_normalize(self.cleaned_data.get("country", ""))


class AddressInline(admin.StackedInline):
    model = Address
    form = AddressInlineForm
    extra = 0
    fields = [
        ("first_name", "last_name", "company"),
        ("address", "number", "floor"),
        ("address2", "address3"),
        ("locality", "city", "province"),
        ("zipcode", "country", "phone"),
        ("is_default", "is_billing"),
    ]


class CustomerAdminForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS

    def clean_email(self):
        return email_normalize(self.cleaned_data.get("email", ""))

    def clean_username(self):
        return (self.cleaned_data.get("username") or "").strip() or None

    def clean_channel(self):
        channel = self.cleaned_data["channel"]
        if self.instance.pk and channel != self.instance.channel:
            raise ValidationError("The channel of a customer cannot change.")
        return channel


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = [
        "email",
        "first_name",
        "last_name",
        "channel",
        "status",
        "orders_count",
        "total_spent",
        "last_order_at",
    ]
    list_filter = ["channel", "status", "gender", "user_type", "email_allowed", "sms_allowed"]
    list_select_related = ["channel"]
    search_fields = ["=email", "first_name", "last_name", "=phone", "=identification", "=erp_code"]
    show_full_result_count = False
    date_hierarchy = "created_at"
    ordering = ["-id"]
    inlines = [AddressInline]
    readonly_fields = [
        "orders_count",
        "total_spent",
        "total_spent_currency",
        "first_order_at",
        "last_order_at",
        "last_order",
        "last_login_at",
        "created_at",
        "updated_at",
    ]

    def save_model(self, request, obj, form, change):
        customer_update(customer=obj, data={})


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "currency", "is_active"]
    search_fields = ["code", "name"]
    list_filter = ["is_active", "currency"]
    filter_horizontal = ["api_users"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    def save_model(self, request, obj, form, change):
        channel_update(channel=obj, data={})


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ["customer", "address", "city", "country", "is_default", "is_billing"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    search_fields = ["customer__email", "city", "zipcode"]
    show_full_result_count = False
