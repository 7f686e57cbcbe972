"""Idempotency keys: claim a key for a request, store its answer, find it for a retry, purge.

A request and its key live in one transaction (the caller's): the key is claimed, the write
runs, the answer is stored, and all of it commits or none of it does. So a crash half-way
leaves nothing behind that could make a retry write twice or wait for ever.
"""

import hashlib
import json
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from idempotency.models import KEY_MAX_LENGTH, IdempotencyKey

KEY_HEADER = "Idempotency-Key"
KEY_LIFETIME = timedelta(hours=24)
KEY_INVALID = format_lazy(
    _("Send 1 to {max} printable ASCII characters (a random UUID, for example)."),
    max=KEY_MAX_LENGTH,
)
KEY_IN_USE = _("A request with this Idempotency-Key is still running; retry once it has finished.")
KEY_REUSED_ROUTE = _(
    "This Idempotency-Key was first used for {method} {path}; send a new key for another request."
)
KEY_REUSED_BODY = _(
    "This Idempotency-Key was first used with another body; send a new key for another request."
)
_PRINTABLE_ASCII = frozenset(map(chr, range(0x20, 0x7F)))
# Answers that ask the client to try again are not kept, so that the retry runs: a server
# error, a write that lost a race (409) and throttling (429).
_NOT_KEPT_STATUSES = frozenset({409, 429})


class IdempotencyKeyInUse(Exception):
    """Another transaction holds the key: its request is still running."""


class IdempotencyKeyReused(Exception):
    """The key was first used for another request (route or body); the message says which."""


def idempotency_key_clean(raw: str) -> str:
    """Return the key sent in the header; raise ValidationError naming the header if unusable."""
    key = raw.strip()
    if not 1 <= len(key) <= KEY_MAX_LENGTH or not set(key) <= _PRINTABLE_ASCII:
        raise ValidationError({KEY_HEADER: [KEY_INVALID]})
    return key


def idempotency_request_hash(data) -> str:
    """Hash a parsed JSON body: the same JSON with other whitespace or key order is the same.

    Keyed with SECRET_KEY: a body may hold a password, which a plain SHA-256 stored beside the
    answer would expose to a dictionary attack by anyone who can read the table.
    """
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return salted_hmac(KEY_HEADER, canonical, algorithm="sha256").hexdigest()


def _key_lock(*, user_id: int, key: str) -> None:
    """Hold the key until the transaction ends; raise IdempotencyKeyInUse if another has it.

    On SQLite nothing to do: the transaction (BEGIN IMMEDIATE) holds the database's single
    write lock, so a second request with the key waits for the first, then finds its answer.
    """
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"{user_id}\n{key}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(%s)",
            [int.from_bytes(digest[:8], "big", signed=True)],
        )
        if not cursor.fetchone()[0]:
            raise IdempotencyKeyInUse(KEY_IN_USE)


def idempotency_key_claim(
    *, user, key: str, method: str, path: str, request_hash: str
) -> IdempotencyKey | None:
    """Claim the key for this request, inside the caller's transaction; return the stored
    answer to replay, or None when the request is to run (new key, or one past 24 hours).

    Raise IdempotencyKeyInUse while another request with the key runs, and
    IdempotencyKeyReused when the key was first used for another route or body.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("Claim an idempotency key inside the request's transaction.")
    _key_lock(user_id=user.pk, key=key)
    stored = IdempotencyKey.objects.filter(user=user, key=key).first()
    if stored is None:
        return None
    if stored.created_at <= timezone.now() - KEY_LIFETIME:
        stored.delete()
        return None
    if (stored.method, stored.path) != (method, path):
        raise IdempotencyKeyReused(KEY_REUSED_ROUTE.format(method=stored.method, path=stored.path))
    if stored.request_hash != request_hash:
        raise IdempotencyKeyReused(KEY_REUSED_BODY)
    return stored


def idempotency_answer_keepable(status: int) -> bool:
    """Whether an answer with this status is kept for retries (not 5xx, 409 or 429)."""
    return status < 500 and status not in _NOT_KEPT_STATUSES


def idempotency_answer_store(
    *,
    user,
    key: str,
    method: str,
    path: str,
    request_hash: str,
    status: int,
    body: bytes,
    headers: dict[str, str],
) -> IdempotencyKey:
    """Keep the answer to a claimed key, in the transaction that wrote what it reports."""
    return IdempotencyKey.objects.create(
        user=user,
        key=key,
        method=method,
        path=path,
        request_hash=request_hash,
        status=status,
        body=body,
        headers=headers,
    )


def idempotency_keys_purge(*, now=None) -> int:
    """Delete the keys older than 24 hours (they replay no more); return how many."""
    cutoff = (now or timezone.now()) - KEY_LIFETIME
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=cutoff).delete()
    return deleted
