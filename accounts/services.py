"""Every write to API keys: create (the key is shown once), revoke, record a use."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiKey

LAST_USE_RESOLUTION = timedelta(minutes=1)
NAME_REQUIRED = _("Give the key a name.")
NAME_TAKEN = _("This user already has a key named {name!r}.")
NAME_TOO_LONG = _("Names are at most 100 characters.")
BAD_EXPIRY = _("The lifetime is a whole number of days, at least 1.")
UNKNOWN_KEY = _("No key named {name!r} for user {username!r}.")


def api_key_default_lifetime() -> timedelta | None:
    """Return the lifetime of new keys (API_KEY_EXPIRY_DAYS; 0 means they never expire)."""
    days = settings.API_KEY_EXPIRY_DAYS
    return timedelta(days=days) if days else None


def api_key_validate(*, user, name: str, expires_in_days: int | None = None) -> str:
    """Check a new key's name and lifetime (ValidationError naming the field); return the
    trimmed name."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": NAME_REQUIRED})
    if len(name) > ApiKey._meta.get_field("name").max_length:
        raise ValidationError({"name": NAME_TOO_LONG})
    if expires_in_days is not None and expires_in_days < 1:
        raise ValidationError({"expires_in_days": BAD_EXPIRY})
    if ApiKey.objects.filter(user=user, name=name).exists():
        raise ValidationError({"name": NAME_TAKEN.format(name=name)})
    return name


def api_key_create(*, user, name: str, expires_in_days: int | None = None) -> tuple[ApiKey, str]:
    """Create a named key for the user; return (api_key, key). The key itself is not stored:
    this is the only time it can be shown."""
    with transaction.atomic():
        name = api_key_validate(user=user, name=name, expires_in_days=expires_in_days)
        lifetime = (
            timedelta(days=expires_in_days) if expires_in_days else api_key_default_lifetime()
        )
        return ApiKey.objects.create(user=user, expiry=lifetime, name=name)


def api_key_replace(*, user, name: str) -> tuple[ApiKey, str]:
    """Revoke the user's key of that name, if any, and create a new one; return (api_key, key)."""
    with transaction.atomic():
        ApiKey.objects.filter(user=user, name=name).delete()
        return api_key_create(user=user, name=name)


def api_key_revoke(*, username: str, name: str) -> None:
    """Delete the user's key of that name: requests with it are refused from now on."""
    deleted, _ = ApiKey.objects.filter(user__username=username, name=name).delete()
    if not deleted:
        raise ValidationError({"name": UNKNOWN_KEY.format(name=name, username=username)})


def api_key_record_use(*, api_key: ApiKey, now: datetime) -> None:
    """Remember when the key was last used, writing at most once a minute per key."""
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USE_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


TOTP_DEVICE_NAME = "authenticator app"


def totp_device_start(*, user):
    """Return the user's unconfirmed authenticator device, making one (a new secret) if none:
    staff scan its QR code, then confirm it with a code (totp_device_confirm)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def totp_device_confirm(*, device, token: str) -> bool:
    """Confirm the device if the code is right (its first use); tell whether it was."""
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True
