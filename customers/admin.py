"""The customer admin: the staff's daily tool, validated and saved by the API's services.

Forms validate with customers.validation (the API's checks) and every save calls a service, so
a save here and a PUT in the API cannot disagree. Lists avoid full COUNTs and N+1 queries and
search through indexes only, so they stay quick with a million customers.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, Q
from django.forms.models import construct_instance
from django.forms.utils import ErrorDict
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from config.admin import (
    EstimatedCountPaginator,
    PeriodChangeList,
    ServiceDeletesMixin,
    datetime_short,
    time_column,
)
from config.forms import JSON_FORMFIELD_OVERRIDES
from config.money import money_format
from config.request_bounds import TOO_MANY_WORDS
from customers import admin_actions
from customers.admin_scoping import (
    ChannelListFilter,
    ChannelScopedAdminMixin,
    ChannelTimeZoneAdminMixin,
    request_channel_scope,
    user_may_manage_channels,
)
from customers.admin_views import customer_import_urls
from customers.imports.rows import RowInvalid, json_text_parse
from customers.models import (
    ADDRESS_FLAG_FIELDS,
    ADDRESS_TEXT_FIELDS,
    CUSTOMER_EDITABLE_FIELDS,
    Address,
    Channel,
    Customer,
)
from customers.search import SEARCH_FIELDS, TRIGRAM_MIN_LENGTH, folded_field_q, search_word_q
from customers.services import (
    address_create,
    address_delete,
    address_update,
    address_values_clean,
    channel_update,
    customer_delete,
    customer_validate,
    customer_write,
)
from groups.admin import MembershipInline
from groups.models import UserCustomerGroup, UserGroup
from groups.services import membership_create, membership_delete, membership_update
from merges.admin_views import customer_merge_view

ALL_ORDERS = _("All orders of this customer ({count})")
ORDER_NUMBER = _("Order #{id}")
ADDRESS_FIELDS = [*ADDRESS_TEXT_FIELDS, *ADDRESS_FLAG_FIELDS]
CUSTOMER_FIELDS = ["channel", "email", *CUSTOMER_EDITABLE_FIELDS]


class AddressInlineForm(forms.ModelForm):
    """An address as staff edit it, checked by the services' address check (the API's and
    the imports'), with their messages: Django's own length checks are left out."""

    class Meta:
        model = Address
        fields = ADDRESS_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ADDRESS_TEXT_FIELDS:
            self.fields[name].validators = []

    def clean(self):
        cleaned = super().clean()
        sent = {name: cleaned[name] for name in ADDRESS_FIELDS if name in cleaned}
        try:
            cleaned.update(address_values_clean(sent))
        except RowInvalid as invalid:
            for name, messages_ in invalid.errors.items():
                self.add_error(name if name in self.fields else None, messages_)
        return cleaned

    def _post_clean(self):
        # The values are checked above; the model's checks would repeat them in other words.
        opts = self._meta
        self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)


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
    """Staff's customer form, checked by the services' customer validator.

    Django's own field checks are skipped: each field's widget value is read as the API object
    would carry it, and customer_validate answers with the API's and the import's messages.
    The checked row is kept for save_model, which writes it.
    """

    channel = forms.ModelChoiceField(
        queryset=Channel.objects.order_by("code"), to_field_name="code"
    )
    # The channels the staff user may see (CustomerAdmin.get_form sets them per request).
    channels = Channel.objects.all()

    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "channel" in self.fields:  # read-only on a change page
            self.fields["channel"].queryset = self.channels.order_by("code")

    def full_clean(self):
        self._errors = ErrorDict()
        self.cleaned_data = {}
        self.row = None
        if not self.is_bound:
            return
        customer = self.instance if self.instance.pk is not None else None
        try:
            data = self._api_object()
            self.row = customer_validate(
                data=data, channels=self.channels, customer=customer, partial=True
            )
        except RowInvalid as invalid:
            for name, messages_ in invalid.errors.items():
                self.add_error(name if name in self.fields else None, messages_)
            return
        values = {"email": self.row.email, **self.row.values}
        self.cleaned_data = {name: values[name] for name in self.fields if name in values}

    def _api_object(self) -> dict:
        """The form's values as an API customer object; bad JSON is a RowInvalid."""
        data, errors = {}, {}
        for name, field in self.fields.items():
            value = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            if isinstance(value, list | tuple):  # date and time boxes
                value = " ".join(part for part in value if part)
            elif isinstance(field, forms.JSONField):
                try:
                    value = json_text_parse(value or "")
                except ValueError as error:
                    errors[name] = [str(error)]
            data[name] = value
        if errors:
            raise RowInvalid(errors)
        return data


