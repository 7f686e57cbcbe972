"""Omnitron's `/api/v1/customers/[{pk}/]`: list, create, read, replace, change.

The seed documents no DELETE: it answers 405, like any method Omnitron does not route.
"""

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status, viewsets
from rest_framework.response import Response

from compat.omnitron.filters import OmnitronCustomerFilterSet
from compat.omnitron.names import OmnitronInvalid
from compat.omnitron.pagination import OmnitronPagination
from compat.omnitron.serializers import OmnitronCustomerSerializer
from compat.omnitron.writes import omnitron_customer_create, omnitron_customer_update
from config.etags import ConditionalMixin
from config.filtering import INT64_MAX, FilterBackend
from config.query_params import FIELDS_PARAM, StrictQueryParamsMixin
from config.rest import FastJSONRenderer, ModelPermissions
from config.versions import etag
from customers.models import Customer
from customers.selectors import customer_list
from idempotency.api import IdempotentWritesMixin

TAG = "Omnitron dialect"
# drf-spectacular names a `pk` path variable `id`; this types it.
PK_PARAM = OpenApiParameter(
    "id", int, OpenApiParameter.PATH, description="The customer's id (Omnitron's `pk`)."
)


@extend_schema_view(
    list=extend_schema(
        summary="List customers (Omnitron)",
        description="Paged by `page` and `limit`; the filters of Omnitron's filter table.",
    ),
    create=extend_schema(
        summary="Create a customer (Omnitron)",
        description="`channel` (the channel's id) and `email` are required.",
        responses={201: OmnitronCustomerSerializer},
    ),
    retrieve=extend_schema(
        summary="Get a customer (Omnitron)",
        description="With its ETag; If-None-Match naming its version answers 304.",
        parameters=[PK_PARAM],
    ),
    update=extend_schema(
        summary="Replace a customer (Omnitron)",
        description="`channel` and `email` are required; the channel cannot change. Fields "
        "Omnitron does not know (company, note, addresses...) are left as they are.",
        parameters=[PK_PARAM],
    ),
    partial_update=extend_schema(
        summary="Change some fields of a customer (Omnitron)",
        description="Only the fields sent change; the channel cannot change.",
        parameters=[PK_PARAM],
    ),
)
@extend_schema(tags=[TAG])
class OmnitronCustomerViewSet(
    IdempotentWritesMixin, ConditionalMixin, StrictQueryParamsMixin, viewsets.GenericViewSet
):
    queryset = Customer.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = OmnitronCustomerSerializer
    permission_classes = [ModelPermissions]
    renderer_classes = [FastJSONRenderer]
    filter_backends = [FilterBackend]
    filterset_class = OmnitronCustomerFilterSet
    pagination_class = OmnitronPagination

    def get_queryset(self):
        if not hasattr(self, "_customers"):
            self._customers = customer_list(user=self.request.user)
        return self._customers

    def known_query_params(self) -> set[str]:
        # Omnitron has no sparse fieldsets: `fields` is not a parameter here.
        return super().known_query_params() - {FIELDS_PARAM}

    def get_object(self):
        pk = str(self.kwargs["pk"])
        if not (pk.isascii() and pk.isdigit() and len(pk) < 20 and int(pk) <= INT64_MAX):
            raise Http404
        customer = self.get_queryset().filter(pk=int(pk)).first()
        if customer is None:
            raise Http404
        self.check_object_permissions(self.request, customer)
        return customer

    def list(self, request, *args, **kwargs):
        customers = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(customers)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request, *args, **kwargs):
        try:
            customer = omnitron_customer_create(data=request.data, user=request.user)
        except OmnitronInvalid as invalid:
            raise exceptions.ValidationError(invalid.errors) from invalid
        return self._answer(customer, status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        try:
            customer = omnitron_customer_update(
                customer=self.get_object(),
                data=request.data,
                user=request.user,
                partial=partial,
                if_match=self.if_match,
            )
        except OmnitronInvalid as invalid:
            raise exceptions.ValidationError(invalid.errors) from invalid
        return self._answer(customer, status.HTTP_200_OK)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def _answer(self, customer: Customer, code: int) -> Response:
        customer = customer_list(user=self.request.user).get(pk=customer.pk)
        body = self.get_serializer(customer).data
        return Response(body, status=code, headers={"ETag": etag(customer.version)})
