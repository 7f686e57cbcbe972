"""Change history for writes that skip model signals (queryset.update, bulk_create).

django-simple-history records every save() and delete() through signals; set-based writes
call these helpers right after, so staff still see who changed what and when.
"""

from collections.abc import Iterable

from django.db import models
from django.db.models import QuerySet


def history_record(*, objects: Iterable[models.Model], created: bool = False) -> None:
    """Write one historical row per object as it is now ("+" if created, else "~")."""
    objects = list(objects)
    if not objects:
        return
    # The user comes from the request (HistoryRequestMiddleware), as for a save().
    type(objects[0]).history.bulk_history_create(objects, update=not created)


def queryset_update_with_history(queryset: QuerySet, **values) -> int:
    """Run queryset.update(**values) and record the new state of every updated row."""
    ids = list(queryset.values_list("pk", flat=True))
    if not ids:
        return 0
    rows = queryset.model._default_manager.filter(pk__in=ids)
    count = rows.update(**values)
    history_record(objects=rows.order_by("pk"))
    return count
