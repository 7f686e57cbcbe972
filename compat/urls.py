"""The /compat/ routes: one prefix per platform dialect."""

from django.urls import include, path

urlpatterns = [
    path("nuvemshop/", include("compat.nuvemshop.urls")),
    path("kibo/", include("compat.kibo.urls")),
    path("omnitron/", include("compat.omnitron.urls")),
    path("xml/", include("compat.xml.urls")),
]
