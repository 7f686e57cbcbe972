"""Omnitron's customer representation (output and documentation; writes go through
compat.omnitron.writes, which translates the body for customers.services)."""

from rest_framework import serializers

from compat.omnitron.names import CUSTOMER_FIELDS
from customers.models import CODE_LENGTH, EMAIL_LENGTH, NAME_LENGTH, PHONE_LENGTH, Customer


class OmnitronCustomerSerializer(serializers.ModelSerializer):
    """A customer under Omnitron's names: `pk`, `phone_number`, `channel` as the channel's id,
    `created_date` and `modified_date`."""

    pk = serializers.IntegerField(source="id", read_only=True, help_text="The customer's id.")
    email = serializers.EmailField(
        max_length=EMAIL_LENGTH, help_text="Required; stored trimmed and lower-cased."
    )
    phone_number = serializers.CharField(
        source="phone", max_length=PHONE_LENGTH, required=False, allow_blank=True
    )
    is_active = serializers.BooleanField(
        required=False,
        help_text="true: the customer's status is active. Writing false makes an active "
        "customer inactive; a frozen one stays frozen.",
    )
    channel = serializers.IntegerField(
        source="channel_id",
        min_value=1,
        help_text="The channel's id; required on create and PUT, and it cannot change.",
    )
    channel_code = serializers.CharField(max_length=CODE_LENGTH, required=False, allow_blank=True)
    erp_code = serializers.CharField(max_length=CODE_LENGTH, required=False, allow_blank=True)
    attributes = serializers.JSONField(required=False, help_text="A JSON object.")
    extra_field = serializers.JSONField(required=False, help_text="A JSON object.")
    created_date = serializers.DateTimeField(source="created_at", read_only=True)
    modified_date = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = Customer
        fields = list(CUSTOMER_FIELDS)
        extra_kwargs = {
            "first_name": {"max_length": NAME_LENGTH},
            "last_name": {"max_length": NAME_LENGTH},
        }
        validators = []
