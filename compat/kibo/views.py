"""Kibo OMS routes: thin translations of names, shapes and status codes over the services.

`{channel}` stands where Kibo put the store: a channel the user may not see (or no channel)
is a 404, as are customers and orders of another channel.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response

from accounts.authentication import ApiKeyAuthentication
from compat.kibo.authentication import BearerTokenAuthentication
from compat.kibo.search import SEARCH_PARAMS, customer_search
from compat.kibo.serializers import (
    KiboCustomerCollectionSerializer,
    KiboCustomerSearchSerializer,
    KiboCustomerSerializer,
    KiboOrderCustomDataCollectionSerializer,
    KiboOrderCustomDataInputSerializer,
    KiboOrderCustomDataSerializer,
    KiboOrderItemCustomDataCollectionSerializer,
    KiboOrderItemCustomDataInputSerializer,
    KiboOrderItemCustomDataSerializer,
)
from config.etags import ConditionalMixin
from config.query_params import StrictQueryParamsMixin
from config.rest import FastJSONRenderer
from config.versions import entity_tags_parse, etag
from customers.models import Channel, Customer
from customers.selectors import channel_list, customer_list
from idempotency.api import IdempotentWritesMixin
from orders.models import Order, OrderCustomData, OrderItem
from orders.selectors import order_custom_data_list, order_list
from orders.services import (
    order_custom_data_create,
    order_custom_data_delete,
    order_custom_data_update,
)

TAG = "Kibo dialect"
NOT_FOUND = "Not found."
ID_NOT_THE_PATHS = "Must be the {name} of the path ({value}) or left out."
# Patron's field names in service errors → Kibo's.
KIBO_NAMES = {
    "manufacturer_number": "manufacturerID",
    "catalog_number": "catalogID",
    "item": "itemID",
    "order": "orderID",
}

_CHANNEL = OpenApiParameter(
    "channel",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="A Patron channel code, where Kibo has the store.",
)


def _id_param(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH, description=description)


_CUSTOMER_ID = _id_param("customerID", "The customer's id.")
_ORDER_ID = _id_param("orderID", "The order's id.")
_ITEM_ID = _id_param("itemID", "The id of one of the order's items.")
_RECORD_ID = _id_param("orderCustomDataID", "The custom data record's id.")


@csrf_exempt  # writes nothing; a CSRF check would answer Django's HTML 403 instead
def not_found(request, *args, **kwargs):
    """A path under /compat/kibo/ that is no Kibo route (e.g. a non-numeric id): JSON 404."""
    return JsonResponse({"detail": NOT_FOUND}, status=status.HTTP_404_NOT_FOUND)


class KiboView(StrictQueryParamsMixin, generics.GenericAPIView):
    """Patron's auth plus Kibo's Bearer header, JSON only, Kibo's query parameters only."""

    authentication_classes = [
        ApiKeyAuthentication,
        BearerTokenAuthentication,
        SessionAuthentication,
    ]
    renderer_classes = [FastJSONRenderer]
    pagination_class = None
    filter_backends = []
    query_params: frozenset[str] = frozenset()

    def known_query_params(self) -> set[str]:
        return set(self.query_params)

    def channel(self) -> Channel:
        """The path's channel, if the user may see it (else 404)."""
        if not hasattr(self, "_channel"):
            channels = channel_list(user=self.request.user)
            self._channel = get_object_or_404(channels, code=self.kwargs["channel"])
        return self._channel


# --- customers ----------------------------------------------------------------------------


class KiboCustomerView(KiboView):
    queryset = Customer.objects.none()  # the model permissions; requests scope by channel

    @extend_schema(
        tags=[TAG],
        operation_id="kibo_customer_retrieve",
        summary="Get Customer Information (basic record)",
        parameters=[_CHANNEL, _CUSTOMER_ID],
        responses=KiboCustomerSerializer,
    )
    def get(self, request, channel, customerID):
        customers = customer_list(user=request.user).filter(channel=self.channel())
        customer = get_object_or_404(customers, pk=customerID)
        return Response(KiboCustomerSerializer(customer).data)


class KiboCustomerSearchView(KiboView):
    queryset = Customer.objects.none()
    query_params = frozenset(SEARCH_PARAMS)

    @extend_schema(
        tags=[TAG],
        operation_id="kibo_customer_search",
        summary="Customer search: the records with their activity",
        parameters=[
            _CHANNEL,
            *(
                OpenApiParameter(name, kind, description=description)
                for name, (kind, description) in SEARCH_PARAMS.items()
            ),
        ],
        responses=KiboCustomerCollectionSerializer,
    )
    def get(self, request, channel):
        customers = customer_search(
            user=request.user, channel=self.channel(), params=request.query_params
        )
        rows = KiboCustomerSearchSerializer(customers, many=True).data
        return Response({"collection": rows})


# --- custom order data --------------------------------------------------------------------


def _kibo_errors(error: DjangoValidationError) -> exceptions.ValidationError:
    messages = error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages}
    return exceptions.ValidationError(
        {KIBO_NAMES.get(name, name): value for name, value in messages.items()}
    )


