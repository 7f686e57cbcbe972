from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.rest import SparseFieldsMixin, StrictInputMixin
from customers.models import CODE_LENGTH, Customer
from groups.models import UserCustomerGroup, UserGroup

NOT_AN_OBJECT = _("Must be a JSON object.")


class GroupOutputSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = UserGroup
        fields = [
            "code",
            "title",
            "description",
            "visibility",
            "subscribe_text",
            "parent",
            "member_count",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields


class GroupInputSerializer(StrictInputMixin, serializers.ModelSerializer):
    echoes = GroupOutputSerializer
    # A plain code: in a list POST the parent may be a group created earlier in the same list,
    # so the service, not this field, resolves it.
    parent = serializers.SlugField(max_length=CODE_LENGTH, allow_null=True, required=False)

    class Meta:
        model = UserGroup
        fields = ["code", "title", "description", "visibility", "subscribe_text", "parent"]


class GroupMemberSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    """A member customer as the group's member list shows it, with its per-group opt-in."""

    channel = serializers.SlugRelatedField(slug_field="code", read_only=True)
    subscribed = serializers.BooleanField(read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "channel", "email", "first_name", "last_name", "subscribed", "version"]
        read_only_fields = fields


class MembershipOutputSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    group = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = UserCustomerGroup
        fields = ["group", "subscribed", "attributes", "created_at", "updated_at", "version"]
        read_only_fields = fields


def _json_object(value):
    if not isinstance(value, dict):
        raise serializers.ValidationError(NOT_AN_OBJECT)
    return value


class MembershipCreateInputSerializer(StrictInputMixin, serializers.Serializer):
    echoes = MembershipOutputSerializer
    group = serializers.SlugField(max_length=CODE_LENGTH)
    subscribed = serializers.BooleanField(default=True)
    attributes = serializers.JSONField(default=dict, validators=[_json_object])


class MembershipUpdateInputSerializer(StrictInputMixin, serializers.Serializer):
    echoes = MembershipOutputSerializer
    group = serializers.SlugField(max_length=CODE_LENGTH, required=False)
    subscribed = serializers.BooleanField(required=False)
    attributes = serializers.JSONField(required=False, validators=[_json_object])
