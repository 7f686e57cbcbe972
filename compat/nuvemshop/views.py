"""/compat/nuvemshop/v1/{channel}/customers[/{id}]: Nuvemshop's customer resource over
Patron's customer selectors and services.

`{channel}` stands where Nuvemshop puts the store id. Reads, checks and writes are the native
API's (customers.selectors, customers.services); this module translates names and shapes.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response

from accounts.authentication import ApiKeyAuthentication
from compat.nuvemshop.authentication import NuvemshopBearerAuthentication
from compat.nuvemshop.filters import NuvemshopCustomerFilterSet
from compat.nuvemshop.mapping import (
    BILLING_FIELDS,
    CUSTOMER_FIELDS,
    customer_object,
    errors_translate,
    names_check,
)
from compat.nuvemshop.pagination import NuvemshopPagination
from compat.nuvemshop.serializers import NuvemshopCustomerSerializer
from config.etags import ConditionalMixin
from config.filtering import INT64_MAX, FilterBackend
from config.query_params import StrictQueryParamsMixin
from config.rest import ModelPermissions, errors_nest, requested_fields
from config.unknown_names import unknown_name_message
from config.versions import etag
from customers.imports.rows import RowInvalid
from customers.models import Customer
from customers.selectors import channel_list, customer_list_for_api
from customers.services import customer_create, customer_update
from idempotency.api import IdempotentWritesMixin

TAG = "Nuvemshop dialect"
# The Nuvemshop fields read from the customer's addresses: without them, none are queried.
ADDRESS_FIELDS = frozenset({"default_address", "addresses", *BILLING_FIELDS})

CHANNEL_PARAM = OpenApiParameter(
    "channel",
    str,
    OpenApiParameter.PATH,
    description="A Patron channel code, where Nuvemshop puts the store id.",
)
ID_PARAM = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The customer's id.")
FIELDS_PARAM = OpenApiParameter(
    "fields",
    str,
    description="Comma-separated list of fields to include in the response. Unknown names → 400.",
)
_COMMON = [CHANNEL_PARAM]


def fields_parse(request) -> set[str] | None:
    """The `fields=` asked for, or None for all; a 400 naming each unknown name."""
    wanted = requested_fields(request)
    unknown = sorted((wanted or set()) - set(CUSTOMER_FIELDS))
    if unknown:
        messages = [unknown_name_message(name, CUSTOMER_FIELDS) for name in unknown]
        raise exceptions.ValidationError({"fields": messages})
    return wanted


@extend_schema_view(
    list=extend_schema(
        tags=[TAG],
        summary="List customers (Nuvemshop)",
        description="A bare JSON array, oldest first; `Link` (first, prev, next, last) and "
        "`X-Total-Count` headers.",
        parameters=[*_COMMON, FIELDS_PARAM],
    ),
    retrieve=extend_schema(
        tags=[TAG],
        summary="Get a customer (Nuvemshop)",
        parameters=[*_COMMON, ID_PARAM, FIELDS_PARAM],
    ),
    create=extend_schema(
        tags=[TAG],
        summary="Create a customer (Nuvemshop)",
        description="`password` is hashed; `send_email_invite: true` e-mails Patron's "
        "invitation with a set-password link.",
        parameters=_COMMON,
        responses={201: NuvemshopCustomerSerializer},
    ),
    update=extend_schema(
        tags=[TAG],
        summary="Modify a customer (Nuvemshop)",
        description="Changes the fields sent; a GET body may be sent back as it is (read-only "
        "fields are ignored). `addresses`, when sent, is the whole address list.",
        parameters=[*_COMMON, ID_PARAM],
        responses={200: NuvemshopCustomerSerializer},
    ),
)
# Patron's ETag / If-Match / If-None-Match and Idempotency-Key work here as natively
# (Nuvemshop's clients need not send them). No class docstring: drf-spectacular would print it
# as the description of the operations that have none.
class NuvemshopCustomerViewSet(
    IdempotentWritesMixin, ConditionalMixin, StrictQueryParamsMixin, viewsets.GenericViewSet
):
    authentication_classes = [
        ApiKeyAuthentication,
        NuvemshopBearerAuthentication,
        SessionAuthentication,
    ]
    permission_classes = [ModelPermissions]
    queryset = Customer.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = NuvemshopCustomerSerializer
    pagination_class = NuvemshopPagination
    filter_backends = [FilterBackend]
    filterset_class = NuvemshopCustomerFilterSet
    lookup_url_kwarg = "id"

    def check_permissions(self, request):
        super().check_permissions(request)
        # A channel the user may not see is as unknown as one that does not exist; checked
        # before the query parameters, as a route that does not exist would be.
        self.channel = channel_list(user=request.user).filter(code=self.kwargs["channel"]).first()
        if self.channel is None:
            raise exceptions.NotFound()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Customer.objects.none()
        # Built once per request: the permission check asks for it too.
        if not hasattr(self, "_customers"):
            wanted = requested_fields(self.request) if self.request.method == "GET" else None
            relations = {"addresses"} if wanted is None or wanted & ADDRESS_FIELDS else {"id"}
            customers = customer_list_for_api(user=self.request.user, fields=relations)
            self._customers = customers.filter(channel__code=self.kwargs["channel"]).order_by("id")
        return self._customers

    def get_object(self):
        raw = self.kwargs[self.lookup_url_kwarg]
        if not (raw.isascii() and raw.isdigit()) or int(raw) > INT64_MAX:
            raise exceptions.NotFound()
        customer = self.get_queryset().filter(pk=int(raw)).first()
        if customer is None:
            raise exceptions.NotFound()
        return customer

    def get_serializer_context(self):
        fields = fields_parse(self.request) if self.request.method == "GET" else None
        return {**super().get_serializer_context(), "fields": fields}

    def list(self, request, *args, **kwargs):
        fields_parse(request)  # a 400 for unknown names before any query
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        fields_parse(request)
        return super().retrieve(request, *args, **kwargs)  # ETag, If-None-Match

    def create(self, request, *args, **kwargs):
        data = self._patron_object(request.data)
        try:
            customer = customer_create(data=data, user=request.user)
        except RowInvalid as error:
            raise exceptions.ValidationError(errors_translate(error.errors)) from error
        return self._answer(customer, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        customer = self.get_object()
        data = self._patron_object(request.data)
        try:
            customer = customer_update(
                customer=customer,
                data=data,
                user=request.user,
                partial=True,
                if_match=self.if_match,
            )
        except RowInvalid as error:
            raise exceptions.ValidationError(errors_translate(error.errors)) from error
        return self._answer(customer, status.HTTP_200_OK)

    def _answer(self, customer: Customer, code: int) -> Response:
        customer = self.get_queryset().get(pk=customer.pk)
        body = self.get_serializer(customer).data
        return Response(body, status=code, headers={"ETag": etag(customer.version)})

    def _patron_object(self, data):
        """The body as the customers' validator takes it; a 400 for names Nuvemshop lacks."""
        unknown = names_check(data)
        if unknown:
            raise exceptions.ValidationError(errors_nest(unknown))
        return customer_object(data, channel_code=self.channel.code)


class NuvemshopCustomerSlashViewSet(NuvemshopCustomerViewSet):
    """The same routes with a trailing slash, which Nuvemshop's clients may add; documented
    once, without it."""

    schema = None
