from django.http import HttpResponse
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .plain.api import PlainCustomerViewSet

router = SimpleRouter()
router.register("customers", PlainCustomerViewSet)
urlpatterns = [
    path("healthz", lambda request: HttpResponse("ok")),
    path("", include(router.urls)),
]
