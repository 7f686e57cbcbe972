"""Writing events: one INSERT ... SELECT per call, inside the caller's transaction.

The apps describe their objects with an EventSource (events imports no app); every write path
calls `events_emit` with the ids it just wrote, one row or a whole import batch alike. The
payload is built by the database from the stored row (SQLite's json_object, PostgreSQL's
row_to_json), so a customer written by the API, the admin or a COPY of 5,000 rows gets
the same payload, and no Python runs per event.
"""

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta

import orjson
from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from config.outbox import events_written
from events.models import Event

SOURCE_API, SOURCE_ADMIN, SOURCE_COMPAT = "api", "admin", "compat"
SOURCE_IMPORT, SOURCE_COMMAND, SOURCE_JOB = "import", "command", "job"


@dataclass(frozen=True)
class Actor:
    """Who made a change: a user (if any) and the entry point it came through."""

    user_id: int | None
    source: str


@dataclass(frozen=True)
class EventSource:
    """How one model's rows become events; SQL expressions use the row's alias `t`.

    `channel_sql`: the row's channel code, over `t` and the tables `channel_joins` joins in
    (joins, not subqueries: a correlated subquery runs once per row, a join is planned for the
    whole batch). `hidden`: fields never in a payload (secrets).
    `tombstone`: the only fields a deletion's (or an anonymization's) payload keeps.
    `children`: (payload key, child source, the child's column naming this row) for rows
    written as part of this one (an order's items).
    `embeds`: the same, for rows written with a new one that its creation event lists instead
    of an event each (a new customer's addresses and memberships): events_emit(embed=True).
    """

    object_type: str
    model: type[models.Model]
    channel_sql: str = "NULL"
    channel_joins: str = ""
    hidden: tuple[str, ...] = ()
    tombstone: tuple[str, ...] = ("id",)
    children: tuple[tuple[str, "EventSource", str], ...] = field(default=())
    embeds: tuple[tuple[str, "EventSource", str], ...] = field(default=())

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def payload_fields(self) -> list[models.Field]:
        return [f for f in self.model._meta.concrete_fields if f.name not in self.hidden]


_actor: ContextVar[Actor | None] = ContextVar("events_actor", default=None)


def _request_actor() -> Actor | None:
    """The actor of the current request (simple-history's middleware keeps it per thread)."""
    request = getattr(HistoricalRecords.context, "request", None)
    if request is None:
        return None
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    path = getattr(request, "path_info", None)
    if path is None:  # a background job acting for the user who started it (no real request)
        return Actor(user_id, SOURCE_JOB)
    source = SOURCE_ADMIN if path.startswith("/admin") else SOURCE_API
    if path.startswith("/compat"):
        source = SOURCE_COMPAT
    return Actor(user_id, source)


def actor_current() -> Actor:
    """The actor events written now name: the one set by actor_use, else the request's,
    else a management command's."""
    return _actor.get() or _request_actor() or Actor(None, SOURCE_COMMAND)


@contextmanager
def actor_use(actor: Actor) -> Iterator[Actor]:
    """Name `actor` on the events written inside the block (a thread writing for another)."""
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def actor_source(source: str) -> Actor:
    """The current actor's user with another source (an import started from a request)."""
    return Actor(actor_current().user_id, source)


def events_enabled() -> bool:
    return getattr(settings, "EVENTS_ENABLED", True)


# --- SQL --------------------------------------------------------------------------------------


def _value_sql(model_field: models.Field, alias: str, vendor: str) -> str:
    column = f"{alias}.{connection.ops.quote_name(model_field.column)}"
    if vendor == "postgresql":
        return column
    if isinstance(model_field, models.BooleanField):
        truth = f"CASE WHEN {column} IS NULL THEN 'null' WHEN {column} THEN 'true' ELSE 'false' END"
        return f"json({truth})"
    if isinstance(model_field, models.JSONField):
        return f"json({column})"
    return column


