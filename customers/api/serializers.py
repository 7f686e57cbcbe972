import itertools

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from config.json_rows import (
    JsonColumn,
    field_key_sql,
    object_sql,
    python_strip_sql,
    quoted,
    reparsed_object_sql,
    value_sql,
)
from config.rest import (
    UNKNOWN_FIELDS,
    CachedFieldsMixin,
    FastRepresentationMixin,
    SparseFieldsMixin,
    StrictInputMixin,
    requested_fields,
)
from customers.imports.rows import OUTPUT_ONLY_FIELDS
from customers.models import (
    ADDRESS_FLAG_FIELDS,
    ADDRESS_TEXT_FIELDS,
    CODE_LENGTH,
    CUSTOMER_EDITABLE_FIELDS,
    CUSTOMER_STATS_COLUMNS,
    EMAIL_LENGTH,
    NAME_LENGTH,
    Address,
    Channel,
    Customer,
)
from customers.selectors import (
    EXPANSIONS,
    customer_addresses,
    customer_addresses_json_run_sql,
    customer_addresses_json_sql,
    customer_group_codes_json_sql,
    customer_memberships,
    customer_memberships_json_sql,
    customer_phones,
    customer_phones_json_sql,
    customer_recent_addresses,
    customer_recent_addresses_json_sql,
    customer_recent_orders,
    customer_recent_orders_json_sql,
    group_member_counts,
)
from customers.validation import (
    CURRENCY_CODES,
    INVALID_CURRENCY,
)
from groups.models import UserCustomerGroup, UserGroup, Visibility
from orders.models import Order, OrderStatus

CODE_IMMUTABLE = _("The code of a channel cannot change.")


