from django.contrib import admin
from django.urls import include, path

from config.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/2fa/", include("accounts.urls")),  # staff two-factor sign-in
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api")),
    path("compat/", include("compat.urls")),
]

handler400 = "config.views.bad_request"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
