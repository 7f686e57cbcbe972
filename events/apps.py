from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "events"
    verbose_name = _("Change events")

    def ready(self):
        from config.outbox import outbox_reader_register
        from events.selectors import outbox_events

        outbox_reader_register(outbox_events)
