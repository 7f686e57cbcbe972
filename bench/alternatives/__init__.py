"""The alternatives bench/compare.py measures Patron against, over Patron's own tables.

Nothing here is part of Patron: `drf_*` is a plain DRF project (unmanaged models on the same
tables), `raw_wsgi` the raw floor (one SQL query + orjson), `imports` the django-import-export
and `update_or_create` importers.
"""
