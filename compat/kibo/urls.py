"""URL routes of the kibo dialect: Kibo's paths after /compat/kibo/{channel}/, each with or
without its trailing slash; any other path under /compat/kibo/ is a JSON 404."""

from django.urls import re_path

from compat.kibo import views

# Any channel text reaches the views, which answer an unknown one with a JSON 404.
_CHANNEL = r"^(?P<channel>[^/]+)/api/v2/"
_ORDER = _CHANNEL + r"order/(?P<orderID>[0-9]+)/"
_ITEM = _ORDER + r"item/(?P<itemID>[0-9]+)/"

urlpatterns = [
    re_path(_CHANNEL + r"customer/?$", views.KiboCustomerSearchView.as_view()),
    re_path(
        _CHANNEL + r"customer/(?P<customerID>[0-9]+)/?$",
        views.KiboCustomerView.as_view(),
        name="kibo-customer",
    ),
    re_path(_ORDER + r"customData/?$", views.KiboOrderCustomDataListView.as_view()),
    re_path(
        _ORDER + r"customData/(?P<orderCustomDataID>[0-9]+)/?$",
        views.KiboOrderCustomDataDetailView.as_view(),
    ),
    re_path(_ITEM + r"customData/?$", views.KiboOrderItemCustomDataListView.as_view()),
    re_path(
        _ITEM + r"customData/(?P<orderCustomDataID>[0-9]+)/?$",
        views.KiboOrderItemCustomDataDetailView.as_view(),
    ),
    re_path(r"", views.not_found),
]
