"""Request and response shapes of the duplicate candidates and dismissals."""

from rest_framework import serializers

from config.values import INT64_MAX
from duplicates.selectors import REASONS


class DuplicateCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class DuplicatePairOutputSerializer(serializers.Serializer):
    channel = serializers.CharField(help_text="Channel code of both customers.")
    customers = DuplicateCustomerSerializer(
        many=True, help_text="The two customers, lower id first."
    )
    score = serializers.IntegerField(
        help_text="Sum of the reasons' weights: same_email 35, same_identification 30, "
        "same_phone 20, similar_name_same_address 15."
    )
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=REASONS))


class DuplicateDismissalInputSerializer(serializers.Serializer):
    customers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=INT64_MAX),
        min_length=2,
        max_length=2,
        help_text="The ids of the two customers that are not the same person.",
    )


class DuplicateDismissalOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customers = serializers.SerializerMethodField()
    dismissed_by = serializers.CharField(
        source="dismissed_by.username", allow_null=True, default=None
    )
    created_at = serializers.DateTimeField()
    version = serializers.IntegerField()

    def get_customers(self, dismissal) -> list[int]:
        return [dismissal.customer_low_id, dismissal.customer_high_id]
