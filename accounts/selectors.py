"""Named reads of API keys."""

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiKey


def api_key_list(*, username: str | None = None) -> QuerySet[ApiKey]:
    """Return the API keys, with their users, of one user or of everyone."""
    keys = ApiKey.objects.select_related("user").order_by("user__username", "name")
    if username is not None:
        keys = keys.filter(user__username=username)
    return keys


def api_key_is_expired(api_key: ApiKey, *, now=None) -> bool:
    """Tell whether the key's expiry has passed (keys without one never expire)."""
    return api_key.expiry is not None and api_key.expiry <= (now or timezone.now())
