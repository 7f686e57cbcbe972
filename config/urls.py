from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config.views import healthz, healthz_live, healthz_ready

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/2fa/", include("accounts.urls")),  # staff two-factor sign-in
    path("healthz/live", healthz_live, name="healthz-live"),
    path("healthz/ready", healthz_ready, name="healthz-ready"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api")),
    path("compat/", include("compat.urls")),
]

# --- operability ---
if settings.METRICS_ENABLED:
    from config.metrics import metrics

    urlpatterns.append(path("metrics", metrics, name="metrics"))

handler400 = "config.views.bad_request"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
