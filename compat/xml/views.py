"""The XML commerce API's routes: Customer (with its groups embedded or not) and UserGroups.

Thin: the channel of the URL is checked against the user's (else 404), bodies are read into
nodes (compat.xml.nodes), translated (compat.xml.customers, compat.xml.groups) and written by
the native services; answers are `<ResultSet>` documents, or JSON when asked for.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.metadata import SimpleMetadata
from rest_framework.response import Response

from compat.xml.customers import GROUP_NODE, GROUPS_NODE, customer_node, group_node
from compat.xml.formats import (
    ResultSetTextXMLParser,
    ResultSetXMLParser,
    ResultSetXMLRenderer,
)
from compat.xml.groups import user_groups_write
from compat.xml.nodes import NodesInvalid, resultset_nodes
from compat.xml.schema import (
    TAG,
    XmlCustomerResultSetSerializer,
    XmlDialectSchema,
    XmlUserGroupResultSetSerializer,
)
from compat.xml.writes import customer_by_username, customers_write
from config.parsers import JSONParser
from config.query_params import FIELDS_PARAM, StrictQueryParamsMixin
from config.rest import FastJSONRenderer, ModelPermissions, PagePagination
from config.versions import EntityTags, entity_tags_parse, etag
from customers.models import Customer
from customers.selectors import channel_list, customer_list_for_api
from customers.services import UPSERT_MAX_ITEMS, customer_delete
from groups.models import UserGroup
from groups.selectors import group_list
from idempotency.api import IdempotentWritesMixin

PAGE_PARAMS = ("page", "per_page")
PAGE_HEADERS = ("Link", "X-Total-Count", "X-Total-Count-Estimate")
CHANNEL_NOT_FOUND = "No channel with this code, or not one you may see."
CUSTOMER_NOT_FOUND = "No customer with this username in this channel."
PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="Page number, from 1."),
    OpenApiParameter("per_page", int, description="Nodes per page (default 50, max 200)."),
]
# Written nodes answer as they read back; 200 whether they were created or updated.
WRITTEN = OpenApiResponse(XmlCustomerResultSetSerializer, description="The nodes as stored.")


class XmlMetadata(SimpleMetadata):
    """OPTIONS answers the name, description and formats; node shapes are in the schema
    (DRF's `actions` introspect a serializer, which these views do not use)."""

    def determine_actions(self, request, view):
        return {}


class XmlDialectView(IdempotentWritesMixin, StrictQueryParamsMixin, generics.GenericAPIView):
    """What every route of the dialect shares: formats, permissions, the channel of the URL,
    strict query parameters (no sparse fieldsets here) and node errors as 400."""

    renderer_classes = [ResultSetXMLRenderer, FastJSONRenderer]
    parser_classes = [ResultSetXMLParser, ResultSetTextXMLParser, JSONParser]
    permission_classes = [ModelPermissions]
    pagination_class = None
    filter_backends = []
    metadata_class = XmlMetadata
    schema = XmlDialectSchema()
    lists = False

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.channel = channel_list(user=request.user).filter(code=kwargs["channel"]).first()
        if self.channel is None:
            raise exceptions.NotFound(CHANNEL_NOT_FOUND)

    def known_query_params(self) -> set[str]:
        known = super().known_query_params() - {FIELDS_PARAM}
        if self.lists and self.request.method == "GET":
            known.update(PAGE_PARAMS)
        return known

    def handle_exception(self, exc):
        if isinstance(exc, NodesInvalid):
            exc = exceptions.ValidationError(exc.errors)
        return super().handle_exception(exc)

    def page(self, queryset) -> tuple[list, dict]:
        """One page of the queryset, with the native lists' Link and X-Total-Count headers."""
        paginator = PagePagination()
        rows = paginator.paginate_queryset(queryset, self.request, view=self)
        native = paginator.get_paginated_response([])
        headers = {name: native[name] for name in PAGE_HEADERS if name in native}
        return rows, headers


# The resource specifications and what each embeds in a Customer node.
SPECS = {
    "Customer": (),
    "Customer+UserCustomerGroups": (GROUPS_NODE,),
    "Customer+(UserCustomerGroups+UserGroups)": (GROUPS_NODE, GROUP_NODE),
}


class NotFoundView(XmlDialectView):
    """Any other path under the dialect: 404 in the dialect's formats, for every method
    (not Django's HTML page), whoever asks."""

    permission_classes = []
    schema = None
    NOT_FOUND = "No such resource in this API: see the OpenAPI schema's XML dialect routes."

    def initial(self, request, *args, **kwargs):
        self.format_kwarg = self.get_format_suffix(**kwargs)
        request.accepted_renderer, request.accepted_media_type = self.perform_content_negotiation(
            request
        )
        raise exceptions.NotFound(self.NOT_FOUND)


class CustomerViewBase(XmlDialectView):
    """Customers of the URL's channel, read with the relations its specification embeds."""

    @property
    def embed(self) -> tuple[str, ...]:
        return SPECS[self.kwargs["spec"]]

    def get_queryset(self):
        # For the model permission only: reads go through customer_list_for_api, writes
        # through the services, both scoped to the user's channels.
        return Customer.objects.none()

    def customers(self):
        embedded = GROUPS_NODE in self.embed
        customers = customer_list_for_api(
            user=self.request.user,
            fields=None if embedded else {"addresses"},
            expand=("memberships",) if embedded else (),
        )
        return customers.filter(channel=self.channel).order_by("id")

    def written(self, customers: list[Customer]) -> Response:
        """The written customers as they read back (relations read once for them all)."""
        ids = [customer.pk for customer in customers]
        stored = {customer.pk: customer for customer in self.customers().filter(pk__in=ids)}
        nodes = [customer_node(stored[pk], embed=self.embed) for pk in ids]
        return Response({"ResultSet": {"Customer": nodes}}, status=status.HTTP_200_OK)


class CustomerListView(CustomerViewBase):
    """`Customer`: the channel's customers, and create-or-update by username."""

    lists = True

    def get(self, request, *args, **kwargs):
        rows, headers = self.page(self.customers())
        nodes = [customer_node(customer, embed=self.embed) for customer in rows]
        return Response({"ResultSet": {"Customer": nodes}}, headers=headers)

    def post(self, request, *args, **kwargs):
        nodes = resultset_nodes(request.data, name="Customer", max_nodes=UPSERT_MAX_ITEMS)
        written = customers_write(
            nodes=nodes, channel=self.channel, user=request.user, embed=self.embed
        )
        return self.written([customer for customer, _ in written])


class CustomerDetailView(CustomerViewBase):
    """`Customer/{username}`: one customer; PUT changes the fields sent."""

    def customer(self) -> Customer:
        customer = customer_by_username(
            user=self.request.user, channel=self.channel, username=self.kwargs["username"]
        )
        if customer is None:
            raise Http404(CUSTOMER_NOT_FOUND)
        return customer

    @property
    def if_match(self) -> EntityTags | None:
        return entity_tags_parse(self.request.headers.get("If-Match"))

    def get(self, request, *args, **kwargs):
        customer = self.customers().filter(pk=self.customer().pk).first()
        body = {"ResultSet": {"Customer": [customer_node(customer, embed=self.embed)]}}
        return Response(body, headers={"ETag": etag(customer.version)})

    def put(self, request, *args, **kwargs):
        customer = self.customer()
        nodes = resultset_nodes(request.data, name="Customer", max_nodes=1)
        customers_write(
            nodes=nodes,
            channel=self.channel,
            user=request.user,
            embed=self.embed,
            customer=customer,
            if_match=self.if_match,
        )
        response = self.written([customer])
        response["ETag"] = etag(
            Customer.objects.values_list("version", flat=True).get(pk=customer.pk)
        )
        return response

    def delete(self, request, *args, **kwargs):
        customer_delete(customer=self.customer(), if_match=self.if_match)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserGroupListView(XmlDialectView):
    """`UserGroups`: every group, and create-or-update by code."""

    lists = True

    def get_queryset(self):
        # For the model permission only (groups belong to no channel).
        return UserGroup.objects.none()

    def get(self, request, *args, **kwargs):
        rows, headers = self.page(group_list().order_by("code"))
        return Response({"ResultSet": {GROUP_NODE: [group_node(g) for g in rows]}}, headers=headers)

    def post(self, request, *args, **kwargs):
        nodes = resultset_nodes(request.data, name=GROUP_NODE, max_nodes=UPSERT_MAX_ITEMS)
        written = user_groups_write(nodes=nodes)
        ids = [group.pk for group, _ in written]
        stored = group_list().in_bulk(ids)
        body = {"ResultSet": {GROUP_NODE: [group_node(stored[pk]) for pk in ids]}}
        return Response(body)


# --- the schema: one operation per method, the specification a path parameter ------------

SPEC_PARAMETER = OpenApiParameter(
    "spec",
    str,
    OpenApiParameter.PATH,
    enum=list(SPECS),
    description="The resource specification: Customer, or Customer with its memberships "
    "(UserCustomerGroups) embedded, or with their groups too (UserGroups). Send `+`, `(` and "
    "`)` as they are or percent-encoded.",
)


def _documented(operation_id: str, summary: str, *, spec: bool = True, **kwargs):
    parameters = [SPEC_PARAMETER] if spec else []
    parameters += kwargs.pop("parameters", [])
    return extend_schema(
        operation_id=operation_id, summary=summary, tags=[TAG], parameters=parameters, **kwargs
    )


_OPERATIONS = (
    (
        CustomerListView,
        "get",
        "xml_customers_list",
        "List the channel's customers",
        {"parameters": PAGE_PARAMETERS, "responses": XmlCustomerResultSetSerializer},
    ),
    (
        CustomerListView,
        "post",
        "xml_customers_upsert",
        "Create or update customers by username",
        {"request": XmlCustomerResultSetSerializer, "responses": {200: WRITTEN}},
    ),
    (
        CustomerDetailView,
        "get",
        "xml_customer_read",
        "Read one customer",
        {"responses": XmlCustomerResultSetSerializer},
    ),
    (
        CustomerDetailView,
        "put",
        "xml_customer_update",
        "Change the fields sent of one customer",
        {"request": XmlCustomerResultSetSerializer, "responses": {200: WRITTEN}},
    ),
    (
        CustomerDetailView,
        "delete",
        "xml_customer_delete",
        "Delete one customer",
        {"responses": {204: None}},
    ),
    (
        UserGroupListView,
        "get",
        "xml_usergroups_list",
        "List the customer groups",
        {
            "spec": False,
            "parameters": PAGE_PARAMETERS,
            "responses": XmlUserGroupResultSetSerializer,
        },
    ),
    (
        UserGroupListView,
        "post",
        "xml_usergroups_upsert",
        "Create or update groups by code",
        {
            "spec": False,
            "request": XmlUserGroupResultSetSerializer,
            "responses": XmlUserGroupResultSetSerializer,
        },
    ),
)
for _view, _method, _operation_id, _summary, _kwargs in _OPERATIONS:
    setattr(
        _view,
        _method,
        _documented(_operation_id, _summary, **_kwargs)(getattr(_view, _method)),
    )
