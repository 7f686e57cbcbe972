from django.urls import path

from accounts import two_factor

urlpatterns = [
    path("", two_factor.verify_view, name="two_factor_verify"),
    path("setup/", two_factor.setup_view, name="two_factor_setup"),
]
