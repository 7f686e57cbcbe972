"""The /api/v1/ router and the OpenAPI schema, Swagger UI and ReDoc routes."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from customers.api.views import ChannelViewSet, CustomerAddressViewSet, CustomerViewSet
from events.api import EventViewSet
from groups.api.views import GroupMemberListView, GroupViewSet, MembershipViewSet
from orders.api.views import OrderCustomDataViewSet, OrderItemCustomDataViewSet, OrderViewSet
from webhooks.api.views import WebhookDeliveryViewSet, WebhookViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("channels", ChannelViewSet, basename="channel")
router.register("customers", CustomerViewSet, basename="customer")
router.register(
    r"customers/(?P<customer_id>[0-9]+)/addresses", CustomerAddressViewSet, basename="address"
)
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

memberships = MembershipViewSet.as_view({"get": "list", "post": "create"})
membership = MembershipViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("groups/<slug:code>/members/", GroupMemberListView.as_view(), name="group-members"),
    path("customers/<int:customer_id>/memberships/", memberships, name="customer-memberships-list"),
    path(
        "customers/<int:customer_id>/memberships/<slug:group_code>/",
        membership,
        name="customer-memberships-detail",
    ),
    path("", include(router.urls)),
]
