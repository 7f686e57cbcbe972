from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from config.outbox import events_written
        from webhooks.dispatch import events_written_receive

        events_written.connect(events_written_receive, dispatch_uid="webhooks.dispatch")
