from django.apps import AppConfig


class EventsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "events"
    verbose_name = "Change events"

    def ready(self):
        from config.outbox import outbox_reader_register
        from events.selectors import outbox_events

        outbox_reader_register(outbox_events)
