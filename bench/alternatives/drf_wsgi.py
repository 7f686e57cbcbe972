"""WSGI entry of the plain DRF project: `gunicorn bench.alternatives.drf_wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.alternatives.drf_settings"
application = get_wsgi_application()
