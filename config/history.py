"""Change history for writes that skip model signals (queryset.update, bulk_create).

django-simple-history records every save() and delete() through signals; set-based writes
call these helpers right after, so staff still see who changed what and when.
"""

from collections.abc import Iterable

from django.db import connections, models, router
from django.db.models import QuerySet
from django.utils import timezone
from simple_history.models import HistoricalRecords


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


def history_record_rows(
    model: type[models.Model],
    *,
    ids: list[int],
    created: bool = False,
    user_id: int | None = None,
    reason: str = "",
) -> int:
    """Copy the rows' current state into the model's history table in one INSERT ... SELECT.

    For bulk paths (the import's COPY) where building model instances would cost more than
    the write itself. Returns the number of history rows written.
    """
    if not ids:
        return 0
    historical = model.history.model
    columns = [field.column for field in historical.tracked_fields]
    table, history_table = model._meta.db_table, historical._meta.db_table
    connection = connections[router.db_for_write(historical)]
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        where, params = f"{quote(model._meta.pk.column)} = ANY(%s)", [list(ids)]
    else:
        where, params = f"{quote(model._meta.pk.column)} IN ({', '.join(['%s'] * len(ids))})", ids
    names = ", ".join(quote(column) for column in columns)
    sql = (
        f"INSERT INTO {quote(history_table)} ({names}, history_date, history_change_reason, "
        f"history_type, history_user_id) "
        f"SELECT {names}, %s, %s, %s, %s FROM {quote(table)} WHERE {where}"
    )
    history_type = "+" if created else "~"
    with connection.cursor() as cursor:
        cursor.execute(sql, [timezone.now(), reason or None, history_type, user_id, *params])
        return cursor.rowcount


def history_user_id() -> int | None:
    """The signed-in user of the current request (HistoryRequestMiddleware), if any."""
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None
