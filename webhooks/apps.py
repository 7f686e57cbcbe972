from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from config.outbox import events_written
        from webhooks.dispatch import events_written_receive

        events_written.connect(events_written_receive, dispatch_uid="webhooks.dispatch")
