"""The seed's customer representation, read from Patron's customer (output and documentation).

Writes do not go through these serializers: the body is checked by the customers' validator
(see mapping.py); here each field says where its value comes from, which is the mapping table.
"""

from django.utils import timezone
from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from compat.nuvemshop.mapping import BILLING_FIELDS
from customers.selectors import customer_addresses


class NuvemshopTextField(serializers.CharField):
    """Patron's blank text ("") is Nuvemshop's null, as the seed shows it; null means blank
    on write."""

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_null=True, allow_blank=True, **kwargs)

    def to_representation(self, value):
        return value or None


class NuvemshopDateTimeField(serializers.DateTimeField):
    """ISO 8601 to the second with the offset, as the seed prints it: 2013-01-03T09:11:51-03:00
    (in Patron's time zone, TIME_ZONE)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return timezone.localtime(value).isoformat(timespec="seconds")


class NuvemshopAddressSerializer(serializers.Serializer):
    address = NuvemshopTextField(help_text="Street.")
    city = NuvemshopTextField()
    country = NuvemshopTextField(max_length=2, help_text="ISO 3166-1 alpha-2 code.")
    created_at = NuvemshopDateTimeField()
    default = serializers.BooleanField(
        source="is_default",
        required=False,
        help_text="The default (shipping) address (Patron's is_default); one per customer.",
    )
    floor = NuvemshopTextField()
    id = serializers.IntegerField(
        read_only=True, help_text="On PUT, an address with its id changes that address."
    )
    locality = NuvemshopTextField()
    number = NuvemshopTextField()
    phone = NuvemshopTextField()
    province = NuvemshopTextField()
    updated_at = NuvemshopDateTimeField()
    zipcode = NuvemshopTextField()


def billing_address(customer):
    """The customer's billing address (Patron's is_billing), or None."""
    for address in customer_addresses(customer):
        if address.is_billing:
            return address
    return None


class NuvemshopBillingField(NuvemshopTextField):
    """One field of the billing address, flat on the customer (`billing_city` → city)."""

    def __init__(self, part: str, **kwargs):
        self.part = part
        super().__init__(help_text=f"The billing address's {part}.", **kwargs)

    def get_attribute(self, instance):
        address = billing_address(instance)
        return getattr(address, self.part) if address is not None else None


class NuvemshopAddressListSerializer(serializers.ListSerializer):
    """The customer's addresses, the default one first, then by id."""

    def get_attribute(self, instance):
        return sorted(customer_addresses(instance), key=lambda a: (not a.is_default, a.pk))


class NuvemshopCustomerSerializer(serializers.Serializer):
    """A customer as Nuvemshop represents it (the seed's field order)."""

    created_at = NuvemshopDateTimeField()
    email = serializers.EmailField(
        required=False, help_text="Required on create; stored trimmed and lower-cased."
    )
    id = serializers.IntegerField(read_only=True)
    identification = NuvemshopTextField(help_text="Tax id (CPF/CNPJ in Brazil).")
    last_order_id = serializers.IntegerField(read_only=True, allow_null=True)
    name = NuvemshopTextField(help_text='"first_name last_name"; split on its first space.')
    note = NuvemshopTextField(help_text="The store's notes about the customer.")
    phone = NuvemshopTextField()
    total_spent = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True)
    total_spent_currency = serializers.SerializerMethodField(help_text="ISO 4217.")
    updated_at = NuvemshopDateTimeField()
    extra = serializers.JSONField(
        source="extra_field", required=False, help_text="A JSON object (Patron's extra_field)."
    )
    default_address = serializers.SerializerMethodField()
    addresses = NuvemshopAddressListSerializer(
        child=NuvemshopAddressSerializer(),
        required=False,
        help_text="On PUT the whole list: an item with an id changes that address, one "
        "without is added, one left out is deleted.",
    )
    active = serializers.SerializerMethodField(
        help_text="true when the customer has activated the account: it has a password "
        "and its status is active."
    )
    send_email_invite = serializers.BooleanField(
        write_only=True,
        required=False,
        help_text="true: e-mail the customer an invitation with a set-password link.",
    )
    password = serializers.CharField(
        write_only=True,
        required=False,
        style={"input_type": "password"},
        help_text="Hashed; never returned.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # `fields=`: the others are not computed (nor their addresses queried).
        wanted = self.context.get("fields")
        if wanted is not None:
            for name in set(self.fields) - wanted:
                self.fields.pop(name)

    def get_fields(self):
        fields = super().get_fields()
        billing = {name: NuvemshopBillingField(part) for name, part in BILLING_FIELDS.items()}
        # After updated_at, as the seed shows them.
        names = list(fields)
        at = names.index("updated_at") + 1
        order = [*names[:at], *billing, *names[at:]]
        return {name: {**fields, **billing}[name] for name in order}

    def get_total_spent_currency(self, customer) -> str:
        return customer.total_spent_currency or customer.channel.currency

    @extend_schema_field(NuvemshopAddressSerializer(allow_null=True))
    def get_default_address(self, customer):
        for address in customer_addresses(customer):
            if address.is_default:
                return self._address_serializer.to_representation(address)
        return None

    @cached_property
    def _address_serializer(self):
        # One per page, not per row: a serializer builds its fields on first use.
        return NuvemshopAddressSerializer()

    def get_active(self, customer) -> bool:
        return customer.has_password and customer.is_active
