"""GET → change one writable field → PUT the whole body back, for any resource.

The fields come from the serializers' declarations and each new value from the field's
type, so a field added to a representation is covered without touching the tests; a type
with no rule here fails loudly instead of being skipped.
"""

import datetime
from decimal import Decimal

from rest_framework import serializers

# Change on every write (the optimistic-concurrency token, when present): not compared.
CHANGING = ("updated_at", "version")


def leaf_paths(serializer: serializers.Serializer, *, skip=(), prefix="") -> dict[str, object]:
    """{dotted path: field} of a serializer's fields, nested objects and the first item of
    nested lists opened; names in `skip` (at any depth, as `name` or `path`) left out."""
    paths = {}
    for name, field in serializer.fields.items():
        path = f"{prefix}{name}"
        if name in skip or path in skip:
            continue
        if isinstance(field, serializers.ListSerializer):
            paths.update(leaf_paths(field.child, skip=skip, prefix=f"{path}.0."))
        elif isinstance(field, serializers.Serializer):
            paths.update(leaf_paths(field, skip=skip, prefix=f"{path}."))
        else:
            paths[path] = field
    return paths


def writable_paths(serializer: serializers.Serializer, *, skip=()) -> dict[str, object]:
    """leaf_paths of the fields a write takes (not read-only)."""
    return {
        path: field
        for path, field in leaf_paths(serializer, skip=skip).items()
        if not field.read_only
    }


def changed(field, value):
    """A valid value unlike `value`, from the serializer field's type."""
    if isinstance(field, serializers.BooleanField):
        return not value
    if isinstance(field, serializers.ChoiceField):
        return next(choice for choice in field.choices if choice != value)
    if isinstance(field, serializers.DecimalField):
        return f"{Decimal(value) + 1:.{field.decimal_places}f}"
    if isinstance(field, serializers.IntegerField):
        return value + 1
    if isinstance(field, serializers.DateTimeField):
        moved = datetime.datetime.fromisoformat(value) + datetime.timedelta(days=1)
        return moved.isoformat().replace("+00:00", "Z")
    if isinstance(field, serializers.JSONField):
        return {**value, "changed": True}
    if isinstance(field, serializers.SlugField):
        return f"{value}-2"
    if isinstance(field, serializers.CharField):
        return "Changed" if value != "Changed" else "Changed again"
    raise AssertionError(f"No change rule for a {type(field).__name__}: add one here.")


def path_get(body, path: str):
    for part in path.split("."):
        body = body[int(part)] if isinstance(body, list) else body[part]
    return body


def path_set(body, path: str, value) -> None:
    *parents, last = path.split(".")
    for part in parents:
        body = body[int(part)] if isinstance(body, list) else body[part]
    if isinstance(body, list):
        body[int(last)] = value
    else:
        body[last] = value


def stable(body: dict) -> dict:
    """The representation without what every write changes."""
    return {name: value for name, value in body.items() if name not in CHANGING}
