"""Kibo OMS shapes: its camelCase names over Patron's customers and custom order data.

Output serializers read what the selectors return; the input serializer only checks types
(a number is a whole number, a name is text): lengths, ranges and the name rule are
orders.services' checks, answered in Kibo's names by the views.
"""

import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.rest import StrictInputMixin
from customers.models import Customer
from customers.selectors import (
    customer_phones,
    customer_recent_addresses,
    customer_recent_orders,
)

# Patron's status ↔ Kibo's account activity flag.
KIBO_ACTIVE = {status: status.upper() for status in Customer.Status.values}
# The seed's masked password: Patron never returns a password or its hash in any form.
MASKED_PASSWORD = "*****"
CUSTOM_DATA_BLOCK = "customData"


class KiboDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UTC with a numeric offset and whole seconds: 2016-10-16T16:13:00+00:00."""

    def to_representation(self, value):
        if value is None:
            return None
        return value.astimezone(datetime.UTC).isoformat(timespec="seconds")


class KiboCustomDataEntrySerializer(serializers.Serializer):
    """One key of the customer's `attributes`."""

    name = serializers.CharField()
    value = serializers.JSONField()


class _CustomDataBlockMixin(serializers.Serializer):
    """`customData` is only there when the customer has custom data (Patron's `attributes`)."""

    customData = serializers.SerializerMethodField(
        help_text="The customer's attributes as name/value pairs, by name; absent when it has none."
    )

    @extend_schema_field(KiboCustomDataEntrySerializer(many=True))
    def get_customData(self, customer):
        attributes = customer.attributes or {}
        # By name: jsonb keeps no key order, so both databases answer alike.
        return [{"name": name, "value": value} for name, value in sorted(attributes.items())]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not data.get(CUSTOM_DATA_BLOCK):
            data.pop(CUSTOM_DATA_BLOCK, None)
        return data


def _active(customer) -> str:
    return KIBO_ACTIVE[customer.status]


_ACTIVE_SCHEMA = {"type": "string", "enum": list(KIBO_ACTIVE.values())}


class KiboCustomerSerializer(_CustomDataBlockMixin):
    """Kibo's basic customer record (GET /customer/{customerID})."""

    customerID = serializers.CharField(source="pk")
    firstName = serializers.CharField(source="first_name")
    lastName = serializers.CharField(source="last_name")
    email = serializers.EmailField()
    password = serializers.SerializerMethodField(
        help_text=f'"{MASKED_PASSWORD}" when the customer has a password, else "".'
    )
    phone1 = serializers.CharField(source="phone")
    active = serializers.SerializerMethodField()

    def get_password(self, customer) -> str:
        return MASKED_PASSWORD if customer.has_password else ""

    @extend_schema_field(_ACTIVE_SCHEMA)
    def get_active(self, customer):
        return _active(customer)


class KiboCustomerSearchSerializer(_CustomDataBlockMixin):
    """A customer of a search (/customer/?customerID=...): the record plus its activity."""

    active = serializers.SerializerMethodField()
    customerID = serializers.CharField(source="pk")
    email = serializers.EmailField()
    firstName = serializers.CharField(source="first_name")
    firstPurchase = KiboDateTimeField(source="first_order_at", allow_null=True)
    lastName = serializers.CharField(source="last_name")
    lastLogin = KiboDateTimeField(source="last_login_at", allow_null=True)
    lastPurchase = KiboDateTimeField(source="last_order_at", allow_null=True)
    phones = serializers.SerializerMethodField()
    recentAddresses = serializers.SerializerMethodField()
    recentOrders = serializers.SerializerMethodField()
    totalOrders = serializers.IntegerField(source="orders_count")

    @extend_schema_field(_ACTIVE_SCHEMA)
    def get_active(self, customer):
        return _active(customer)

    def get_phones(self, customer) -> list[str]:
        return customer_phones(customer)

    def get_recentAddresses(self, customer) -> list[str]:
        return customer_recent_addresses(customer)

    def get_recentOrders(self, customer) -> list[int]:
        return [order.pk for order in customer_recent_orders(customer)]


class KiboCustomerCollectionSerializer(serializers.Serializer):
    collection = KiboCustomerSearchSerializer(many=True)


class KiboOrderCustomDataSerializer(serializers.Serializer):
    """Kibo's custom order data record."""

    orderCustomDataID = serializers.IntegerField(source="pk")
    orderID = serializers.IntegerField(source="order_id")
    manufacturerID = serializers.IntegerField(source="manufacturer_number", allow_null=True)
    catalogID = serializers.IntegerField(source="catalog_number", allow_null=True)
    name = serializers.CharField()
    value = serializers.CharField()


class KiboOrderItemCustomDataSerializer(KiboOrderCustomDataSerializer):
    """Kibo's custom order item data record: the order's record plus the item's id."""

    itemID = serializers.IntegerField(source="item_id")


class KiboOrderCustomDataCollectionSerializer(serializers.Serializer):
    collection = KiboOrderCustomDataSerializer(many=True)


class KiboOrderItemCustomDataCollectionSerializer(serializers.Serializer):
    collection = KiboOrderItemCustomDataSerializer(many=True)


class KiboOrderCustomDataInputSerializer(StrictInputMixin, serializers.Serializer):
    """A record as POSTed or PUT: `name` and `value` required (1..100 and 1..1000 characters,
    checked by orders.services); the ids, when sent, must be the path's."""

    orderCustomDataID = serializers.IntegerField(required=False)
    orderID = serializers.IntegerField(required=False)
    manufacturerID = serializers.IntegerField(
        source="manufacturer_number",
        required=False,
        allow_null=True,
        help_text="From 1; kept as stored when left out of a PUT.",
    )
    catalogID = serializers.IntegerField(
        source="catalog_number",
        required=False,
        allow_null=True,
        help_text="From 0; kept as stored when left out of a PUT.",
    )
    name = serializers.CharField(
        trim_whitespace=False, allow_blank=True, help_text="1 to 100 characters."
    )
    value = serializers.CharField(
        trim_whitespace=False, allow_blank=True, help_text="1 to 1000 characters."
    )


class KiboOrderItemCustomDataInputSerializer(KiboOrderCustomDataInputSerializer):
    itemID = serializers.IntegerField(required=False)
