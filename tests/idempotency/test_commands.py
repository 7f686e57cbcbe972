from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from idempotency.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def _key(user, key: str, age: timedelta) -> IdempotencyKey:
    return IdempotencyKey.objects.create(
        user=user,
        key=key,
        method="POST",
        path="/api/v1/customers/",
        request_hash="0" * 64,
        status=201,
        body=b"{}",
        created_at=timezone.now() - age,
    )


def test_purge_deletes_the_keys_older_than_24_hours(api_user):
    # given
    _key(api_user, "old", timedelta(hours=24, seconds=1))
    _key(api_user, "older", timedelta(days=3))
    _key(api_user, "recent", timedelta(hours=23, minutes=59))
    out = StringIO()

    # when
    call_command("purge_idempotency_keys", stdout=out)
    call_command("purge_idempotency_keys", stdout=out)

    # then: run twice, the second finds nothing more
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["recent"]
    assert out.getvalue().splitlines() == [
        "Deleted 2 expired idempotency keys.",
        "Deleted 0 expired idempotency keys.",
    ]