def fieldsets_missing(fieldsets: list, names) -> list[str]:
    """The names no fieldset shows."""
    shown = set()
    for _title, options in fieldsets:
        for entry in options["fields"]:
            shown.update(entry if isinstance(entry, tuple) else (entry,))
    return [name for name in names if name not in shown]


class GroupListFilter(admin.SimpleListFilter):
    title = _("group")
    parameter_name = "group"

    def lookups(self, request, model_admin):
        return list(UserGroup.objects.order_by("code").values_list("pk", "code"))

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        members = UserCustomerGroup.objects.filter(customer=OuterRef("pk"), group_id=self.value())
        return queryset.filter(Exists(members))


class HasOrdersListFilter(admin.SimpleListFilter):
    title = _("has orders")
    parameter_name = "has_orders"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(orders_count__gt=0)
        if self.value() == "no":
            return queryset.filter(orders_count=0)
        return queryset


class MergedListFilter(admin.SimpleListFilter):
    """Merged customers (aliases of the one they were merged into) stay out of the list, as
    out of the API's, unless asked for; their change pages still open (with a banner)."""

    title = _("merged")
    parameter_name = "merged"

    def lookups(self, request, model_admin):
        return [("yes", _("Merged into another"))]

    def queryset(self, request, queryset):
        return queryset.filter(merged_into__isnull=self.value() != "yes")


def customer_search_q(term: str) -> Q:
    """One word of a search, as lookups PostgreSQL serves from indexes.

    E-mails are stored lower-cased with a pattern-ops btree (exact and prefix); names, e-mail,
    phone and identification share the trigram search index (customers.search), in any case
    and with or without accents; erp_code and the id match exactly. A term too short for
    trigrams matches field prefixes instead (folded the same way).
    """
    if "@" in term:
        return Q(email__startswith=term.lower())
    if len(term) >= TRIGRAM_MIN_LENGTH:
        query = search_word_q(term)
    else:
        query = Q()
        for name in SEARCH_FIELDS:
            query |= folded_field_q(name, "istartswith", term)
    query |= Q(erp_code=term)
    if term.isdigit() and len(term) < 19:
        query |= Q(pk=int(term))
    return query


