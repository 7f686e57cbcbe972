from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CustomersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "customers"
    verbose_name = "Customers"

    def ready(self):
        from customers.search import fold_register

        connection_created.connect(fold_register, dispatch_uid="customers.fold_register")
