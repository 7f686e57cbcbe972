from rest_framework import serializers

from config.rest import SparseFieldsMixin
from customers.models import Channel
from customers.validation import CURRENCY_CODES, INVALID_CURRENCY

CODE_IMMUTABLE = "The code of a channel cannot change."


class ChannelSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["code", "name", "currency", "is_active", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def validate_code(self, value):
        if self.instance is not None and value != self.instance.code:
            raise serializers.ValidationError(CODE_IMMUTABLE)
        return value

    def validate_currency(self, value):
        value = value.strip().upper()
        if value not in CURRENCY_CODES:
            raise serializers.ValidationError(INVALID_CURRENCY)
        return value
