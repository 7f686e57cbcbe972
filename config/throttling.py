"""Request throttles; their counters live in Django's default cache (Redis when CACHE_URL says so).

Several app servers must share one cache for the limits to hold across them: a local-memory
cache counts per process.
"""

import hashlib

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


class ApiUserThrottle(UserRateThrottle):
    """API_THROTTLE_RATE requests per API user (per client IP before authentication)."""

    scope = "api_user"


class CustomerAuthThrottle(SimpleRateThrottle):
    """AUTH_THROTTLE_RATE sign-in attempts per channel and e-mail, whoever sends them.

    Every attempt counts, successful ones too: the check runs before the password is, so the
    429 reveals nothing about earlier attempts. The key is a hash of channel and lower-cased,
    trimmed e-mail, so the cache never holds an address. A body without both fields is not
    throttled here (the view answers 400; the per-user throttle still applies).
    """

    scope = "customer_auth"

    def get_cache_key(self, request, view):
        data = request.data  # a malformed body raises its 400 here
        if not isinstance(data, dict):
            return None
        channel, email = data.get("channel"), data.get("email")
        if not isinstance(channel, str) or not isinstance(email, str):
            return None
        ident = f"{channel.strip()}\n{email.strip().lower()}".encode()
        return self.cache_format % {
            "scope": self.scope,
            "ident": hashlib.sha256(ident).hexdigest(),
        }
