"""API keys: django-rest-knox's hashed tokens, with a name and the time of their last use."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken


class ApiKey(AbstractAuthToken):
    """One API key of a user. Only a SHA-512 digest of the key is stored (knox's `digest`);
    `token_key` holds its first characters, enough to find it and to recognise it in a list."""

    name = models.CharField(max_length=100, verbose_name=_("name"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["user_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="accounts_apikey_user_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key}…)"
