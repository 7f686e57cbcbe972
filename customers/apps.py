from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from simple_history.signals import pre_create_historical_record

        from config.history import history_reason_fill
        from customers.search import fold_register

        connection_created.connect(fold_register, dispatch_uid="customers.fold_register")
        pre_create_historical_record.connect(
            history_reason_fill, dispatch_uid="config.history_reason_fill"
        )


class PatronAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with Patron's site (customers.admin_dashboard); named in
    INSTALLED_APPS, never picked for the customers app itself."""

    default = False
    default_site = "customers.admin_dashboard.PatronAdminSite"
