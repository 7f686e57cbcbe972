from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.etags import ConditionalMixin
from config.exceptions import NotFoundWithBody
from config.query_params import StrictQueryParamsMixin
from config.rest import (
    ModelPermissions,
    StrictOrderingFilter,
    errors_nest,
)
from config.throttling import ApiUserThrottle, CustomerAuthThrottle
from config.written_rows import WrittenRowsMixin, is_id
from customers.api.permissions import ChannelPermission
from customers.api.serializers import (
    ChannelSerializer,
    CustomerAddressSerializer,
    CustomerAuthenticateInputSerializer,
    CustomerDetailMessageSerializer,
    CustomerSerializer,
    CustomerUpsertOutputSerializer,
    expand_parse,
)
from customers.filters import CustomerFilterSet
from customers.imports.rows import RowInvalid
from customers.models import Address, Channel, Customer
from customers.selectors import (
    channel_list,
    customer_list,
    customer_list_for_api,
    customer_merged_into,
    customer_page_rows,
    customer_rows_queryset,
)
from customers.services import (
    CUSTOMER_HAS_ORDERS,
    UPSERT_MAX_ITEMS,
    CustomerHasOrders,
    UpsertItemsInvalid,
    address_create,
    address_delete,
    address_update,
    channel_create,
    channel_delete,
    channel_update,
    customer_anonymize,
    customer_authenticate,
    customer_create,
    customer_delete,
    customer_invite_send,
    customer_update,
    customers_upsert,
)
from idempotency.api import IdempotentWritesMixin

UPSERT_SIZE = _("Send one customer object, or a list of 1 to {max}.")
CUSTOMER_MERGED = _("This customer was merged into another; see merged_into.")


