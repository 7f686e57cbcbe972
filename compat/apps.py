from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompatConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compat"
    verbose_name = _("Platform dialects")
