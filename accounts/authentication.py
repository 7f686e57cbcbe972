"""API key authentication (django-rest-knox), in each header form Patron accepts."""

import binascii
from hmac import compare_digest

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework import exceptions

from accounts.selectors import api_key_is_expired, api_keys_of_prefix
from accounts.services import api_key_record_use

INVALID_KEY = _("Invalid token.")
EXPIRED_KEY = _("Token has expired.")
# Keys are printable ASCII (knox's prefix and hex digits); anything else cannot be one, and
# must not reach the database (NUL) or the hash (lone surrogates).
MAX_KEY_LENGTH = 200


def _key_text(raw: bytes | str) -> str:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(INVALID_KEY) from None
    if not raw.isascii() or not raw.isprintable() or len(raw) > MAX_KEY_LENGTH:
        raise exceptions.AuthenticationFailed(INVALID_KEY)
    return raw


class ApiKeyAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`. Unlike knox's own check, an expired key is refused but
    kept (it still shows in `api_keys list`), no other key of the user is read, and the key's
    last use is recorded (at most one write a minute)."""

    def authenticate_credentials(self, token):
        key = _key_text(token)
        now = timezone.now()
        # From the primary even on a replica-read request: a key revoked or created a moment
        # ago must count at once, whatever a replica's lag.
        candidates = api_keys_of_prefix(key[: CONSTANTS.TOKEN_KEY_LENGTH], using=DEFAULT_DB_ALIAS)
        for api_key in candidates:
            try:
                digest = hash_token(key)
            except (TypeError, binascii.Error):
                break
            if not compare_digest(digest, api_key.digest):
                continue
            if api_key_is_expired(api_key, now=now):
                raise exceptions.AuthenticationFailed(EXPIRED_KEY)
            user, api_key = self.validate_user(api_key)
            api_key_record_use(api_key=api_key, now=now)
            return user, api_key
        raise exceptions.AuthenticationFailed(INVALID_KEY)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The schema's `tokenAuth`, as it was with DRF's tokens."""

    target_class = ApiKeyAuthentication
    name = "tokenAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Token-based authentication with required prefix "Token"',
        }