def _row_json(
    source: EventSource, alias: str, vendor: str, *, tombstone: bool = False, extra=()
) -> tuple[str, str]:
    """(FROM items, expression) of the JSON object of a row of `source` (alias `alias`): its
    stored fields by column name, its children as lists, and `extra` (key, SQL) pairs; a
    tombstone keeps only `source.tombstone`."""
    fields = source.payload_fields()
    if tombstone:
        fields = [f for f in fields if f.name in source.tombstone]
    children = () if tombstone else source.children
    pairs = [(f.attname, _value_sql(f, alias, vendor)) for f in fields]
    pairs += [(key, _children_sql(c, fk, alias, vendor)) for key, c, fk in children]
    pairs += list(extra)
    if vendor != "postgresql":
        return "", "json_object(" + ", ".join(f"'{key}', {value}" for key, value in pairs) + ")"
    # row_to_json of a LATERAL sub-select the planner flattens into the row itself: the
    # fastest JSON PostgreSQL builds from a row (a scalar sub-select would be a subplan run
    # once per row, about a third slower).
    quote = connection.ops.quote_name
    columns = ", ".join(f"{value} AS {quote(key)}" for key, value in pairs)
    return f"CROSS JOIN LATERAL (SELECT {columns}) p_{alias}", f"row_to_json(p_{alias})"


def _children_sql(child: EventSource, fk: str, alias: str, vendor: str) -> str:
    inner = f"c_{child.object_type}"
    lateral, payload = _row_json(child, inner, vendor)
    if vendor == "postgresql":
        return (
            f"(SELECT COALESCE(json_agg({payload} ORDER BY {inner}.id), '[]'::json) "
            f"FROM {child.table} {inner} {lateral} WHERE {inner}.{fk} = {alias}.id)"
        )
    return (
        f"json((SELECT json_group_array({payload}) FROM (SELECT * FROM {child.table} "
        f"WHERE {fk} = {alias}.id ORDER BY id) {inner}))"
    )


def _embedded_join(key: str, child: EventSource, fk: str, vendor: str) -> tuple[str, str]:
    """(LEFT JOIN, value) of the lists of `child` rows of the selected rows: one grouped
    scan of the child table for the whole statement, not a sub-select per row."""
    inner, joined = f"x_{child.object_type}", f"e_{key}"
    lateral, payload = _row_json(child, inner, vendor)
    if vendor == "postgresql":
        items = f"json_agg({payload} ORDER BY {inner}.id)"
        rows = f"{child.table} {inner} {lateral} WHERE {inner}.{fk} IN (SELECT id FROM r)"
        value = f"COALESCE({joined}.items, '[]'::json)"
    else:
        items = f"json_group_array({payload})"
        rows = f"(SELECT * FROM {child.table} WHERE {fk} IN (SELECT id FROM r) ORDER BY id) {inner}"
        value = f"json(COALESCE({joined}.items, '[]'))"
    join = (
        f"LEFT JOIN (SELECT {inner}.{fk} AS parent_id, {items} AS items FROM {rows} "
        f"GROUP BY {inner}.{fk}) {joined} ON {joined}.parent_id = t.id"
    )
    return join, value


