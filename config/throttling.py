"""Request throttles; their counters live in Django's default cache (Redis when CACHE_URL says so).

Several app servers must share one cache for the limits to hold across them: a local-memory
cache counts per process.

Answers tell clients their budget in the IETF draft's RateLimit-Limit, RateLimit-Remaining and
RateLimit-Reset headers (draft-ietf-httpapi-ratelimit-headers): no `X-` prefix (RFC 6648), and
the reset in seconds from now like Retry-After, so a client's clock does not matter.
"""

import hashlib
import math

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


class RateLimitHeadersMixin:
    """Puts the throttle's budget in the answer's RateLimit-* headers (DRF's view.headers).

    A throttle that refuses the request always reports, and of two refusals the longer wait;
    otherwise only a throttle with `reports_allowance` does.
    """

    reports_allowance = True

    def allow_request(self, request, view):
        allowed = super().allow_request(request, view)
        history = getattr(self, "history", None)
        if history is not None and (self.reports_allowance or not allowed):
            self._report(view, allowed, history)
        return allowed

    def _report(self, view, allowed: bool, history: list) -> None:
        oldest = history[-1] if history else self.now
        reset = max(1, math.ceil(self.duration - (self.now - oldest)))
        rank = (not allowed, reset)  # a refusal first, then the longer wait
        reported = getattr(view, "rate_limit_rank", None)
        if reported is not None and rank <= reported:
            return
        view.rate_limit_rank = rank
        view.headers["RateLimit-Limit"] = str(self.num_requests)
        view.headers["RateLimit-Remaining"] = str(max(0, self.num_requests - len(history)))
        view.headers["RateLimit-Reset"] = str(reset)


class ApiUserThrottle(RateLimitHeadersMixin, UserRateThrottle):
    """API_THROTTLE_RATE requests per API user (per client IP before authentication)."""

    scope = "api_user"


class CustomerAuthThrottle(RateLimitHeadersMixin, SimpleRateThrottle):
    """AUTH_THROTTLE_RATE sign-in attempts per channel and e-mail, whoever sends them.

    Every attempt counts, successful ones too: the check runs before the password is, so the
    429 reveals nothing about earlier attempts. The key is a hash of channel and lower-cased,
    trimmed e-mail, so the cache never holds an address. A body without both fields is not
    throttled here (the view answers 400; the per-user throttle still applies). Its budget is
    reported on a refusal only: an allowed attempt's count would tell how often others tried
    that e-mail.
    """

    scope = "customer_auth"
    reports_allowance = False

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
