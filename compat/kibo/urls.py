"""URL routes of the kibo dialect: Kibo's paths after /compat/kibo/{channel}/, each with or
without its trailing slash."""

from django.urls import re_path

from compat.kibo import views

_CHANNEL = r"^(?P<channel>[-\w]+)/api/v2/"
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
]
