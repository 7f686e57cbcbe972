from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.response import Response

from config.etags import ConditionalMixin
from config.query_params import StrictQueryParamsMixin
from config.rest import errors_nest
from config.written_rows import WrittenRowsMixin
from customers.selectors import channel_list, customer_list
from idempotency.api import IdempotentWritesMixin
from orders.api.filters import OrderFilterSet
from orders.api.serializers import (
    OrderCustomDataSerializer,
    OrderInputSerializer,
    OrderOutputSerializer,
)
from orders.models import Order, OrderCustomData, OrderItem
from orders.selectors import order_custom_data_list, order_list
from orders.services import (
    order_custom_data_create,
    order_custom_data_delete,
    order_custom_data_update,
    order_delete,
    order_write,
)

_WRITE_SCHEMA = extend_schema(request=OrderInputSerializer, responses=OrderOutputSerializer)


CUSTOMER_WRITE_PERMS = ("customers.add_customer", "customers.change_customer")
CUSTOMER_OBJECT_FORBIDDEN = _(
    "Sending a customer object needs the permissions to add and change customers; "
    "send the customer's id instead."
)


@extend_schema_view(create=_WRITE_SCHEMA, update=_WRITE_SCHEMA, partial_update=_WRITE_SCHEMA)
class OrderViewSet(
    WrittenRowsMixin,
    IdempotentWritesMixin,
    ConditionalMixin,
    StrictQueryParamsMixin,
    viewsets.ModelViewSet,
):
    queryset = Order.objects.none()  # for the schema; requests use get_queryset()
    filterset_class = OrderFilterSet
    ordering_fields = ["id", "number", "placed_at", "total", "status", "created_at", "updated_at"]
    ordering = ["-placed_at", "-id"]

    def get_queryset(self):
        # Built once per request: the permission check asks for it too, and the channel
        # scoping behind it costs a query.
        if not hasattr(self, "_orders"):
            self._orders = order_list(user=self.request.user)
        return self._orders

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return OrderInputSerializer
        return OrderOutputSerializer

    # The body goes to the service as sent: orders.validation checks it, so that the API,
    # the import and the admin answer alike. OrderInputSerializer documents its shape.
    def create(self, request, *args, **kwargs):
        order = self._write()
        return Response(self._output(order), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        order = self._write(
            order=self.get_object(), partial=kwargs.get("partial", False), if_match=self.if_match
        )
        return Response(self._output(order))

    def _write(self, **kwargs) -> Order:
        user = self.request.user
        body = self.request.data
        # A customer object creates or changes a customer: the upsert's permissions.
        sends_customer = isinstance(body, dict) and isinstance(body.get("customer"), dict)
        if sends_customer and not user.has_perms(CUSTOMER_WRITE_PERMS):
            raise exceptions.PermissionDenied(CUSTOMER_OBJECT_FORBIDDEN)
        # Built when a customer is given by id: the channel scoping behind it costs a query.
        customers = SimpleLazyObject(lambda: customer_list(user=user))
        try:
            return order_write(
                data=self.request.data,
                channels=channel_list(user=user),
                customers=customers,
                **kwargs,
            )
        except DjangoValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
            # "items.0.quantity" answered as DRF nests it: {"items": [{"quantity": [...]}]}.
            raise exceptions.ValidationError(errors_nest(errors)) from error

    def _output(self, order: Order) -> dict:
        order = self.get_queryset().get(pk=order.pk)
        return OrderOutputSerializer(order, context=self.get_serializer_context()).data

    def perform_destroy(self, instance):
        order_delete(order=instance, if_match=self.if_match)


_ORDER_ID = OpenApiParameter("order_id", OpenApiTypes.INT, OpenApiParameter.PATH)
_ITEM_ID = OpenApiParameter("item_id", OpenApiTypes.INT, OpenApiParameter.PATH)
_RECORD_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _custom_data_schema(owner: str, *parameters):
    """The routes' parameters, and summaries naming the records' owner ("an order's")."""
    detail = [*parameters, _RECORD_ID]
    return extend_schema_view(
        list=extend_schema(summary=f"List {owner} custom data", parameters=list(parameters)),
        create=extend_schema(
            summary=f"Add a record to {owner} custom data", parameters=list(parameters)
        ),
        retrieve=extend_schema(summary=f"Get a record of {owner} custom data", parameters=detail),
        update=extend_schema(summary=f"Replace a record of {owner} custom data", parameters=detail),
        partial_update=extend_schema(
            summary=f"Change some fields of a record of {owner} custom data", parameters=detail
        ),
        destroy=extend_schema(summary=f"Delete a record of {owner} custom data", parameters=detail),
    )


@_custom_data_schema("an order's", _ORDER_ID)
class OrderCustomDataViewSet(
    IdempotentWritesMixin, ConditionalMixin, StrictQueryParamsMixin, viewsets.ModelViewSet
):
    """Kibo's Custom Order Data API: name/value records on an order."""

    queryset = OrderCustomData.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = OrderCustomDataSerializer
    filterset_class = None
    ordering_fields = ["id", "name", "created_at", "updated_at"]
    ordering = ["id"]

    def _order(self) -> Order:
        if not hasattr(self, "_order_cache"):
            orders = order_list(user=self.request.user).prefetch_related(None)
            self._order_cache = get_object_or_404(orders, pk=self.kwargs["order_id"])
        return self._order_cache

    def _item(self) -> OrderItem | None:
        return None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OrderCustomData.objects.none()
        return order_custom_data_list(order=self._order(), item=self._item())

    def perform_create(self, serializer):
        serializer.instance = order_custom_data_create(
            order=self._order(), item=self._item(), **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = order_custom_data_update(
            record=serializer.instance, data=serializer.validated_data, if_match=self.if_match
        )

    def perform_destroy(self, instance):
        order_custom_data_delete(record=instance, if_match=self.if_match)


@_custom_data_schema("an order item's", _ORDER_ID, _ITEM_ID)
class OrderItemCustomDataViewSet(OrderCustomDataViewSet):
    """Kibo's Custom Order Item Data API: name/value records on one item of an order."""

    def _item(self) -> OrderItem:
        if not hasattr(self, "_item_cache"):
            items = OrderItem.objects.filter(order=self._order())
            self._item_cache = get_object_or_404(items, pk=self.kwargs["item_id"])
        return self._item_cache