class ChannelViewSet(
    IdempotentWritesMixin, ConditionalMixin, StrictQueryParamsMixin, viewsets.ModelViewSet
):
    queryset = Channel.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = ChannelSerializer
    permission_classes = [ChannelPermission]
    lookup_field = "code"
    filterset_fields = {"is_active": ["exact"], "currency": ["exact"]}
    ordering_fields = ["code", "name", "created_at", "updated_at"]
    ordering = ["code"]

    def get_queryset(self):
        return channel_list(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = channel_create(data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = channel_update(
            channel=serializer.instance, data=serializer.validated_data, if_match=self.if_match
        )

    def perform_destroy(self, instance):
        channel_delete(channel=instance, if_match=self.if_match)


EXPAND_PARAM = "expand"
# Routes whose answer holds no customer, so `expand` would change nothing.
UNEXPANDED_ACTIONS = ("upsert", "send_invite", "destroy")
CUSTOMER_EXPAND_PARAM = OpenApiParameter(
    EXPAND_PARAM,
    str,
    description="Comma-separated extras: recent_orders (last 5 orders), recent_addresses "
    "(one-line strings, newest first and distinct: the customer's addresses and the shipping "
    "and billing addresses of its recent orders), phones (distinct numbers of the customer and its "
    "addresses), memberships (each with the full group). Unknown names → 400.",
)
CUSTOMER_FIELDS_PARAM = OpenApiParameter(
    "fields",
    str,
    description="Comma-separated subset of the representation to return (sparse fieldset); "
    "relations not asked for are not queried. Unknown names → 400.",
)
ORDERING_PARAM_HELP = "Comma-separated fields, `-` for descending: " + ", ".join(
    CUSTOMER_ORDERING_FIELDS := (
        "id",
        "email",
        "first_name",
        "last_name",
        "created_at",
        "updated_at",
        "date_joined",
        "date_of_birth",
        "last_order_at",
        "last_login_at",
        "orders_count",
        "total_spent",
    )
)
INVALID_CREDENTIALS = _("Invalid credentials.")
INVITE_QUEUED = _("The invitation e-mail is on its way.")


class CustomerPermission(ModelPermissions):
    """Model permissions, with the extra routes mapped to the permission each needs."""

    action_perms = {
        "upsert": ["customers.add_customer", "customers.change_customer"],
        "authenticate": ["customers.view_customer"],
        "send_invite": ["customers.change_customer"],
        "anonymize": ["customers.change_customer"],
    }

    def has_permission(self, request, view):
        perms = self.action_perms.get(getattr(view, "action", None))
        if perms is None:
            return super().has_permission(request, view)
        return bool(
            request.user and request.user.is_authenticated and request.user.has_perms(perms)
        )


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _invalid(error: RowInvalid) -> exceptions.ValidationError:
    """The service's {dotted path: messages}, nested as DRF nests a serializer's errors."""
    return exceptions.ValidationError(errors_nest(error.errors))


@extend_schema_view(
    list=extend_schema(
        summary="List customers",
        parameters=[CUSTOMER_EXPAND_PARAM, CUSTOMER_FIELDS_PARAM],
    ),
    retrieve=extend_schema(
        summary="Get a customer", parameters=[CUSTOMER_EXPAND_PARAM, CUSTOMER_FIELDS_PARAM]
    ),
    create=extend_schema(
        summary="Create a customer",
        description="Nested `addresses`, `groups`, a `password` and `send_email_invite` may be "
        "sent along. Nuvemshop's single `name` is accepted and split into first/last name.",
        responses={201: CustomerSerializer},
    ),
    update=extend_schema(
        summary="Replace a customer",
        description="`channel` and `email` are required; the channel cannot change. A GET "
        "body may be sent back as it is: read-only fields are ignored, unknown ones are a 400. "
        "`addresses` is the whole address list.",
        responses={200: CustomerSerializer},
    ),
    partial_update=extend_schema(
        summary="Change some fields of a customer",
        description="Only the fields sent change; the channel cannot change.",
        responses={200: CustomerSerializer},
    ),
    destroy=extend_schema(
        summary="Delete a customer",
        responses={
            204: OpenApiResponse(description="Deleted, with its addresses and memberships."),
            409: OpenApiResponse(description="The customer has orders."),
        },
    ),
)
class CustomerViewSet(
    WrittenRowsMixin,
    IdempotentWritesMixin,
    ConditionalMixin,
    StrictQueryParamsMixin,
    viewsets.ModelViewSet,
):
    queryset = Customer.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = CustomerSerializer
    permission_classes = [CustomerPermission]
    filterset_class = CustomerFilterSet
    ordering_fields = list(CUSTOMER_ORDERING_FIELDS)
    ordering = ["id"]
    # Sign-in checks the current password: a replayed success could let an old one in.
    idempotency_exempt_actions = frozenset({"authenticate"})

    def get_queryset(self):
        # Built once per request: the permission check asks for it too, and the channel
        # scoping behind it costs a query.
        if not hasattr(self, "_customers"):
            self._customers = customer_list_for_api(
                user=self.request.user, fields=self.written_fields(), expand=self.expand
            )
        return self._customers

    def known_query_params(self) -> set[str]:
        known = super().known_query_params()
        return known if self.action in UNEXPANDED_ACTIONS else known | {EXPAND_PARAM}

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            pk = self.kwargs.get(self.lookup_field)
            kept = customer_merged_into(pk=pk, user=self.request.user) if is_id(pk) else None
            if kept is None:
                raise
            raise NotFoundWithBody(CUSTOMER_MERGED, merged_into=kept) from None

    @property
    def expand(self) -> set[str]:
        if not hasattr(self, "_expand"):
            self._expand = expand_parse(self.request.query_params.get(EXPAND_PARAM))
        return self._expand

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "expand": self.expand}

    def list_serialized(self, customers):
        if self.expand:
            return super().list_serialized(customers)
        # A page without expansions is read as values: the same output, no model instances.
        customers = customer_rows_queryset(customers, fields=self.written_fields())
        page = customer_page_rows(self.paginate_queryset(customers), fields=self.written_fields())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def written_fields_key(self) -> tuple:
        # What decides the serializer's fields (CustomerSerializer.__init__).
        return (*super().written_fields_key(), frozenset(self.expand))

    def _reload(self, customer: Customer) -> Customer:
        return customer_list_for_api(user=self.request.user, expand=self.expand).get(pk=customer.pk)

    # Writes skip the serializer's validation: the service checks the object as it was sent,
    # with the same rules and messages as the upsert, the import and the admin.
    def create(self, request, *args, **kwargs):
        try:
            customer = customer_create(data=request.data, user=request.user)
        except RowInvalid as error:
            raise _invalid(error) from error
        body = self.get_serializer(self._reload(customer)).data
        return Response(body, status=status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        try:
            customer = customer_update(
                customer=self.get_object(),
                data=request.data,
                user=request.user,
                partial=partial,
                if_match=self.if_match,
            )
        except RowInvalid as error:
            raise _invalid(error) from error
        return Response(self.get_serializer(self._reload(customer)).data)

    def perform_destroy(self, instance):
        try:
            customer_delete(customer=instance, if_match=self.if_match)
        except CustomerHasOrders as error:
            raise Conflict(CUSTOMER_HAS_ORDERS) from error

    @extend_schema(
        summary="Create or update customers by (channel, email)",
        description="One customer object, or a list of up to 1000. A list is all-or-nothing: "
        'any invalid item → 400 `{"items": {"<index>": {field: [messages]}}}` and nothing is '
        "written. Absent fields of an existing customer are left as they are.",
        request=PolymorphicProxySerializer(
            component_name="CustomerUpsertRequest",
            serializers=[CustomerSerializer, CustomerSerializer(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={200: CustomerUpsertOutputSerializer},
    )
    @action(detail=False, methods=["post"])
    def upsert(self, request):
        many = isinstance(request.data, list)
        items = request.data if many else [request.data]
        if many and not 1 <= len(items) <= UPSERT_MAX_ITEMS:
            raise exceptions.ValidationError({"items": [UPSERT_SIZE.format(max=UPSERT_MAX_ITEMS)]})
        try:
            result = customers_upsert(items=items, user=request.user)
        except UpsertItemsInvalid as error:
            errors = {index: errors_nest(found) for index, found in error.errors.items()}
            raise exceptions.ValidationError({"items": errors} if many else errors["0"]) from error
        body = {
            "created": result.created,
            "updated": result.updated,
            "results": [
                {"id": pk, "email": email, "created": created} for pk, email, created in result.rows
            ],
        }
        return Response(CustomerUpsertOutputSerializer(body).data)

    @extend_schema(
        summary="Check a customer's password (storefront sign-in)",
        description="Records `last_login_at`. Unknown customer, wrong password, inactive or "
        "frozen customer all answer the same 401.",
        request=CustomerAuthenticateInputSerializer,
        responses={
            200: CustomerSerializer,
            400: OpenApiResponse(description="channel, email or password missing."),
            401: OpenApiResponse(description="Not signed in."),
        },
    )
    @action(
        detail=False, methods=["post"], throttle_classes=[ApiUserThrottle, CustomerAuthThrottle]
    )
    def authenticate(self, request):
        serializer = CustomerAuthenticateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credentials = serializer.validated_data
        visible = channel_list(user=request.user).filter(code=credentials["channel"]).exists()
        customer = customer_authenticate(
            channel=credentials["channel"] if visible else "",
            email=credentials["email"],
            password=credentials["password"],
        )
        if customer is None:
            return Response({"detail": INVALID_CREDENTIALS}, status=status.HTTP_401_UNAUTHORIZED)
        return Response(self.get_serializer(self._reload(customer)).data)

    @extend_schema(
        summary="E-mail the customer an invitation with a set-password link",
        request=None,
        responses={202: CustomerDetailMessageSerializer},
    )
    @action(detail=True, methods=["post"], url_path="send-invite")
    def send_invite(self, request, pk=None):
        customer_invite_send(customer=self.get_object())
        return Response({"detail": INVITE_QUEUED}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Erase the customer's personal data (orders and statistics are kept)",
        request=None,
        responses={200: CustomerSerializer},
    )
    @action(detail=True, methods=["post"])
    def anonymize(self, request, pk=None):
        customer = customer_anonymize(customer=self.get_object())
        return Response(self.get_serializer(self._reload(customer)).data)


CUSTOMER_ID_PARAM = OpenApiParameter(
    "customer_id", int, OpenApiParameter.PATH, description="The customer's id."
)
ADDRESS_ID_PARAM = OpenApiParameter(
    "address_id", int, OpenApiParameter.PATH, description="The address's id."
)


@extend_schema_view(
    list=extend_schema(summary="List a customer's addresses", parameters=[CUSTOMER_ID_PARAM]),
    create=extend_schema(summary="Add an address", parameters=[CUSTOMER_ID_PARAM]),
    retrieve=extend_schema(
        summary="Get an address", parameters=[CUSTOMER_ID_PARAM, ADDRESS_ID_PARAM]
    ),
    update=extend_schema(
        summary="Replace an address", parameters=[CUSTOMER_ID_PARAM, ADDRESS_ID_PARAM]
    ),
    partial_update=extend_schema(
        summary="Change some fields of an address",
        parameters=[CUSTOMER_ID_PARAM, ADDRESS_ID_PARAM],
    ),
    destroy=extend_schema(
        summary="Delete an address (the newest other one becomes the default)",
        parameters=[CUSTOMER_ID_PARAM, ADDRESS_ID_PARAM],
    ),
)
class CustomerAddressViewSet(
    IdempotentWritesMixin, ConditionalMixin, StrictQueryParamsMixin, viewsets.ModelViewSet
):
    """A customer's addresses; setting is_default or is_billing moves that flag here."""

    queryset = Address.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = CustomerAddressSerializer
    lookup_url_kwarg = "address_id"
    lookup_value_regex = r"[0-9]+"
    filter_backends = [StrictOrderingFilter]
    ordering_fields = ["id", "created_at", "updated_at"]
    ordering = ["id"]

    @cached_property
    def customer(self) -> Customer:
        customers = customer_list(user=self.request.user)
        return get_object_or_404(customers, pk=self.kwargs["customer_id"])

    def get_queryset(self):
        return Address.objects.filter(customer=self.customer)

    # Writes skip the serializer's validation: the services check the address as sent, with
    # the customer rows' address check.
    def create(self, request, *args, **kwargs):
        try:
            address = address_create(customer=self.customer, data=request.data)
        except RowInvalid as error:
            raise _invalid(error) from error
        return Response(self.get_serializer(address).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        # Every address field is optional: PUT, like PATCH, changes the fields it sends.
        try:
            address = address_update(
                address=self.get_object(), data=request.data, if_match=self.if_match
            )
        except RowInvalid as error:
            raise _invalid(error) from error
        return Response(self.get_serializer(address).data)

    def perform_destroy(self, instance):
        address_delete(address=instance, if_match=self.if_match)
