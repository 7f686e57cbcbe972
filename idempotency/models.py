from django.conf import settings
from django.db import models
from django.utils import timezone

KEY_MAX_LENGTH = 255


class IdempotencyKey(models.Model):
    """The first answer to an API write sent with an Idempotency-Key, replayed to its retries.

    The request itself is not kept, only a keyed hash of its body (it may hold a password).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    method = models.CharField(max_length=8)
    # The path with its query string, as the request named it.
    path = models.TextField()
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.BinaryField()
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self):
        return f"{self.key} ({self.method} {self.path} → {self.status})"
