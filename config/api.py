"""The /api/v1/ router, its root, and the OpenAPI schema, Swagger UI and ReDoc routes."""

import re

from django.urls import include, path
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import DefaultRouter
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from config.docs import RedocView, SwaggerView
from config.query_params import StrictQueryParamsMixin
from customers.api.views import ChannelViewSet, CustomerAddressViewSet, CustomerViewSet
from duplicates.api.views import (
    CustomerDuplicateViewSet,
    DuplicateDismissalViewSet,
    DuplicatePairViewSet,
)
from events.api import EventViewSet
from groups.api.views import GroupMemberListView, GroupViewSet, MembershipViewSet
from merges.api.views import CustomerMergeView, MergeViewSet
from orders.api.views import OrderCustomDataViewSet, OrderItemCustomDataViewSet, OrderViewSet
from webhooks.api.views import WebhookDeliveryViewSet, WebhookViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("channels", ChannelViewSet, basename="channel")
router.register("customers", CustomerViewSet, basename="customer")
router.register(
    r"customers/(?P<customer_id>[0-9]+)/addresses", CustomerAddressViewSet, basename="address"
)
router.register(
    r"customers/(?P<customer_id>[0-9]+)/duplicates",
    CustomerDuplicateViewSet,
    basename="customer-duplicate",
)
router.register("duplicates/dismissals", DuplicateDismissalViewSet, basename="duplicate-dismissal")
router.register("duplicates", DuplicatePairViewSet, basename="duplicate")
router.register("orders", OrderViewSet, basename="order")
router.register(
    r"orders/(?P<order_id>[0-9]+)/custom-data", OrderCustomDataViewSet, basename="order-custom-data"
)
router.register(
    r"orders/(?P<order_id>[0-9]+)/items/(?P<item_id>[0-9]+)/custom-data",
    OrderItemCustomDataViewSet,
    basename="order-item-custom-data",
)
router.register("groups", GroupViewSet, basename="group")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register(
    r"webhooks/(?P<subscription_id>[0-9]+)/deliveries",
    WebhookDeliveryViewSet,
    basename="webhook-delivery",
)
router.register("events", EventViewSet, basename="event")
router.register("merges", MergeViewSet, basename="merge")

memberships = MembershipViewSet.as_view({"get": "list", "post": "create"})
membership = MembershipViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)

# Routes outside the router, by the name the root lists them under.
_ROUTES = {
    "memberships": "customers/{customer_id}/memberships/",
    "group-members": "groups/{code}/members/",
}
_URL_ARGUMENT = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def _resource_paths() -> dict[str, str]:
    """Every collection of the API (a route that lists) by its name, as a path template
    under /api/v1/."""
    paths = {
        basename: _URL_ARGUMENT.sub(r"{\1}", prefix) + "/"
        for prefix, viewset, basename in router.registry
        if hasattr(viewset, "list")
    }
    return {**paths, **_ROUTES}


class ApiRootView(StrictQueryParamsMixin, APIView):
    """The API's entry point: its collections (as URL templates) and its manual."""

    permission_classes = [permissions.IsAuthenticated]

    def known_query_params(self) -> set[str]:
        return {api_settings.URL_FORMAT_OVERRIDE} - {None}

    @extend_schema(
        summary="List the API's resources",
        tags=["API"],
        responses=inline_serializer(
            "ApiRootOutput",
            {
                "resources": serializers.DictField(
                    child=serializers.CharField(),
                    help_text="Each collection's URL; `{name}` parts stand for an id or code.",
                ),
                "schema": serializers.URLField(),
                "docs": serializers.URLField(),
                "redoc": serializers.URLField(),
            },
        ),
    )
    def get(self, request, *args, **kwargs):
        root = reverse("api-root", request=request)
        manual = {name: reverse(name, request=request) for name in ("schema", "docs", "redoc")}
        resources = {name: root + template for name, template in _resource_paths().items()}
        return Response({"resources": resources, **manual})


urlpatterns = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="schema"), name="docs"),
    path("redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("groups/<slug:code>/members/", GroupMemberListView.as_view(), name="group-members"),
    # Before the router: its customers/{id}/ route would take "merge" for an id.
    path("customers/merge/", CustomerMergeView.as_view(), name="customer-merge"),
    path("customers/<int:customer_id>/memberships/", memberships, name="customer-memberships-list"),
    path(
        "customers/<int:customer_id>/memberships/<slug:group_code>/",
        membership,
        name="customer-memberships-detail",
    ),
    path("", include(router.urls)),
]
