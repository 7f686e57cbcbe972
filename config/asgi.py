import os

from django.core.asgi import get_asgi_application

from config.tracing import tracing_configure

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

tracing_configure()
application = get_asgi_application()