@admin.register(Customer)
class CustomerAdmin(ChannelTimeZoneAdminMixin, ChannelScopedAdminMixin, SimpleHistoryAdmin):
    form = CustomerAdminForm
    formfield_overrides = JSON_FORMFIELD_OVERRIDES
    # Short columns, so that the list fits a 1440 px screen beside its filters.
    list_display = [
        "email",
        "name",
        "channel",
        "status",
        "orders_count",
        "total_spent_display",
        "last_order_short",
    ]
    list_filter = [
        ("channel", ChannelListFilter),
        "status",
        "gender",
        "user_type",
        "email_allowed",
        "sms_allowed",
        "call_allowed",
        GroupListFilter,
        HasOrdersListFilter,
        MergedListFilter,
    ]
    list_select_related = ["channel"]
    search_fields = ["email", "first_name", "last_name", "phone", "identification", "=erp_code"]
    search_help_text = _(
        "Name, e-mail (or its beginning), phone, identification, ERP code or customer id."
    )
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    date_hierarchy = "created_at"
    ordering = ["-id"]
    inlines = [AddressInline, MembershipInline]
    actions = admin_actions.CUSTOMER_ACTIONS
    fieldsets = [
        (None, {"fields": ["channel", "email", "username", "status", "user_type"]}),
        (
            _("Person"),
            {
                "fields": [
                    ("first_name", "last_name"),
                    "company",
                    ("phone", "phone_secondary"),
                    "identification",
                    ("gender", "date_of_birth"),
                    "note",
                ]
            },
        ),
        (_("Consents"), {"fields": [("email_allowed", "sms_allowed", "call_allowed")]}),
        (
            _("Commerce"),
            {
                "fields": [
                    "discount_percent",
                    "preferred_shipping_method",
                    ("erp_code", "channel_code"),
                    "date_joined",
                    "attributes",
                    "extra_field",
                ]
            },
        ),
        (
            _("Statistics"),
            {
                "fields": [
                    ("orders_count", "total_spent_display"),
                    ("first_order_at", "last_order_at"),
                    "last_order_link",
                    "orders_link",
                    ("last_login_at", "created_at", "updated_at"),
                ]
            },
        ),
    ]
    # A written field no fieldset above places yet still reaches staff, at the end.
    if unplaced := fieldsets_missing(fieldsets, CUSTOMER_FIELDS):
        fieldsets.append((_("Other"), {"fields": unplaced}))
    readonly_fields = [
        "orders_count",
        "total_spent_display",
        "first_order_at",
        "last_order_at",
        "last_order_link",
        "orders_link",
        "last_login_at",
        "created_at",
        "updated_at",
    ]

    @admin.display(description=_("name"))
    def name(self, customer):
        return customer.name

    @admin.display(description=_("total spent"), ordering="total_spent")
    def total_spent_display(self, customer):
        return money_format(customer.total_spent, customer.total_spent_currency)

    @admin.display(description=time_column(_("last order")), ordering="last_order_at")
    def last_order_short(self, customer):
        return datetime_short(customer.last_order_at)

    def get_changelist(self, request, **kwargs):
        return PeriodChangeList

    @admin.display(description=_("orders"))
    def orders_link(self, customer):
        if customer.pk is None:
            return "-"
        url = reverse("admin:orders_order_changelist") + f"?customer__id__exact={customer.pk}"
        return format_html(
            '<a href="{}">{}</a>', url, ALL_ORDERS.format(count=customer.orders_count)
        )

    @admin.display(description=_("last order"))
    def last_order_link(self, customer):
        if customer.last_order_id is None:
            return "-"
        url = reverse("admin:orders_order_change", args=[customer.last_order_id])
        return format_html(
            '<a href="{}">{}</a>', url, ORDER_NUMBER.format(id=customer.last_order_id)
        )

    def get_search_results(self, request, queryset, search_term):
        terms = search_term.split()
        if not terms:
            return queryset, False
        if len(terms) > settings.API_MAX_SEARCH_WORDS:
            # Each word is a scan of its own: the API's cap holds here too.
            limit = settings.API_MAX_SEARCH_WORDS
            messages.error(request, TOO_MANY_WORDS.format(limit=limit, count=len(terms)))
            return queryset.none(), False
        query = Q()
        for term in terms:
            query &= customer_search_q(term)
        return queryset.filter(query), False

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        channels = request_channel_scope(Channel.objects.all(), request, channel_field="")
        return type(form.__name__, (form,), {"channels": channels})

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        return [*fields, "channel"] if obj is not None else fields

    def get_urls(self):
        merge = self.admin_site.admin_view(customer_merge_view)
        return [
            *customer_import_urls(self.admin_site),
            path("merge/", merge, name="customers_customer_merge"),
            path(
                "<path:object_id>/invite/",
                self.admin_site.admin_view(self.invite_view),
                name="customers_customer_invite",
            ),
            path(
                "<path:object_id>/anonymize/",
                self.admin_site.admin_view(self.anonymize_view),
                name="customers_customer_anonymize",
            ),
            *super().get_urls(),
        ]

    def invite_view(self, request, object_id):
        return admin_actions.customer_invite_view(self, request, object_id)

    def anonymize_view(self, request, object_id):
        return admin_actions.customer_anonymize_view(self, request, object_id)

    def save_model(self, request, obj, form, change):
        customer = customer_write(row=form.row, user_id=request.user.pk)
        obj.pk, obj.channel_id = customer.pk, customer.channel_id
        form.instance = customer

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        customer = form.instance
        if formset.model is Address:
            _addresses_save(customer, formset, instances)
        elif formset.model is UserCustomerGroup:
            _memberships_save(customer, formset, instances)
        else:
            super().save_formset(request, form, formset, change)

    def delete_model(self, request, obj):
        customer_delete(customer=obj)

    def message_user_errors(self, request, failures: dict[str, list[str]]) -> None:
        """Report customers an action could not change, one line each."""
        for email, errors in list(failures.items())[:20]:
            self.message_user(request, f"{email}: {' '.join(errors)}", messages.ERROR)


