from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, mixins, status, viewsets
from rest_framework.response import Response

from config.etags import ConditionalMixin
from config.query_params import StrictQueryParamsMixin
from customers.models import Customer
from customers.selectors import customer_list
from groups.api.filters import GroupFilterSet, GroupMemberFilterSet
from groups.api.permissions import GroupPermission
from groups.api.serializers import (
    GroupInputSerializer,
    GroupMemberSerializer,
    GroupOutputSerializer,
    MembershipCreateInputSerializer,
    MembershipOutputSerializer,
    MembershipUpdateInputSerializer,
)
from groups.models import UserCustomerGroup, UserGroup
from groups.selectors import group_get, group_list, group_member_list, membership_list
from groups.services import (
    ItemsValidationError,
    group_create,
    group_delete,
    group_update,
    groups_create,
    membership_create,
    membership_delete,
    membership_update,
)
from idempotency.api import IdempotentWritesMixin

MAX_ITEMS = 1000
TOO_MANY_ITEMS = format_lazy(_("At most {max} groups per request."), max=MAX_ITEMS)
EMPTY_LIST = _("Send at least one group.")
CODE_PATTERN = "[-a-zA-Z0-9_]+"


@extend_schema_view(
    list=extend_schema(summary="List groups"),
    create=extend_schema(summary="Create a group, or a list of them"),
    retrieve=extend_schema(summary="Get a group"),
    update=extend_schema(summary="Replace a group"),
    partial_update=extend_schema(summary="Change some fields of a group"),
    destroy=extend_schema(summary="Delete a group (its sub-groups move up)"),
)
class GroupViewSet(
    IdempotentWritesMixin, ConditionalMixin, StrictQueryParamsMixin, viewsets.ModelViewSet
):
    """Customer groups, by code. POST takes one group or a list of them (all or nothing)."""

    queryset = UserGroup.objects.none()  # for the schema; requests use get_queryset()
    permission_classes = [GroupPermission]
    lookup_field = "code"
    lookup_value_regex = CODE_PATTERN
    filterset_class = GroupFilterSet
    ordering_fields = ["code", "title", "member_count", "created_at", "updated_at"]
    ordering = ["code"]

    def get_queryset(self):
        return group_list(user=self.request.user)

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return GroupInputSerializer
        return GroupOutputSerializer

    def _output(self, group: UserGroup) -> dict:
        group = group_get(code=group.code, user=self.request.user)
        return GroupOutputSerializer(group, context=self.get_serializer_context()).data

    @extend_schema(
        request=GroupInputSerializer,
        responses={201: GroupOutputSerializer},
        description="One group object, or a list of them created all or nothing.",
    )
    def create(self, request, *args, **kwargs):
        if isinstance(request.data, list):
            return self._create_many(request.data)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group = group_create(data=serializer.validated_data)
        return Response(self._output(group), status=status.HTTP_201_CREATED)

    def _create_many(self, items: list) -> Response:
        if not items:
            raise exceptions.ValidationError({"items": [EMPTY_LIST]})
        if len(items) > MAX_ITEMS:
            raise exceptions.ValidationError({"items": [TOO_MANY_ITEMS]})
        validated, errors = [], {}
        for index, item in enumerate(items):
            serializer = self.get_serializer(data=item)
            if serializer.is_valid():
                validated.append(serializer.validated_data)
            else:
                errors[str(index)] = serializer.errors
        if errors:
            raise exceptions.ValidationError({"items": errors})
        try:
            groups = groups_create(items=validated)
        except ItemsValidationError as error:
            raise exceptions.ValidationError({"items": error.items}) from None
        rows = {
            group.pk: group for group in self.get_queryset().filter(pk__in=[g.pk for g in groups])
        }
        context = self.get_serializer_context()
        data = GroupOutputSerializer([rows[g.pk] for g in groups], many=True, context=context).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=GroupInputSerializer, responses=GroupOutputSerializer)
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        group = self.get_object()
        serializer = self.get_serializer(group, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        group = group_update(group=group, data=serializer.validated_data, if_match=self.if_match)
        return Response(self._output(group))

    @extend_schema(request=GroupInputSerializer, responses=GroupOutputSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def perform_destroy(self, instance):
        group_delete(group=instance, if_match=self.if_match)


@extend_schema_view(get=extend_schema(summary="List a group's members"))
class GroupMemberListView(StrictQueryParamsMixin, generics.ListAPIView):
    """The customers in a group (direct members), with their opt-in flag for it."""

    queryset = Customer.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = GroupMemberSerializer
    filterset_class = GroupMemberFilterSet
    ordering_fields = ["id", "email", "first_name", "last_name", "created_at"]
    ordering = ["id"]

    def get_queryset(self):
        # Cached: the permission check asks for the queryset too.
        if not hasattr(self, "_members"):
            group = get_object_or_404(UserGroup.objects.all(), code=self.kwargs["code"])
            self._members = group_member_list(group=group, user=self.request.user)
        return self._members.all()


CUSTOMER_ID = OpenApiParameter("customer_id", int, OpenApiParameter.PATH)
GROUP_CODE = OpenApiParameter("group_code", str, OpenApiParameter.PATH)


@extend_schema(parameters=[CUSTOMER_ID])
@extend_schema_view(
    list=extend_schema(summary="List a customer's memberships"),
    create=extend_schema(summary="Add the customer to a group"),
    retrieve=extend_schema(summary="Get a membership"),
    update=extend_schema(summary="Replace a membership"),
    partial_update=extend_schema(summary="Change some fields of a membership"),
    destroy=extend_schema(summary="Remove the customer from a group"),
)
class MembershipViewSet(
    IdempotentWritesMixin,
    ConditionalMixin,
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A customer's group memberships, by group code."""

    queryset = UserCustomerGroup.objects.none()  # for the schema; requests use get_queryset()
    lookup_field = "group__code"
    lookup_url_kwarg = "group_code"
    ordering_fields = ["created_at", "updated_at"]
    ordering = ["id"]

    def get_customer(self) -> Customer:
        if not hasattr(self, "_customer"):
            customers = customer_list(user=self.request.user)
            self._customer = get_object_or_404(customers, pk=self.kwargs["customer_id"])
        return self._customer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return UserCustomerGroup.objects.none()
        return membership_list(customer=self.get_customer())

    def get_serializer_class(self):
        if self.action == "create":
            return MembershipCreateInputSerializer
        if self.action in ("update", "partial_update"):
            return MembershipUpdateInputSerializer
        return MembershipOutputSerializer

    def _output(self, membership, status_code=status.HTTP_200_OK) -> Response:
        context = self.get_serializer_context()
        return Response(MembershipOutputSerializer(membership, context=context).data, status_code)

    @extend_schema(responses={201: MembershipOutputSerializer})
    def create(self, request, *args, **kwargs):
        customer = self.get_customer()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        membership = membership_create(
            customer=customer,
            group_code=data["group"],
            subscribed=data["subscribed"],
            attributes=data["attributes"],
        )
        return self._output(membership, status.HTTP_201_CREATED)

    @extend_schema(parameters=[GROUP_CODE], responses=MembershipOutputSerializer)
    def update(self, request, *args, **kwargs):
        """The membership as read (its `group` unchanged); fields left out are kept."""
        membership = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = membership_update(
            membership=membership, data=serializer.validated_data, if_match=self.if_match
        )
        return self._output(membership)

    @extend_schema(parameters=[GROUP_CODE], responses=MembershipOutputSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    @extend_schema(parameters=[GROUP_CODE])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(parameters=[GROUP_CODE])
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        membership_delete(membership=instance, if_match=self.if_match)

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            raise exceptions.NotFound("This customer is not a member of that group.") from None
