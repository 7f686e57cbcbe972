"""Request and response shapes of /api/v1/webhooks/ (subscriptions, deliveries, attempts)."""

from rest_framework import serializers

from config.rest import SparseFieldsMixin, StrictInputMixin
from webhooks.models import (
    EVENT_TYPE_MAX_LENGTH,
    URL_MAX_LENGTH,
    Delivery,
    DeliveryAttempt,
    Subscription,
)

MAX_EVENT_TYPES = 100


class WebhookSubscriptionOutputSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    """A subscription as read: the secret is never shown, only its first characters."""

    channels = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    event_types = serializers.ListField(child=serializers.CharField())
    secret_hint = serializers.CharField(
        read_only=True, help_text="The secret's first characters, to recognise it by."
    )

    class Meta:
        model = Subscription
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "channels",
            "is_active",
            "secret_hint",
            "failing_since",
            "disabled_at",
            "disabled_reason",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookSubscriptionSecretOutputSerializer(WebhookSubscriptionOutputSerializer):
    """A subscription as created (or with a rotated secret): the one answer that holds it."""

    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (`whsec_…`), shown in this answer only: keep it now.",
    )

    class Meta(WebhookSubscriptionOutputSerializer.Meta):
        fields = [*WebhookSubscriptionOutputSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookSubscriptionInputSerializer(StrictInputMixin, serializers.Serializer):
    """A subscription as written. `channels` are codes of channels the caller may see."""

    echoes = WebhookSubscriptionSecretOutputSerializer

    url = serializers.CharField(max_length=URL_MAX_LENGTH, help_text="http(s) URL to POST to.")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=EVENT_TYPE_MAX_LENGTH),
        max_length=MAX_EVENT_TYPES,
        required=False,
        help_text="Event types (`customer.updated`), families (`customer.*`) or `*` (the default).",
    )
    channels = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        required=False,
        queryset=Subscription.channels.field.related_model.objects.none(),
        help_text="Channel codes; empty: every channel you may see.",
    )
    is_active = serializers.BooleanField(required=False)

    def __init__(self, *args, channels=None, **kwargs):
        super().__init__(*args, **kwargs)
        if channels is not None:
            self.fields["channels"].child_relation.queryset = channels


class WebhookAttemptOutputSerializer(serializers.ModelSerializer):
    """One attempt of a delivery, as logged."""

    class Meta:
        model = DeliveryAttempt
        fields = [
            "id",
            "started_at",
            "status_code",
            "error",
            "succeeded",
            "latency_ms",
            "response_excerpt",
            "request_headers",
            "manual",
        ]
        read_only_fields = fields


class WebhookDeliveryOutputSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    """One event for one subscription, with every attempt made."""

    attempt_count = serializers.IntegerField(source="attempts", read_only=True)
    attempts = WebhookAttemptOutputSerializer(source="attempt_log", many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempt_count",
            "next_attempt_at",
            "payload",
            "attempts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
