"""Languages, time zones and link templates a channel or a customer may be given.

Model field validators (customers.models uses them), so `full_clean()` in the services, the
API's model serializers and the admin's forms all refuse the same values with the same words.
"""

import string
import zoneinfo
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

INVALID_TIME_ZONE = _("Unknown time zone '{value}': use an IANA name such as 'America/Sao_Paulo'.")
URL_NOT_HTTP = _("Use an http:// or https:// URL with a host name.")
URL_MISSING_PLACEHOLDERS = _("The URL must contain {names}.")
URL_UNKNOWN_PLACEHOLDER = _("Unknown placeholder {name}: use {names}.")
URL_BAD_BRACES = _("Write placeholders as {token}; write a literal brace twice ({{ or }}).")

# What a set-password URL template may contain, and what it must: the token alone does not
# say whose it is, so the customer's id travels with it.
SET_PASSWORD_PLACEHOLDERS = ("channel", "uid", "token", "language")
SET_PASSWORD_REQUIRED = ("uid", "token")


def _braced(*names: str) -> str:
    """ "{uid}, {token}": placeholders as a message names them."""
    return ", ".join("{" + name + "}" for name in names)


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone_validate(value: str) -> None:
    """Refuse a name that is not an IANA time zone (case matters: 'America/Sao_Paulo')."""
    if value not in _time_zones():
        raise ValidationError(INVALID_TIME_ZONE.format(value=value), code="invalid_time_zone")


def default_time_zone() -> str:
    """A new channel's time zone: the server's TIME_ZONE."""
    return settings.TIME_ZONE


def url_template_placeholders(template: str) -> list[str]:
    """The placeholder names of a URL template, in order; ValueError on a stray brace."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def set_password_url_validate(value: str) -> None:
    """Refuse a set-password URL template that is not http(s), lacks {uid} or {token}, or
    names another placeholder. Blank is allowed (the channel then uses PASSWORD_SET_URL)."""
    if not value:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(URL_NOT_HTTP, code="invalid_url")
    try:
        names = url_template_placeholders(value)
    except ValueError:
        raise ValidationError(URL_BAD_BRACES, code="invalid_placeholder") from None
    for name in names:
        if name not in SET_PASSWORD_PLACEHOLDERS:
            message = URL_UNKNOWN_PLACEHOLDER.format(
                name=_braced(name), names=_braced(*SET_PASSWORD_PLACEHOLDERS)
            )
            raise ValidationError(message, code="invalid_placeholder")
    missing = [name for name in SET_PASSWORD_REQUIRED if name not in names]
    if missing:
        message = URL_MISSING_PLACEHOLDERS.format(names=_braced(*missing))
        raise ValidationError(message, code="missing_placeholder")


def language_supported(code: str | None) -> str:
    """The LANGUAGES code to speak for `code` (a customer's or a channel's); the default
    language when blank or not offered."""
    codes = [language for language, _ in settings.LANGUAGES]
    if code in codes:
        return code
    return codes[0] if settings.LANGUAGE_CODE not in codes else settings.LANGUAGE_CODE
