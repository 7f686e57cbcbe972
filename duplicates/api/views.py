"""Duplicate candidates (`duplicates/`, `customers/{id}/duplicates/`) and dismissals."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.response import Response

from config.etags import ConditionalMixin
from config.query_params import StrictQueryParamsMixin
from config.rest import INVALID_PAGE, PAGE_OUT_OF_RANGE, ModelPermissions, PagePagination
from config.values import INT64_MAX
from customers.models import Customer
from customers.selectors import customer_list
from duplicates.api.serializers import (
    DuplicateDismissalInputSerializer,
    DuplicateDismissalOutputSerializer,
    DuplicatePairOutputSerializer,
)
from duplicates.selectors import (
    REASONS,
    duplicate_dismissal_list,
    duplicate_pair_customers,
    duplicate_pairs_page,
)
from duplicates.services import duplicate_dismiss, duplicate_dismissal_delete
from idempotency.api import IdempotentWritesMixin

UNKNOWN_CUSTOMERS = _("Unknown customer id(s): {ids}.")
UNKNOWN_REASON = _("Unknown reason; one of: {reasons}.")


class PairPagination(PagePagination):
    """Page numbers over the pairs a selector computes: the page's query also counts them."""

    def paginate_queryset(self, fetch, request, view=None):
        self.request, self.keyset, self.estimated = request, False, False
        self.per_page = self._per_page(request.query_params.get("per_page"))
        self.page = self._page(request.query_params.get("page", 1))
        rows, total = fetch(offset=(self.page - 1) * self.per_page, limit=self.per_page)
        if total is None and self.page > 1:
            raise exceptions.NotFound(PAGE_OUT_OF_RANGE)
        self.count = total or 0
        self.last_page = max(1, -(-self.count // self.per_page))
        self.has_next = self.page < self.last_page
        return rows

    def _page(self, raw) -> int:
        try:
            page = int(raw)
        except (TypeError, ValueError):
            page = 0
        if page < 1:
            raise exceptions.ValidationError({"page": [INVALID_PAGE]})
        return page


class CustomerReadPermissions(ModelPermissions):
    """Candidates show customers: reading them needs `customers.view_customer`."""


class DismissalPermissions(ModelPermissions):
    """Dismissing a pair changes what staff see of the customers: `customers.change_customer`."""

    perms_map = {
        **ModelPermissions.perms_map,
        "POST": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.change_%(model_name)s"],
    }


_FILTERS = [
    OpenApiParameter("channel", str, description="Only pairs of this channel (code)."),
    OpenApiParameter("reason", str, enum=REASONS, description="Only pairs with this reason."),
]


class _PairListMixin(StrictQueryParamsMixin):
    queryset = Customer.objects.none()  # the permissions' model; pairs come from a selector
    permission_classes = [CustomerReadPermissions]
    pagination_class = PairPagination
    serializer_class = DuplicatePairOutputSerializer
    filter_backends: list = []

    def known_query_params(self) -> set[str]:
        return super().known_query_params() | {"channel", "reason"}

    def _pairs_answer(self, request, customer=None):
        reason = request.query_params.get("reason")
        if reason is not None and reason not in REASONS:
            raise exceptions.ValidationError(
                {"reason": [UNKNOWN_REASON.format(reasons=", ".join(REASONS))]}
            )

        def fetch(*, offset, limit):
            return duplicate_pairs_page(
                user=request.user,
                offset=offset,
                limit=limit,
                channel=request.query_params.get("channel"),
                reason=reason,
                customer=customer,
            )

        pairs = self.paginate_queryset(fetch)
        customers = duplicate_pair_customers(pairs)
        data = [
            {
                "channel": customers[pair.customer_ids[0]].channel.code,
                "customers": [customers[pk] for pk in pair.customer_ids],
                "score": pair.score,
                "reasons": list(pair.reasons),
            }
            for pair in pairs
        ]
        return self.get_paginated_response(self.get_serializer(data, many=True).data)


@extend_schema(tags=["Duplicates"])
class DuplicatePairViewSet(_PairListMixin, viewsets.GenericViewSet):
    """Possible duplicates: pairs of customers of one channel, best first."""

    @extend_schema(summary="List duplicate candidate pairs", parameters=_FILTERS)
    def list(self, request):
        return self._pairs_answer(request)


@extend_schema(tags=["Duplicates"])
class CustomerDuplicateViewSet(_PairListMixin, viewsets.GenericViewSet):
    """The duplicate candidates of one customer."""

    @extend_schema(
        summary="List a customer's duplicate candidates",
        parameters=[
            OpenApiParameter("customer_id", int, OpenApiParameter.PATH),
            *_FILTERS,
        ],
    )
    def list(self, request, customer_id):
        customer = get_object_or_404(customer_list(user=request.user), pk=customer_id)
        return self._pairs_answer(request, customer)


@extend_schema(tags=["Duplicates"])
class DuplicateDismissalViewSet(
    IdempotentWritesMixin,
    ConditionalMixin,
    StrictQueryParamsMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Pairs dismissed as "not the same person"; deleting one makes it a candidate again."""

    queryset = Customer.objects.none()  # the permissions' model
    permission_classes = [DismissalPermissions]
    serializer_class = DuplicateDismissalOutputSerializer
    filter_backends: list = []

    lookup_value_regex = r"[0-9]+"

    def get_object(self):
        pk = int(self.kwargs["pk"])
        if pk > INT64_MAX:  # no row has it (and the database could not compare it)
            raise Http404
        return get_object_or_404(duplicate_dismissal_list(user=self.request.user), pk=pk)

    @extend_schema(
        summary="Dismiss a pair",
        request=DuplicateDismissalInputSerializer,
        responses={
            201: DuplicateDismissalOutputSerializer,
            200: DuplicateDismissalOutputSerializer,
        },
    )
    def create(self, request):
        body = DuplicateDismissalInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = body.validated_data["customers"]
        found = customer_list(user=request.user).in_bulk(ids)
        if missing := sorted(set(ids) - set(found)):
            raise exceptions.ValidationError(
                {"customers": [UNKNOWN_CUSTOMERS.format(ids=", ".join(map(str, missing)))]}
            )
        dismissal, created = duplicate_dismiss(
            customers=(found[ids[0]], found[ids[1]]), user=request.user
        )
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.get_serializer(dismissal).data, status=answer)

    @extend_schema(
        summary="Undo a dismissal", parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)]
    )
    def destroy(self, request, pk=None):
        duplicate_dismissal_delete(dismissal=self.get_object(), if_match=self.if_match)
        return Response(status=status.HTTP_204_NO_CONTENT)
