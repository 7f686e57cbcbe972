"""Row versions for optimistic concurrency: the ETag of an answer, If-Match on a write.

Every resource row has a `version` column: 1 when created, one more each time what the API
shows of it changes (a customer's also when its addresses or memberships change). The API
sends it as the strong ETag `"<version>"` and as `version` in list items. A write sent with
If-Match proceeds only from a version it names, checked by `version_check` on the row locked
inside the write's transaction, so that of two writers sent with the same If-Match exactly one
wins.
"""

from dataclasses import dataclass

from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

VERSION_CHANGED = _(
    "This object has changed since the version given in If-Match; read it again and retry."
)
ANY = "*"


class PreconditionFailed(Exception):
    """The stored version is not one the request's If-Match accepts (412; nothing written)."""

    def __init__(self, message: str = VERSION_CHANGED):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class EntityTags:
    """The entity tags of an If-Match or If-None-Match header: versions, or any (`*`)."""

    versions: frozenset[int] = frozenset()
    any: bool = False

    def match(self, version: int | None) -> bool:
        """Tell whether the header accepts a row at this version (None: no such row)."""
        return version is not None and (self.any or version in self.versions)


def version_next() -> models.Expression:
    """The `version` a write sets: one more, counted by the database (two writers of one row
    never write the same number)."""
    return F("version") + 1


def etag(version: int) -> str:
    """The ETag header value of a row at this version."""
    return f'"{version}"'


def entity_tags_parse(header: str | None) -> EntityTags | None:
    """Read an If-Match / If-None-Match header; None when it is absent or blank.

    A `W/` prefix is ignored: a proxy that compresses answers may weaken the ETag, and the
    version names the row's state either way. A tag that is not a version matches nothing.
    """
    if header is None or not header.strip():
        return None
    versions = set()
    for tag in header.split(","):
        tag = tag.strip()
        if tag == ANY:
            return EntityTags(any=True)
        tag = tag.removeprefix("W/").strip('"')
        if tag.isascii() and tag.isdigit():
            versions.add(int(tag))
    return EntityTags(frozenset(versions))


def version_check(model: type[models.Model], pk, if_match: EntityTags | None) -> None:
    """Lock the row and raise PreconditionFailed unless `if_match` accepts its version.

    Call inside the write's transaction, before writing: the lock (and SQLite's IMMEDIATE
    transactions) makes a concurrent writer wait and then see the version this one wrote.
    Without If-Match (None) nothing is checked or locked.
    """
    if if_match is None:
        return
    rows = model._default_manager.select_for_update().filter(pk=pk)
    if not if_match.match(rows.values_list("version", flat=True).first()):
        raise PreconditionFailed


def versions_bump(queryset: models.QuerySet) -> int:
    """Count one more change on every row of the queryset (locking them); return how many."""
    return queryset.update(version=version_next())


def version_save(instance: models.Model, **save_kwargs) -> None:
    """save() the instance, one version higher when it exists already; read the new version."""
    if instance._state.adding:
        instance.save(**save_kwargs)
        return
    instance.version = version_next()
    instance.save(**save_kwargs)
    instance.refresh_from_db(fields=["version"])
