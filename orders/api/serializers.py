"""Request and response shapes of orders and their custom data."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.json_rows import object_sql, quoted, value_sql
from config.rest import (
    CachedFieldsMixin,
    FastRepresentationMixin,
    SparseFieldsMixin,
    StrictInputMixin,
)
from customers.models import ADDRESS_TEXT_FIELDS, Address, Channel
from orders.models import ORDER_FIELDS, Order, OrderCustomData, OrderItem, OrderStatus
from orders.selectors import (
    order_custom_data_json_sql,
    order_items_json_sql,
    order_snapshot_json_sql,
)

ADDRESS_FIELDS = ADDRESS_TEXT_FIELDS


def _money(**kwargs):
    return serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, **kwargs)


class OrderCustomDataSerializer(
    FastRepresentationMixin,
    CachedFieldsMixin,
    SparseFieldsMixin,
    StrictInputMixin,
    serializers.ModelSerializer,
):
    """Kibo's custom order data record: `order` and `item` (null on the order level) are read."""

    order = serializers.IntegerField(source="order_id", read_only=True)
    item = serializers.IntegerField(source="item_id", read_only=True, allow_null=True)
    name = serializers.CharField(min_length=1, max_length=100, trim_whitespace=False)
    value = serializers.CharField(min_length=1, max_length=1000, trim_whitespace=False)

    class Meta:
        model = OrderCustomData
        fields = ["id", "order", "item", "name", "value", "created_at", "updated_at", "version"]
        read_only_fields = ["id", "created_at", "updated_at", "version"]
        validators = []  # the services answer a taken name with a 400 naming `name`


class OrderAddressSnapshotSerializer(serializers.Serializer):
    """The address of an order as it was when the order was placed."""

    # The text fields of a customer's address (ADDRESS_TEXT_FIELDS), each optional.
    def get_fields(self):
        return {
            name: serializers.CharField(
                required=False,
                allow_blank=True,
                max_length=Address._meta.get_field(name).max_length,
            )
            for name in ADDRESS_TEXT_FIELDS
        }


class OrderItemInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, help_text="Keep (and change) this item.")
    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    # No defaults here: a kept item keeps what is not sent; a new one gets 1 and 0.00.
    # The column is a PositiveIntegerField: 32 bits on PostgreSQL.
    quantity = serializers.IntegerField(min_value=1, max_value=2_147_483_647, required=False)
    unit_price = _money(required=False)


class OrderItemOutputSerializer(
    FastRepresentationMixin, CachedFieldsMixin, serializers.ModelSerializer
):
    custom_data = OrderCustomDataSerializer(many=True, read_only=True)

    class Meta:
        model = OrderItem
        fields = ["id", "sku", "name", "quantity", "unit_price", "custom_data"]

    # Written by PostgreSQL (config.json_rows), as OrderOutputSerializer's relations.
    def json_sql_custom_data(self, table):
        record = object_sql(self.fields["custom_data"].child, "d")
        return None if record is None else order_custom_data_json_sql(table, record, of_item=True)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "description": "The id of a customer of the order's channel."},
            {
                "type": "object",
                "description": "A buyer to create or update in the order's channel, by "
                "e-mail: any customer object, with the checks of /customers/upsert/.",
                "properties": {
                    "email": {"type": "string", "format": "email"},
                    "first_name": {"type": "string"},
                    "last_name": {"type": "string"},
                    "phone": {"type": "string"},
                },
                "required": ["email"],
                "additionalProperties": True,
            },
        ]
    }
)
class OrderCustomerField(serializers.Field):
    """`customer`: an id, or a customer object (checked by orders.validation and the
    customer services when the order is written; documented here only)."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value.pk


class OrderOutputSerializer(
    FastRepresentationMixin, CachedFieldsMixin, SparseFieldsMixin, serializers.ModelSerializer
):
    channel = serializers.SlugRelatedField(slug_field="code", read_only=True)
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    shipping_address = OrderAddressSnapshotSerializer(read_only=True, allow_null=True)
    billing_address = OrderAddressSnapshotSerializer(read_only=True, allow_null=True)
    items = OrderItemOutputSerializer(many=True, read_only=True)
    custom_data = OrderCustomDataSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            *ORDER_FIELDS,
            "items",
            "custom_data",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields

    # How PostgreSQL writes the relations and the address snapshots, for list pages and
    # details written by the database (config.json_rows; tests/perf/test_fast_path_bytes.py
    # proves them equal to the serializers above).
    def json_sql_shipping_address(self, table):
        return self._snapshot_sql(table, "shipping_address")

    def json_sql_billing_address(self, table):
        return self._snapshot_sql(table, "billing_address")

    def _snapshot_sql(self, table, name):
        rules = {}
        for key, field in self.fields[name].fields.items():
            if value_sql(field, "''") is None:
                return None
            rules[key] = lambda expression, field=field: value_sql(field, expression)
        column = f"{table}.{quoted(Order._meta.get_field(name).column)}"
        return order_snapshot_json_sql(column, rules)

    def json_sql_items(self, table):
        item = object_sql(self.fields["items"].child, "i")
        return None if item is None else order_items_json_sql(table, item)

    def json_sql_custom_data(self, table):
        record = object_sql(self.fields["custom_data"].child, "d")
        return None if record is None else order_custom_data_json_sql(table, record, of_item=False)


class OrderInputSerializer(serializers.Serializer):
    """An order as written, for the schema; answered with OrderOutputSerializer.

    Shape only: the view passes the body to orders.services.order_write, whose one check
    (orders.validation.order_input_clean) the import and the admin share.
    """

    channel = serializers.SlugRelatedField(slug_field="code", queryset=Channel.objects.none())
    number = serializers.CharField(max_length=64)
    customer = OrderCustomerField()
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    currency = serializers.CharField(
        required=False, help_text="ISO 4217; defaults to the channel's currency."
    )
    subtotal = _money(required=False, help_text="Defaults to the sum of the items.")
    shipping_total = _money(required=False)
    tax_total = _money(required=False)
    discount_total = _money(required=False)
    total = _money(required=False, help_text="Defaults to subtotal + shipping + tax - discount.")
    placed_at = serializers.DateTimeField(required=False)
    shipping_address = OrderAddressSnapshotSerializer(required=False, allow_null=True)
    billing_address = OrderAddressSnapshotSerializer(required=False, allow_null=True)
    items = OrderItemInputSerializer(many=True, required=False)
