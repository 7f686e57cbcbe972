"""POST /api/v1/customers/merge/, and /api/v1/merges/ (list, detail, undo)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from config.query_params import StrictQueryParamsMixin
from customers.api.serializers import CustomerSerializer
from idempotency.api import IdempotentWritesMixin
from merges.api.serializers import (
    CustomerMergeInputSerializer,
    MergeMovesSerializer,
    MergeOutputSerializer,
)
from merges.models import Merge
from merges.selectors import merge_list
from merges.services import MergeUndoRefused, customer_merge, merge_undo

MERGE_PERMISSION = "customers.merge_customer"


class MergePermission(permissions.BasePermission):
    """Merging and undoing (and reading merges) need customers.merge_customer."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(MERGE_PERMISSION))


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_code = "gone"


MERGE_RESULT = inline_serializer(
    "CustomerMergeOutput",
    {
        "merge": serializers.IntegerField(allow_null=True, help_text="null for a dry run."),
        "dry_run": serializers.BooleanField(),
        "customer": CustomerSerializer(),
        "moves": MergeMovesSerializer(),
    },
)


class CustomerMergeView(IdempotentWritesMixin, StrictQueryParamsMixin, APIView):
    permission_classes = [MergePermission]

    @extend_schema(
        tags=["Merges"],
        summary="Merge customers into one (or preview it)",
        description="Moves the merged customers' orders, addresses (deduplicated) and "
        "memberships to the kept customer; the merged ones then answer 404 with "
        "`merged_into`, and their ids and e-mails stand for the kept one in upserts and "
        "orders. `dry_run` writes nothing and answers the resulting customer.",
        request=CustomerMergeInputSerializer,
        responses={200: MERGE_RESULT, 400: OpenApiResponse(description="Names the field.")},
    )
    def post(self, request):
        data = CustomerMergeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = customer_merge(**data.validated_data, user=request.user)
        customer = CustomerSerializer(outcome.customer, context={"request": request}).data
        body = {
            "merge": outcome.merge.pk if outcome.merge is not None else None,
            "dry_run": outcome.merge is None,
            "customer": customer,
            "moves": outcome.moves,
        }
        return Response(body)


class MergeViewSet(IdempotentWritesMixin, StrictQueryParamsMixin, viewsets.ReadOnlyModelViewSet):
    """The merges of the channels the user sees, newest first; one can be undone."""

    queryset = Merge.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = MergeOutputSerializer
    permission_classes = [MergePermission]
    filter_backends = []

    def get_queryset(self):
        return merge_list(user=self.request.user)

    @extend_schema(
        tags=["Merges"],
        summary="Undo a merge",
        request=None,
        responses={
            200: MergeOutputSerializer,
            409: OpenApiResponse(description="Undone already, or the kept customer merged since."),
            410: OpenApiResponse(description="Older than MERGE_UNDO_DAYS."),
        },
    )
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        try:
            outcome = merge_undo(merge=self.get_object(), user=request.user)
        except MergeUndoRefused as refused:
            raise (Gone if refused.gone else Conflict)(refused.message) from refused
        return Response(self.get_serializer(outcome.merge).data)