def _insert_sql(source: EventSource, *, tombstone: bool, embed: bool = False) -> str:
    """INSERT ... SELECT of one event per selected row; the selection is a JSON object
    {"<id>": [changed names] or null} given as the only parameter after the event's own."""
    vendor = connection.vendor
    if vendor == "postgresql":
        uuid, transaction_id = "gen_random_uuid()", "pg_current_xact_id()::text::bigint"
        selection = "SELECT key::bigint AS id, value FROM jsonb_each(%s::jsonb)"
        changed = "CASE WHEN jsonb_typeof(r.value) = 'array' THEN r.value::json END"
    else:
        # 32 hex digits, Django's UUIDField on SQLite, with the version 4 bits.
        # (random per row: an uncorrelated subquery would be evaluated once per statement).
        uuid = (
            "lower(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) || "
            "substr('89ab', 1 + (abs(random()) & 3), 1) || substr(hex(randomblob(8)), 2))"
        )
        transaction_id = "0"
        selection = "SELECT CAST(key AS INTEGER) AS id, type, value FROM json_each(%s)"
        changed = "CASE WHEN r.type = 'array' THEN r.value END"
    embedded = [_embedded_join(*child, vendor) for child in (source.embeds if embed else ())]
    keys = [key for key, *_ in source.embeds] if embed else []
    lateral, payload = _row_json(
        source,
        "t",
        vendor,
        tombstone=tombstone,
        extra=[(key, value) for key, (_, value) in zip(keys, embedded, strict=True)],
    )
    joins = " ".join(join for join, _ in embedded)
    return (
        f"WITH r AS ({selection}) "
        f"INSERT INTO {Event._meta.db_table} (id, transaction_id, type, channel, object_type, "
        "object_id, occurred_at, actor_user_id, actor_source, changed, payload) "
        f"SELECT {uuid}, {transaction_id}, %s, COALESCE({source.channel_sql}, ''), %s, t.id, "
        f"%s, %s, %s, {changed}, {payload} "
        f"FROM r JOIN {source.table} t ON t.id = r.id {source.channel_joins} {joins} {lateral}"
    )


_SQL_CACHE: dict[tuple, str] = {}


def events_emit(
    source: EventSource,
    event_type: str,
    rows: Iterable[int] | Mapping[int, Iterable[str]],
    *,
    tombstone: bool = False,
    embed: bool = False,
) -> int:
    """Write one `event_type` event per row of `source` (ids, or {id: changed names}) in one
    statement; return how many. Call after writing the rows, or before deleting them
    (`tombstone`: the payload keeps ids only, no personal data). `embed`: the payloads also
    list the rows' `source.embeds` (rows created with them, which get no event of their own)."""
    if not events_enabled():
        return 0
    if isinstance(rows, Mapping):
        selected = {str(pk): sorted(names) for pk, names in sorted(rows.items())}
    else:
        selected = dict.fromkeys(map(str, sorted(rows)))
    if not selected:
        return 0
    # By source, not object type: two sources of one object type may differ in their
    # tombstone (a merge's names the customer it went into).
    key = (connection.vendor, source, tombstone, embed)
    if key not in _SQL_CACHE:
        _SQL_CACHE[key] = _insert_sql(source, tombstone=tombstone, embed=embed)
    actor = actor_current()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [event_type, source.object_type, now, actor.user_id, actor.source]
    with connection.cursor() as cursor:
        cursor.execute(_SQL_CACHE[key], [orjson.dumps(selected).decode(), *params])
        written = cursor.rowcount
    if written:
        # Consumers of the outbox (webhooks) act once the transaction commits.
        events_written.send(sender=Event, count=written)
    return written


def fields_stored(instance: models.Model) -> dict | None:
    """The instance's row as stored, to compare with after a change (None: not saved yet).

    Read from the database, not the instance: the admin hands services instances its form
    has already changed."""
    if instance._state.adding or instance.pk is None:
        return None
    names = [f.attname for f in instance._meta.concrete_fields]
    return type(instance)._default_manager.filter(pk=instance.pk).values(*names).first()


def fields_changed(before: dict, instance: models.Model, *, ignore=("updated_at", "version")):
    """The names of the fields whose value differs from `before` (fields_stored)."""
    return [
        f.name
        for f in instance._meta.concrete_fields
        if f.name not in ignore and getattr(instance, f.attname) != before[f.attname]
    ]


PURGE_BATCH = 10_000


def events_purge(*, days: int) -> int:
    """Delete the events that occurred more than `days` days ago, in batches (short
    transactions, no long lock on the feed); return how many."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    while True:
        batch = list(
            Event.objects.filter(occurred_at__lt=cutoff)
            .order_by("position")
            .values_list("position", flat=True)[:PURGE_BATCH]
        )
        if not batch:
            return deleted
        deleted += Event.objects.filter(position__in=batch).delete()[0]
