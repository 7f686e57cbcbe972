"""/api/v1/webhooks/: subscriptions, their delivery log, redelivery and a ping."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.etags import ConditionalMixin
from config.query_params import StrictQueryParamsMixin
from customers.selectors import channel_list, user_is_channel_scoped
from idempotency.api import IdempotentWritesMixin
from webhooks.api.serializers import (
    WebhookDeliveryOutputSerializer,
    WebhookSubscriptionInputSerializer,
    WebhookSubscriptionOutputSerializer,
    WebhookSubscriptionSecretOutputSerializer,
)
from webhooks.models import Delivery, Subscription
from webhooks.selectors import delivery_list, subscription_list
from webhooks.services import (
    delivery_redeliver,
    subscription_create,
    subscription_delete,
    subscription_ping,
    subscription_secret_rotate,
    subscription_update,
)

TAG = "Webhooks"
SUBSCRIPTION_DISABLED = _("This subscription is disabled: enable it (is_active) to redeliver.")


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class ChannelScopeMixin:
    """The channels the request's user may see: None when every channel (not restricted)."""

    def visible_channels(self):
        if not hasattr(self, "_visible_channels"):
            user = self.request.user
            scoped = user.is_authenticated and user_is_channel_scoped(user)
            self._visible_channels = channel_list(user=user) if scoped else None
        return self._visible_channels

    def subscriptions(self):
        if not self.request.user.is_authenticated:
            return Subscription.objects.none()
        return subscription_list(channels=self.visible_channels())


@extend_schema_view(
    list=extend_schema(tags=[TAG]),
    retrieve=extend_schema(tags=[TAG]),
    destroy=extend_schema(tags=[TAG]),
)
class WebhookViewSet(
    IdempotentWritesMixin,
    ConditionalMixin,
    ChannelScopeMixin,
    StrictQueryParamsMixin,
    viewsets.ModelViewSet,
):
    """Webhook subscriptions: events of the chosen types and channels are POSTed to `url`,
    signed per Standard Webhooks with the subscription's secret (shown once, on creation)."""

    queryset = Subscription.objects.none()  # for the schema; requests use get_queryset()
    ordering_fields = ["id", "url", "created_at", "updated_at"]
    ordering = ["id"]

    def get_queryset(self):
        return self.subscriptions()

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return WebhookSubscriptionInputSerializer
        return WebhookSubscriptionOutputSerializer

    def get_serializer(self, *args, **kwargs):
        if self.get_serializer_class() is WebhookSubscriptionInputSerializer:
            kwargs.setdefault("channels", self._channels_writable())
        return super().get_serializer(*args, **kwargs)

    def _channels_writable(self):
        visible = self.visible_channels()
        if visible is not None:
            return visible
        return Subscription.channels.field.related_model.objects.all()

    def _output(self, subscription, serializer_class=WebhookSubscriptionOutputSerializer):
        subscription = self.get_queryset().get(pk=subscription.pk)
        return serializer_class(subscription, context=self.get_serializer_context()).data

    @extend_schema(
        tags=[TAG],
        request=WebhookSubscriptionInputSerializer,
        responses={201: WebhookSubscriptionSecretOutputSerializer},
        description="The answer holds the signing `secret`: the only time it is shown.",
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = subscription_create(
            data=serializer.validated_data,
            user=request.user,
            default_channels=self.visible_channels(),
        )
        body = self._output(subscription, WebhookSubscriptionSecretOutputSerializer)
        body["secret"] = subscription.secret
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=[TAG],
        request=WebhookSubscriptionInputSerializer,
        responses=WebhookSubscriptionOutputSerializer,
    )
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        subscription = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        subscription = subscription_update(
            subscription=subscription,
            data=serializer.validated_data,
            default_channels=self.visible_channels(),
            if_match=self.if_match,
        )
        return Response(self._output(subscription))

    @extend_schema(
        tags=[TAG],
        request=WebhookSubscriptionInputSerializer,
        responses=WebhookSubscriptionOutputSerializer,
    )
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def perform_destroy(self, instance):
        subscription_delete(subscription=instance, if_match=self.if_match)

    @extend_schema(
        tags=[TAG],
        request=None,
        responses=WebhookSubscriptionSecretOutputSerializer,
        summary="Replace a subscription's signing secret",
        description="A new signing secret, shown in this answer only; the old one stops "
        "signing at once.",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, *args, **kwargs):
        subscription = subscription_secret_rotate(subscription=self.get_object())
        body = self._output(subscription, WebhookSubscriptionSecretOutputSerializer)
        body["secret"] = subscription.secret
        return Response(body)

    @extend_schema(
        tags=[TAG],
        request=None,
        responses=WebhookDeliveryOutputSerializer,
        summary="Send a test event to a subscription now",
        description="POST a `webhook.ping` event to the subscription now (once, no retries) "
        "and answer its delivery with the attempt.",
    )
    @action(detail=True, methods=["post"])
    def ping(self, request, *args, **kwargs):
        delivery = subscription_ping(subscription=self.get_object())
        delivery = delivery_list(subscription=delivery.subscription).get(pk=delivery.pk)
        return Response(WebhookDeliveryOutputSerializer(delivery).data)


SUBSCRIPTION_ID = OpenApiParameter("subscription_id", int, OpenApiParameter.PATH)
DELIVERY_ID = OpenApiParameter("delivery_id", int, OpenApiParameter.PATH)


@extend_schema(tags=[TAG], parameters=[SUBSCRIPTION_ID])
class WebhookDeliveryViewSet(
    IdempotentWritesMixin,
    ChannelScopeMixin,
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """A subscription's deliveries, newest first, each with its attempt log."""

    queryset = Delivery.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = WebhookDeliveryOutputSerializer
    lookup_url_kwarg = "delivery_id"
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["id", "created_at", "next_attempt_at"]
    ordering = ["-id"]

    def get_subscription(self) -> Subscription:
        if not hasattr(self, "_subscription"):
            subscriptions = self.subscriptions().prefetch_related(None)
            self._subscription = get_object_or_404(subscriptions, pk=self.kwargs["subscription_id"])
        return self._subscription

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delivery.objects.none()
        return delivery_list(subscription=self.get_subscription())

    @extend_schema(parameters=[DELIVERY_ID])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        parameters=[DELIVERY_ID],
        request=None,
        responses={
            200: WebhookDeliveryOutputSerializer,
            409: OpenApiResponse(description=SUBSCRIPTION_DISABLED),
        },
        summary="Send a delivery again",
        description="Send the delivery again now (same `webhook-id`, freshly signed) and "
        "answer it with the new attempt in its log.",
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, *args, **kwargs):
        delivery = self.get_object()
        if not delivery.subscription.is_active:
            raise Conflict(SUBSCRIPTION_DISABLED)
        delivery_redeliver(delivery=delivery)
        return Response(self.get_serializer(self.get_queryset().get(pk=delivery.pk)).data)
