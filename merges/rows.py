"""Rows as JSON and back: what a merge's snapshot holds, and how its undo writes it again.

A snapshot keeps every stored column (`attname`) of a row exactly: datetimes with their
microseconds, decimals as text, so that the undo gives back the same bytes on the API.
"""

import datetime
from decimal import Decimal

from django.db import connection, models
from django.utils.dateparse import parse_datetime

from config.history import history_record_ids


def value_jsonable(value):
    """A stored value as JSON: datetimes and dates in ISO 8601 (all digits), decimals as text."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def rows_stored(model: type[models.Model], **lookups) -> list[dict]:
    """The rows of `model` matching `lookups`, by id, each {attname: JSON value}."""
    names = [f.attname for f in model._meta.concrete_fields]
    rows = model._default_manager.filter(**lookups).order_by("pk").values(*names)
    return [{name: value_jsonable(value) for name, value in row.items()} for row in rows]


def _python(model: type[models.Model], row: dict) -> dict:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    return {name: fields[name].to_python(value) for name, value in row.items()}


def rows_restore(model: type[models.Model], rows: list[dict], *, user_id, reason: str) -> dict:
    """Write the snapshot rows back exactly (every column, version and updated_at too):
    update the ones that still exist, insert the others with their ids. Record their
    history; return {"updated": [ids], "created": [ids]}."""
    existing = set(
        model._default_manager.filter(pk__in=[row["id"] for row in rows]).values_list(
            "pk", flat=True
        )
    )
    done: dict[str, list[int]] = {"updated": [], "created": []}
    for row in rows:
        values = _python(model, row)
        pk = values.pop("id")
        if pk not in existing:
            # auto_now would stamp updated_at: the UPDATE below writes the stored one.
            model._default_manager.bulk_create([model(pk=pk, **values)])
        model._default_manager.filter(pk=pk).update(**values)
        done["created" if pk not in existing else "updated"].append(pk)
    for kind, ids in done.items():
        history_record_ids(model, ids, created=kind == "created", user_id=user_id, reason=reason)
    return done


def sql_datetime(text: str):
    """A snapshot's ISO datetime as the database stores it, for raw SQL parameters."""
    value = parse_datetime(text)
    adapted = connection.ops.adapt_datetimefield_value(value)
    return adapted.isoformat() if isinstance(adapted, datetime.datetime) else adapted