class ChannelSerializer(StrictInputMixin, SparseFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = [
            "code",
            "name",
            "currency",
            "is_active",
            "language",
            "time_zone",
            "set_password_url",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at", "version"]

    def validate_code(self, value):
        if self.instance is not None and value != self.instance.code:
            raise serializers.ValidationError(CODE_IMMUTABLE)
        return value

    def validate_currency(self, value):
        value = value.strip().upper()
        if value not in CURRENCY_CODES:
            raise serializers.ValidationError(INVALID_CURRENCY)
        return value


UNKNOWN_EXPAND = _("Unknown expansion(s): {names}. Allowed: {allowed}.")
EXPAND_HELP = "Only present with ?expand={name}."


class CustomerAddressSerializer(
    FastRepresentationMixin, CachedFieldsMixin, SparseFieldsMixin, serializers.ModelSerializer
):
    country = serializers.CharField(
        max_length=2,
        required=False,
        allow_blank=True,
        help_text="ISO 3166-1 alpha-2 code, such as BR or US (any case; stored upper-case).",
    )

    class Meta:
        model = Address
        fields = [
            "id",
            *ADDRESS_TEXT_FIELDS,
            *ADDRESS_FLAG_FIELDS,
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["id", "created_at", "updated_at", "version"]
        extra_kwargs = {
            "address": {"help_text": "Street."},
            "is_default": {"help_text": "The default (shipping) address; one per customer."},
            "is_billing": {"help_text": "The billing address; one per customer."},
        }


class CustomerAddressListSerializer(serializers.ListSerializer):
    """The customer's addresses, read from the page's prefetched list."""

    def get_attribute(self, instance):
        return customer_addresses(instance)

    def to_representation(self, data):
        # The customer's serializer represents each address once per row: default_address
        # and billing_address repeat one of these.
        shared = getattr(self.parent, "address_representation", None)
        if shared is None:
            return super().to_representation(data)
        return [shared(address) for address in data]


class GroupCodesField(serializers.ListField):
    """The customer's group codes, read from the prefetched memberships."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.SlugField(max_length=CODE_LENGTH), **kwargs)

    def get_attribute(self, instance):
        return sorted(membership.group.code for membership in customer_memberships(instance))


class CustomerRecentOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    placed_at = serializers.DateTimeField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    status = serializers.ChoiceField(choices=OrderStatus.choices)


class CustomerMembershipGroupSerializer(serializers.Serializer):
    code = serializers.SlugField()
    title = serializers.CharField()
    description = serializers.CharField()
    visibility = serializers.ChoiceField(choices=Visibility.choices)
    subscribe_text = serializers.CharField()
    parent = serializers.SlugField(source="parent.code", allow_null=True, default=None)
    member_count = serializers.IntegerField(source="member_count_of_page")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    # Written by PostgreSQL (CustomerSerializer.json_sql_memberships): `member_count` holds
    # the group's id until member_counts_fill puts the page's counts in.
    json_sql_sources = {"member_count": lambda table: f"{table}.{quoted('id')}"}

    def json_sql_parent(self, table):
        parent = UserGroup._meta.get_field("parent").column
        code = (
            f"(SELECT p.{quoted('code')} FROM {quoted(UserGroup._meta.db_table)} p"
            f" WHERE p.{quoted('id')} = {table}.{quoted(parent)})"
        )
        return value_sql(self.fields["parent"], code)


class CustomerMembershipExpandedSerializer(serializers.Serializer):
    group = serializers.SerializerMethodField()
    subscribed = serializers.BooleanField()
    attributes = serializers.JSONField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(CustomerMembershipGroupSerializer)
    def get_group(self, membership):
        membership.group.member_count_of_page = membership.group_member_count
        return self._group_serializer.to_representation(membership.group)

    @cached_property
    def _group_serializer(self):
        # One serializer for every row: building its fields costs more than using them.
        return CustomerMembershipGroupSerializer()

    def json_sql_group(self, table):
        group = object_sql(self._group_serializer, "g", model=UserGroup)
        if group is None:
            return None
        column = UserCustomerGroup._meta.get_field("group").column
        return (
            f"(SELECT {group} FROM {quoted(UserGroup._meta.db_table)} g"
            f" WHERE g.{quoted('id')} = {table}.{quoted(column)})"
        )


def member_counts_fill(memberships_of_rows: list, context: dict) -> None:
    """Put each group's member count (group_member_counts, one query for the page's groups,
    as get_memberships counts them) where the page written by PostgreSQL holds its id."""
    groups = [membership["group"] for row in memberships_of_rows for membership in row or ()]
    request = context.get("request")
    counts = group_member_counts(
        group_ids={group["member_count"] for group in groups},
        user=getattr(request, "user", None),
    )
    for group in groups:
        group["member_count"] = counts[group["member_count"]]


# Output-only fields shown right after the stored field they come from.
_SHOWN_AFTER = {"last_name": ("name",), "status": ("is_active",)}
CUSTOMER_FIELDS = [
    "id",
    "channel",
    "email",
    *(shown for name in CUSTOMER_EDITABLE_FIELDS for shown in (name, *_SHOWN_AFTER.get(name, ()))),
    "groups",
    "addresses",
    *OUTPUT_ONLY_FIELDS,
]
WRITE_ONLY_FIELDS = ["password", "send_email_invite"]


class CustomerSerializer(FastRepresentationMixin, CachedFieldsMixin, serializers.ModelSerializer):
    """A customer. `fields=` keeps a subset; `expand=` adds the expansions at the end.

    Output and documentation only: writes are checked by customers.services (the same
    validator as the upsert, the import and the admin)."""

    channel = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Channel.objects.all(),
        help_text="Channel code; required on create and PUT, and it cannot change.",
    )
    email = serializers.EmailField(
        max_length=EMAIL_LENGTH,
        help_text="Required; stored trimmed and lower-cased; unique per channel.",
    )
    name = serializers.CharField(
        required=False,
        max_length=2 * NAME_LENGTH + 1,
        help_text='"first_name last_name" on read. On write (Nuvemshop) a single name is split '
        "on its first space into first_name and last_name. Sent with them, it must agree, or "
        "be the stored name (an echo: the names win), or they the stored names (name wins).",
    )
    is_active = serializers.BooleanField(read_only=True, help_text="status is active.")
    groups = GroupCodesField(
        required=False,
        help_text="Codes of the customer's groups. Writing replaces the whole set; "
        "an unknown code is a 400 and nothing is written.",
    )
    addresses = CustomerAddressListSerializer(
        child=CustomerAddressSerializer(),
        required=False,
        help_text="On PUT and PATCH, the customer's whole address list: an item with an id "
        "changes that address, one without is added, one left out is deleted ([] deletes "
        "all; absent or null leaves them). On create and upsert, addresses to add unless one "
        "with the same values exists. A customer's first address becomes the default one.",
    )
    default_address = serializers.SerializerMethodField()
    billing_address = serializers.SerializerMethodField()
    last_order_id = serializers.IntegerField(read_only=True, allow_null=True)
    has_password = serializers.BooleanField(read_only=True)
    password = serializers.CharField(
        write_only=True,
        required=False,
        max_length=4096,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Hashed with Django's password hashers; never returned in any form.",
    )
    send_email_invite = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="true: e-mail the customer an invitation with a set-password link that expires.",
    )
    recent_orders = serializers.SerializerMethodField(
        help_text=EXPAND_HELP.format(name="recent_orders")
    )
    recent_addresses = serializers.SerializerMethodField(
        help_text=EXPAND_HELP.format(name="recent_addresses")
    )
    phones = serializers.SerializerMethodField(help_text=EXPAND_HELP.format(name="phones"))
    memberships = serializers.SerializerMethodField(
        help_text=EXPAND_HELP.format(name="memberships")
    )

    class Meta:
        model = Customer
        fields = [*CUSTOMER_FIELDS, *WRITE_ONLY_FIELDS, *EXPANSIONS]
        read_only_fields = [
            "id",
            *CUSTOMER_STATS_COLUMNS,
            "last_login_at",
            "created_at",
            "updated_at",
            "version",
        ]
        # Writes are checked by customers.services: no validators of its own.
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        view = self.context.get("view")
        if request is None or getattr(view, "swagger_fake_view", False):
            return  # building the schema: document every field
        expand = set(self.context.get("expand", ()))
        for name in set(EXPANSIONS) - expand:
            self.fields.pop(name)
        if request.method == "GET":
            self._keep_only(requested_fields(request), expand)

    def _keep_only(self, wanted, expand):
        if wanted is None:
            return
        unknown = wanted - set(CUSTOMER_FIELDS) - expand
        if unknown:
            message = UNKNOWN_FIELDS.format(fields=", ".join(sorted(unknown)))
            raise exceptions.ValidationError({"fields": [message]})
        for name in set(CUSTOMER_FIELDS) - wanted:
            self.fields.pop(name, None)

    # How PostgreSQL writes the fields that read no column of their own, for list pages
    # written by the database (config.json_rows; tests/perf/test_fast_path_bytes.py proves
    # them equal to the Python above): the values the fields' rules format…
    json_sql_sources = {
        "name": lambda table: python_strip_sql(
            f"{table}.{quoted('first_name')} || ' ' || {table}.{quoted('last_name')}"
        ),
        "is_active": lambda table: f"({table}.{quoted('status')} = '{Customer.Status.ACTIVE}')",
        "has_password": lambda table: (
            f"({table}.{quoted('password')} <> '' AND left({table}.{quoted('password')}, 1) <> '!')"
        ),
    }

    # … and the whole JSON of the relations.
    def json_sql_groups(self, table):
        child = self.fields["groups"].child
        return customer_group_codes_json_sql(table, lambda code: value_sql(child, code))

    def json_sql_addresses(self, table):
        return self._addresses_json_sql(table)

    def json_sql_default_address(self, table):
        return self._addresses_json_sql(table, flag="is_default")

    def json_sql_billing_address(self, table):
        return self._addresses_json_sql(table, flag="is_billing")

    # The flagged addresses that follow the list (CUSTOMER_FIELDS' order): written with it.
    _ADDRESS_FLAGS = {"default_address": "is_default", "billing_address": "is_billing"}

    def json_sql_run_addresses(self, table, following):
        """The addresses and the default and billing ones after them, from one read."""
        taken = list(itertools.takewhile(self._ADDRESS_FLAGS.__contains__, following))
        address = object_sql(self._address_serializer, "r")
        if not taken or address is None:
            return None
        flagged = [(field_key_sql(name, first=False), self._ADDRESS_FLAGS[name]) for name in taken]
        return customer_addresses_json_run_sql(table, address, flagged), taken

    def _addresses_json_sql(self, table, flag=""):
        address = object_sql(self._address_serializer, "r")
        return None if address is None else customer_addresses_json_sql(table, address, flag=flag)

    # The expansions, each from one subquery per row; the memberships' member counts are
    # put in by one query per page (member_counts_fill), as get_memberships counts them.
    def json_sql_recent_orders(self, table):
        order = object_sql(self._recent_orders_serializer.child, "o", model=Order)
        return None if order is None else customer_recent_orders_json_sql(table, order)

    def json_sql_recent_addresses(self, table):
        return customer_recent_addresses_json_sql(table)

    def json_sql_phones(self, table):
        return customer_phones_json_sql(table)

    def json_sql_memberships(self, table):
        memberships = self._memberships_serializer.child
        membership = reparsed_object_sql(memberships, "r", model=UserCustomerGroup)
        if membership is None:
            return None
        sql = customer_memberships_json_sql(table, membership)
        return JsonColumn(sql, fill=member_counts_fill)

    @extend_schema_field(CustomerAddressSerializer(allow_null=True))
    def get_default_address(self, customer):
        return self._address_flagged(customer, "is_default")

    @extend_schema_field(CustomerAddressSerializer(allow_null=True))
    def get_billing_address(self, customer):
        return self._address_flagged(customer, "is_billing")

    def _address_flagged(self, customer, flag):
        for address in customer_addresses(customer):
            if getattr(address, flag):
                return self.address_representation(address)
        return None

    def to_representation(self, instance):
        self._addresses_represented = {}
        try:
            return super().to_representation(instance)
        finally:
            self._addresses_represented = None

    def address_representation(self, address):
        """CustomerAddressSerializer's representation of one of this row's addresses, built
        once per row: `addresses`, `default_address` and `billing_address` share it."""
        represented = getattr(self, "_addresses_represented", None)
        if represented is None:  # outside to_representation
            return self._address_serializer.to_representation(address)
        # Keyed by identity, the address kept beside its representation so that its id is
        # not reused by another object while the row is represented.
        kept = represented.get(id(address))
        if kept is None or kept[0] is not address:
            representation = self._address_serializer.to_representation(address)
            kept = represented[id(address)] = (address, representation)
        return kept[1]

    # One nested serializer per page, not per row: a ModelSerializer builds its fields on
    # first use, which costs far more than representing one row.
    @cached_property
    def _address_serializer(self):
        return CustomerAddressSerializer()

    @cached_property
    def _recent_orders_serializer(self):
        return CustomerRecentOrderSerializer(many=True)

    @cached_property
    def _memberships_serializer(self):
        return CustomerMembershipExpandedSerializer(many=True)

    @extend_schema_field(CustomerRecentOrderSerializer(many=True))
    def get_recent_orders(self, customer):
        return self._recent_orders_serializer.to_representation(customer_recent_orders(customer))

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_recent_addresses(self, customer):
        return customer_recent_addresses(customer)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_phones(self, customer):
        return customer_phones(customer)

    @extend_schema_field(CustomerMembershipExpandedSerializer(many=True))
    def get_memberships(self, customer):
        memberships = sorted(customer_memberships(customer), key=lambda m: m.group.code)
        counts = self._group_member_counts
        if any(membership.group_id not in counts for membership in memberships):
            counts.update(
                group_member_counts(
                    group_ids=self._page_group_ids(customer),
                    user=getattr(self.context.get("request"), "user", None),
                )
            )
        for membership in memberships:
            membership.group_member_count = counts[membership.group_id]
        return self._memberships_serializer.to_representation(memberships)

    @cached_property
    def _group_member_counts(self) -> dict[int, int]:
        return {}

    def _page_group_ids(self, customer) -> set[int]:
        """The groups of every customer on the page (a list) or of this one customer."""
        page = getattr(self.parent, "instance", None)
        customers = page if isinstance(page, list) and customer in page else [customer]
        return {m.group_id for each in customers for m in customer_memberships(each)}


def expand_parse(raw: str | None) -> set[str]:
    """Return the expansions asked for in `expand=`; raise a 400 naming unknown ones."""
    names = {name.strip() for name in (raw or "").split(",") if name.strip()}
    unknown = names - set(EXPANSIONS)
    if unknown:
        message = UNKNOWN_EXPAND.format(
            names=", ".join(sorted(unknown)), allowed=", ".join(EXPANSIONS)
        )
        raise exceptions.ValidationError({"expand": [message]})
    return names


class CustomerUpsertResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    created = serializers.BooleanField()


class CustomerUpsertOutputSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Customers created.")
    updated = serializers.IntegerField(help_text="Customers updated.")
    results = CustomerUpsertResultSerializer(many=True, help_text="One per item, in order.")


class CustomerAuthenticateInputSerializer(serializers.Serializer):
    channel = serializers.SlugField(max_length=CODE_LENGTH, help_text="Channel code.")
    email = serializers.CharField(max_length=EMAIL_LENGTH)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )


class CustomerDetailMessageSerializer(serializers.Serializer):
    detail = serializers.CharField()
