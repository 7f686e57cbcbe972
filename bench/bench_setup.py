"""Django for a bench script run as `python bench/<name>.py`, on the database in DATABASE_URL.

Import it before any app module: it puts the checkout on sys.path and calls django.setup().
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()
