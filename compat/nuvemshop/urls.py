"""URL routes of the nuvemshop dialect: Nuvemshop's paths, with or without a trailing slash.

The channel and the id take any text, so that an unknown one is the view's JSON 404 (Django's
own 404 page is HTML outside /api/).
"""

from django.urls import path

from compat.nuvemshop.views import NuvemshopCustomerSlashViewSet, NuvemshopCustomerViewSet

LIST_ACTIONS = {"get": "list", "post": "create"}
DETAIL_ACTIONS = {"get": "retrieve", "put": "update"}

urlpatterns = [
    path(
        "v1/<str:channel>/customers",
        NuvemshopCustomerViewSet.as_view(LIST_ACTIONS),
        name="nuvemshop-customer-list",
    ),
    path("v1/<str:channel>/customers/", NuvemshopCustomerSlashViewSet.as_view(LIST_ACTIONS)),
    path(
        "v1/<str:channel>/customers/<str:id>",
        NuvemshopCustomerViewSet.as_view(DETAIL_ACTIONS),
        name="nuvemshop-customer-detail",
    ),
    path(
        "v1/<str:channel>/customers/<str:id>/",
        NuvemshopCustomerSlashViewSet.as_view(DETAIL_ACTIONS),
    ),
]
