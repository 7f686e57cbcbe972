"""Change history for writes that skip model signals (queryset.update, bulk_create).

django-simple-history records every save() and delete() through signals; set-based writes
call these helpers right after, so staff still see who changed what and when.

Every history row also names its source in `history_change_reason` (history_reason_current):
"admin", "API (<key name>)", "import (<file>)", "job (<job>)" or "command".
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace

from django.contrib.auth.models import AnonymousUser
from django.db import connections, models
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from config.sql import id_array


def history_record(*, objects: Iterable[models.Model], created: bool = False) -> None:
    """Write one historical row per object as it is now ("+" if created, else "~")."""
    objects = list(objects)
    if not objects:
        return
    # The user comes from the request (HistoryRequestMiddleware), as for a save().
    type(objects[0]).history.bulk_history_create(
        objects, update=not created, default_change_reason=history_reason_current()
    )


def queryset_update_with_history(queryset: QuerySet, **values) -> int:
    """Run queryset.update(**values) and record the new state of every updated row."""
    return rows_update_with_history(
        queryset.model, list(queryset.values_list("pk", flat=True)), **values
    )


def rows_update_with_history(model, ids: list, **values) -> int:
    """Update the rows of `model` with these primary keys and record their new state; for
    callers that already hold the ids (no second query to list them)."""
    if not ids:
        return 0
    rows = model._default_manager.filter(pk__in=ids)
    count = rows.update(**values)
    history_record(objects=rows.order_by("pk"))
    return count


def history_record_queryset(
    queryset: QuerySet,
    *,
    created: bool = False,
    user_id: int | None = None,
    reason: str = "",
) -> int:
    """Copy the current state of the queryset's rows into their history table in one
    INSERT ... SELECT; return the number of history rows written.

    For bulk paths (the import's COPY) where building model instances would cost more than
    the write itself; the rows never leave the database.
    """
    historical = queryset.model.history.model
    fields = historical.tracked_fields
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    rows_sql, rows_params = (
        queryset.order_by().values_list(*(f.attname for f in fields)).query.sql_with_params()
    )
    names = ", ".join(quote(f.column) for f in fields)
    sql = (
        f"INSERT INTO {quote(historical._meta.db_table)} ({names}, history_date, "
        f"history_change_reason, history_type, history_user_id) "
        f"SELECT rows.*, %s, %s, %s, %s FROM ({rows_sql}) rows"
    )
    reason = reason or history_reason_current()
    params = [timezone.now(), reason, "+" if created else "~", user_id, *rows_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def history_record_ids(
    model: type[models.Model],
    ids: list[int],
    *,
    created: bool = False,
    user_id: int | None = None,
    reason: str = "",
) -> int:
    """history_record_queryset for the rows with these ids (one array, not a placeholder
    per id, on PostgreSQL)."""
    if not ids:
        return 0
    if connections[model.objects.db].vendor == "postgresql":
        rows = model.objects.filter(
            RawSQL("id = ANY(%s::bigint[])", [id_array(ids)], output_field=models.BooleanField())
        )
    else:
        rows = model.objects.filter(pk__in=ids)
    return history_record_queryset(rows, created=created, user_id=user_id, reason=reason)


def history_user_id() -> int | None:
    """The signed-in user of the current request (HistoryRequestMiddleware), if any."""
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


REASON_LENGTH = 100  # simple-history's history_change_reason column
# The sources as staff read them; the stored value stays English (a record, read by tools).
HISTORY_SOURCES = {
    "admin": _("admin"),
    "API": _("API"),
    "import": _("import"),
    "job": _("job"),
    "command": _("command"),
}
SOURCE_WITH_NAME = _("{source} ({name})")


def history_reason_label(reason: str | None) -> str:
    """A history row's source in the active language: "importação (clientes.csv)" for
    "import (clientes.csv)". The name in brackets (an API key's, a file's, a job's) and any
    other reason (a merge's) are shown as stored."""
    if not reason:
        return "-"
    word, bracket, rest = reason.partition(" (")
    if word not in HISTORY_SOURCES:
        return reason
    if not bracket:
        return str(HISTORY_SOURCES[word])
    return SOURCE_WITH_NAME.format(source=HISTORY_SOURCES[word], name=rest.removesuffix(")"))


def history_reason_current() -> str:
    """Where the change being recorded comes from: "admin", "API (<key name>)" for the API
    and the dialects, the reason a background job gave (history_user_as), else "command"."""
    request = getattr(HistoricalRecords.context, "request", None)
    if request is None:
        return "command"
    path = getattr(request, "path_info", None)
    if path is None:  # a background job (history_user_as)
        return getattr(request, "history_reason", "job")
    if path.startswith("/admin"):
        return "admin"
    # DRF puts the API key that authenticated the request on Django's request too.
    key_name = getattr(getattr(request, "auth", None), "name", "")
    return f"API ({key_name})"[:REASON_LENGTH] if key_name else "API"


def history_reason_fill(sender, *, history_instance, **kwargs) -> None:
    """simple-history's pre_create_historical_record receiver: name the source of a save()
    that gave no reason of its own."""
    if not history_instance.history_change_reason:
        history_instance.history_change_reason = history_reason_current()


@contextmanager
def history_user_as(user, *, reason: str = "job") -> Iterator[None]:
    """Record the changes made inside as `user`'s, as if done in their request (a background
    job runs on a worker, with no request, for the staff member who started it), with
    `reason` as their source."""
    missing = object()
    previous = getattr(HistoricalRecords.context, "request", missing)
    HistoricalRecords.context.request = SimpleNamespace(
        user=user or AnonymousUser(), history_reason=reason[:REASON_LENGTH]
    )
    try:
        yield
    finally:
        if previous is missing:
            del HistoricalRecords.context.request
        else:
            HistoricalRecords.context.request = previous
