"""Overwrite protection: rows whose customer was edited after the file was made.

An export carries each customer's `updated_at` and `version`. A row carrying them that
updates a customer now at a later version (or, without a version, a later updated_at) was
exported before someone edited that customer: importing it would overwrite the edit. The
preview warns of such rows; `if_unchanged_since` rejects them instead, comparing with each
row's own stamp ("row") or with one date and time for the whole file.
"""

import datetime

from django.utils.translation import gettext_lazy as _

from customers.imports.rows import CleanRow, datetime_clean
from customers.models import Customer

# if_unchanged_since="row": each row's own updated_at/version.
SINCE_ROW = "row"
SINCE_INVALID = _(
    'Give a date and time in ISO 8601 (for example 2026-12-01T09:00:00Z), or "row" to use '
    "each row's updated_at and version."
)
NEWER_EDITS = _(
    "Would overwrite newer edits: this customer was changed at {changed_at} (version "
    "{version}), after {since}."
)


def unchanged_since_parse(text: str | None) -> str | datetime.datetime | None:
    """ "row", an aware datetime, or None (no check) from an option's text; raise ValueError
    with SINCE_INVALID otherwise."""
    if text is None or not str(text).strip():
        return None
    if str(text).strip().lower() == SINCE_ROW:
        return SINCE_ROW
    try:
        return datetime_clean(text)
    except ValueError:
        raise ValueError(SINCE_INVALID) from None


def _iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _since_row(row: CleanRow, updated_at, version) -> str | None:
    """What the row's stamp says the customer was when it was exported, if it changed since."""
    stamp = row.stamp
    if stamp is None:
        return None
    if stamp.version is not None:
        return f"this row's version {stamp.version}" if version > stamp.version else None
    if stamp.updated_at is not None and updated_at > stamp.updated_at:
        return f"this row's updated_at {_iso(stamp.updated_at)}"
    return None


def rows_newer_edits(
    rows: list[CleanRow], *, since: str | datetime.datetime
) -> dict[tuple[int, str], str]:
    """Return {row.key: message} for the rows whose customer changed after `since`: each
    row's own stamp (SINCE_ROW; rows without one pass) or a datetime. One query."""
    if since == SINCE_ROW:
        rows = [row for row in rows if row.stamp is not None]
    if not rows:
        return {}
    stored = Customer.objects.filter(
        channel_id__in={row.channel_id for row in rows}, email__in={row.email for row in rows}
    ).values_list("channel_id", "email", "updated_at", "version")
    found = {(channel_id, email): rest for channel_id, email, *rest in stored}
    newer = {}
    for row in rows:
        if row.key not in found:
            continue
        updated_at, version = found[row.key]
        if since == SINCE_ROW:
            after = _since_row(row, updated_at, version)
        else:
            after = _iso(since) if updated_at > since else None
        if after is not None:
            newer[row.key] = NEWER_EDITS.format(
                changed_at=_iso(updated_at), version=version, since=after
            )
    return newer