def _address_fields(address: Address) -> dict:
    return {name: getattr(address, name) for name in ADDRESS_FIELDS}


def _address_data(address: Address) -> dict:
    """The address's fields; an unticked default flag is left to address_create's rule."""
    data = _address_fields(address)
    if not data["is_default"]:
        del data["is_default"]
    return data


def _addresses_save(customer: Customer, formset, instances) -> None:
    for address in formset.deleted_objects:
        address_delete(address=address)
    for address in instances:
        if address.pk is None:
            address_create(customer=customer, data=_address_data(address))
        else:
            address_update(address=address, data=_address_fields(address))


def _memberships_save(customer: Customer, formset, instances) -> None:
    for membership in formset.deleted_objects:
        membership_delete(membership=membership)
    for membership in instances:
        if membership.pk is None:
            membership_create(
                customer=customer,
                group_code=membership.group.code,
                subscribed=membership.subscribed,
                attributes=membership.attributes,
            )
        else:
            membership_update(
                membership=membership,
                data={"subscribed": membership.subscribed, "attributes": membership.attributes},
            )


@admin.register(Channel)
class ChannelAdmin(ChannelScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "currency", "is_active"]
    search_fields = ["code", "name"]
    list_filter = ["is_active", "currency"]
    filter_horizontal = ["api_users"]
    channel_field = ""

    def get_readonly_fields(self, request, obj=None):
        readonly = ["code"] if obj else []
        if not user_may_manage_channels(request):
            readonly.append("api_users")
        return readonly

    def has_add_permission(self, request):
        return user_may_manage_channels(request) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and user_may_manage_channels(request)

    def save_model(self, request, obj, form, change):
        channel_update(channel=obj, data={})


@admin.register(Address)
class AddressAdmin(ChannelScopedAdminMixin, ServiceDeletesMixin, SimpleHistoryAdmin):
    channel_field = "customer__channel"
    form = AddressInlineForm
    fields = ["customer", *ADDRESS_FIELDS]
    list_display = ["customer", "address", "city", "country", "is_default", "is_billing"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    search_fields = ["=customer__email"]
    search_help_text = _("The customer's e-mail or id.")
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    ordering = ["-id"]

    def get_search_results(self, request, queryset, search_term):
        # Exact matches only: both are indexed (e-mails are stored lower-cased).
        term = search_term.strip()
        if not term:
            return queryset, False
        query = Q(customer__email=term.lower())
        if term.isdigit() and len(term) < 19:
            query |= Q(customer_id=int(term))
        return queryset.filter(query), False

    def save_model(self, request, obj, form, change):
        if change:
            form.instance = address_update(address=obj, data=_address_fields(obj))
        else:
            form.instance = address_create(customer=obj.customer, data=_address_data(obj))
            obj.pk = form.instance.pk

    def object_delete(self, obj):
        address_delete(address=obj)
