"""URL routes of the omnitron dialect: Omnitron's paths, with or without the trailing slash."""

from django.urls import re_path

from compat.omnitron.views import OmnitronCustomerViewSet

customers = OmnitronCustomerViewSet.as_view({"get": "list", "post": "create"})
customer = OmnitronCustomerViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update"}
)

urlpatterns = [
    re_path(r"^api/v1/customers/?$", customers, name="omnitron-customer-list"),
    re_path(r"^api/v1/customers/(?P<pk>[^/]+)/?$", customer, name="omnitron-customer-detail"),
]
