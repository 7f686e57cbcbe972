from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MergesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "merges"
    verbose_name = _("Merges")