class _CustomDataMixin:
    """The order (and item) of the path, scoped to the channel and the user."""

    item_level = False

    def order(self) -> Order:
        if not hasattr(self, "_order"):
            orders = order_list(user=self.request.user).prefetch_related(None)
            self._order = get_object_or_404(
                orders, pk=self.kwargs["orderID"], channel=self.channel()
            )
        return self._order

    def item(self) -> OrderItem | None:
        if not self.item_level:
            return None
        if not hasattr(self, "_item"):
            self._item = get_object_or_404(self.order().items.all(), pk=self.kwargs["itemID"])
        return self._item

    def output_class(self):
        return (
            KiboOrderItemCustomDataSerializer if self.item_level else KiboOrderCustomDataSerializer
        )

    def get_serializer_class(self):
        # The body's shape, which OPTIONS describes too.
        if self.item_level:
            return KiboOrderItemCustomDataInputSerializer
        return KiboOrderCustomDataInputSerializer

    def checked_input(self, record: OrderCustomData | None = None) -> dict:
        """The body's values in Patron's names; ids sent in it must be the path's."""
        serializer = self.get_serializer_class()(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        path_ids = {"orderID": self.order().pk}
        if self.item_level:
            path_ids["itemID"] = self.item().pk
        if record is not None:
            path_ids["orderCustomDataID"] = record.pk
        errors = {}
        for name in ("orderID", "itemID", "orderCustomDataID"):
            sent = data.pop(name, None)
            if sent is not None and sent != path_ids.get(name):
                expected = path_ids.get(name, "none on a POST")
                errors[name] = [ID_NOT_THE_PATHS.format(name=name, value=expected)]
        if errors:
            raise exceptions.ValidationError(errors)
        return data


def _custom_data_schema(*, item_level: bool, detail: bool):
    """The OpenAPI operations of a custom data route (order or item level, list or one)."""
    level = "order_item" if item_level else "order"
    params = [_CHANNEL, _ORDER_ID, *([_ITEM_ID] if item_level else [])]
    output = KiboOrderItemCustomDataSerializer if item_level else KiboOrderCustomDataSerializer
    body = (
        KiboOrderItemCustomDataInputSerializer if item_level else KiboOrderCustomDataInputSerializer
    )
    what = "custom order item data" if item_level else "custom order data"

    def operation(verb: str, summary: str, **kwargs):
        return extend_schema(
            tags=[TAG],
            operation_id=f"kibo_{level}_custom_data_{verb}",
            summary=summary.format(what=what),
            parameters=[*params, *([_RECORD_ID] if detail else [])],
            **kwargs,
        )

    if not detail:
        collection = (
            KiboOrderItemCustomDataCollectionSerializer
            if item_level
            else KiboOrderCustomDataCollectionSerializer
        )
        return extend_schema_view(
            get=operation("list", "Get all {what}", responses=collection),
            post=operation("create", "Add {what}", request=body, responses={201: output}),
        )
    return extend_schema_view(
        get=operation("retrieve", "Get one record of {what}", responses=output),
        put=operation(
            "update", "Update {what} (the name cannot change)", request=body, responses=output
        ),
        delete=operation("destroy", "Delete {what}", responses={204: None}),
    )


@_custom_data_schema(item_level=False, detail=False)
class KiboOrderCustomDataListView(IdempotentWritesMixin, _CustomDataMixin, KiboView):
    """The records of the order (or item) of the path: GET lists them, POST adds one."""

    queryset = OrderCustomData.objects.none()

    def get(self, request, *args, **kwargs):
        records = order_custom_data_list(order=self.order(), item=self.item()).order_by("id")
        return Response({"collection": self.output_class()(records, many=True).data})

    def post(self, request, *args, **kwargs):
        data = self.checked_input()
        try:
            record = order_custom_data_create(order=self.order(), item=self.item(), **data)
        except DjangoValidationError as error:
            raise _kibo_errors(error) from None
        return Response(self.output_class()(record).data, status=status.HTTP_201_CREATED)


@_custom_data_schema(item_level=False, detail=True)
class KiboOrderCustomDataDetailView(ConditionalMixin, _CustomDataMixin, KiboView):
    """One record, with Patron's conditional requests: its ETag, If-None-Match on GET (304),
    If-Match on PUT and DELETE (412 when stale)."""

    queryset = OrderCustomData.objects.none()
    # The native action each method is, for config.etags and config.schema.
    _ACTIONS = {"GET": "retrieve", "HEAD": "retrieve", "PUT": "update", "DELETE": "destroy"}

    @property
    def action(self) -> str | None:
        request = getattr(self, "request", None)
        return self._ACTIONS.get(request.method) if request is not None else None

    def record(self) -> OrderCustomData:
        records = order_custom_data_list(order=self.order(), item=self.item())
        return get_object_or_404(records, pk=self.kwargs["orderCustomDataID"])

    def get_object(self) -> OrderCustomData:
        # What OPTIONS checks before describing PUT.
        return self.record()

    def _answer(self, record: OrderCustomData, **kwargs) -> Response:
        return Response(
            self.output_class()(record).data, headers={"ETag": etag(record.version)}, **kwargs
        )

    def get(self, request, *args, **kwargs):
        record = self.record()
        if_none_match = entity_tags_parse(request.headers.get("If-None-Match"))
        if if_none_match is not None and if_none_match.match(record.version):
            return Response(
                status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag(record.version)}
            )
        return self._answer(record)

    def put(self, request, *args, **kwargs):
        record = self.record()
        data = self.checked_input(record)
        try:
            record = order_custom_data_update(record=record, data=data, if_match=self.if_match)
        except DjangoValidationError as error:
            raise _kibo_errors(error) from None
        return self._answer(record)

    def delete(self, request, *args, **kwargs):
        order_custom_data_delete(record=self.record(), if_match=self.if_match)
        return Response(status=status.HTTP_204_NO_CONTENT)


@_custom_data_schema(item_level=True, detail=False)
class KiboOrderItemCustomDataListView(KiboOrderCustomDataListView):
    item_level = True


@_custom_data_schema(item_level=True, detail=True)
class KiboOrderItemCustomDataDetailView(KiboOrderCustomDataDetailView):
    item_level = True
