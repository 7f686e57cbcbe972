from rest_framework import serializers

from config.rest import StrictInputMixin
from config.values import INT64_MAX
from merges.models import Merge
from merges.services import CHOOSABLE_FIELDS, MERGE_MAX

FIELDS_HELP = (
    "{field name: customer id}: the kept customer takes that customer's value (one of `keep` "
    "and `merge`). Fields: " + ", ".join(CHOOSABLE_FIELDS) + ". Consent is always the most "
    "restrictive; attributes and extra_field are merged key by key, the chosen (else the kept) "
    "customer's keys winning."
)


class CustomerMergeInputSerializer(StrictInputMixin, serializers.Serializer):
    keep = serializers.IntegerField(
        min_value=1, max_value=INT64_MAX, help_text="The customer that stays."
    )
    merge = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=INT64_MAX),
        min_length=1,
        max_length=MERGE_MAX,
        help_text="The customers merged into it (same channel).",
    )
    fields = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=INT64_MAX),
        required=False,
        help_text=FIELDS_HELP,
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Answer the result and what moves; write nothing."
    )


class MergeMovesSerializer(serializers.Serializer):
    orders = serializers.DictField(help_text="{count, ids}: the merged customers' orders.")
    addresses = serializers.DictField(
        help_text="{moved: [ids], deduplicated: [ids deleted: same address as one kept]}."
    )
    memberships = serializers.DictField(
        help_text="{moved, folded (same group as the kept customer's), subscribed (kept "
        "customer's memberships now subscribed)}."
    )
    custom_data = serializers.DictField(
        help_text="{attributes: [keys added], extra_field: [keys added]}."
    )
    fields = serializers.ListField(
        child=serializers.CharField(), help_text="The kept customer's fields that change."
    )


class MergeOutputSerializer(serializers.ModelSerializer):
    channel = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kept = serializers.IntegerField(source="kept_id", read_only=True)
    merged = serializers.ListField(source="merged_ids", child=serializers.IntegerField())
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    undone_by = serializers.IntegerField(source="undone_by_id", allow_null=True)
    kept_changes = serializers.ListField(
        child=serializers.CharField(),
        help_text="After an undo: the kept customer's fields changed since the merge, kept.",
    )

    class Meta:
        model = Merge
        fields = [
            "id",
            "channel",
            "kept",
            "merged",
            "fields",
            "created_at",
            "created_by",
            "undone_at",
            "undone_by",
            "kept_changes",
        ]
        read_only_fields = fields
