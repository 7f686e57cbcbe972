from django.apps import AppConfig


class MergesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "merges"
