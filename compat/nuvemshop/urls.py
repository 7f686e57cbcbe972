"""URL routes of the nuvemshop dialect: Nuvemshop's paths, with or without a trailing slash."""

from django.urls import path

from compat.nuvemshop.views import NuvemshopCustomerSlashViewSet, NuvemshopCustomerViewSet

LIST_ACTIONS = {"get": "list", "post": "create"}
DETAIL_ACTIONS = {"get": "retrieve", "put": "update"}

urlpatterns = [
    path(
        "v1/<slug:channel>/customers",
        NuvemshopCustomerViewSet.as_view(LIST_ACTIONS),
        name="nuvemshop-customer-list",
    ),
    path("v1/<slug:channel>/customers/", NuvemshopCustomerSlashViewSet.as_view(LIST_ACTIONS)),
    path(
        "v1/<slug:channel>/customers/<int:id>",
        NuvemshopCustomerViewSet.as_view(DETAIL_ACTIONS),
        name="nuvemshop-customer-detail",
    ),
    path(
        "v1/<slug:channel>/customers/<int:id>/",
        NuvemshopCustomerSlashViewSet.as_view(DETAIL_ACTIONS),
    ),
]
