"""Request throttles; their state lives in Django's default cache (Redis when CACHE_URL says so).

Several app servers must share one cache for the limits to hold across them: a local-memory
cache counts per process.

The per-user API rate, N per period, is a bucket of N requests that refills evenly, one every
period / N (the generic cell rate algorithm, GCRA: Shopify's leaky bucket, redis-cell): a
caller may send N at once, then one per period / N. Its whole state is one number per caller,
the time its bucket is empty again: a float read and written per request, however busy the
caller. DRF's own throttles keep the time of every request in the period instead: at the
default 6000/min a busy caller's list was 6,000 floats, unpickled, grown and written back
(~70 KB) on every request. The sign-in throttle keeps DRF's exact count (never more than its
rate in any period, which a guesser must not beat; its list holds at most that rate, 10).

Answers tell clients their budget in the IETF draft's RateLimit-Limit, RateLimit-Remaining and
RateLimit-Reset headers (draft-ietf-httpapi-ratelimit-headers): no `X-` prefix (RFC 6648), and
the reset is the seconds from now until the budget holds one more request (on a 429, the
same as Retry-After), so a client's clock does not matter.
"""

import hashlib
import math

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

# Floating-point slack when dividing the bucket into requests (6000/min: 0.01 s each).
_EPSILON = 1e-9


def _report(view, *, allowed: bool, limit: int, remaining: int, reset: int) -> None:
    """Put a throttle's budget in the answer's RateLimit-* headers (DRF's view.headers). Of
    two throttles, a refusal reports before an allowance, then the longer wait."""
    rank = (not allowed, reset)
    reported = getattr(view, "rate_limit_rank", None)
    if reported is not None and rank <= reported:
        return
    view.rate_limit_rank = rank
    view.headers["RateLimit-Limit"] = str(limit)
    view.headers["RateLimit-Remaining"] = str(remaining)
    view.headers["RateLimit-Reset"] = str(reset)


class CellRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle's rate as a bucket that refills evenly; the cache holds one float per
    key (see the module's docstring). Keys differ from DRF's (`rate_…`), so a history list
    DRF's throttles left in the cache is never read as a bucket."""

    cache_format = "rate_%(scope)s_%(ident)s"

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        self.interval = self.duration / self.num_requests
        stored = self.cache.get(self.key)
        empty_at = max(stored, self.now) if isinstance(stored, float | int) else self.now
        after = empty_at + self.interval
        allowed = after - self.now <= self.duration + _EPSILON
        if allowed:
            self.cache.set(self.key, after, math.ceil(after - self.now))
            self.used = after - self.now
        else:
            self.used = empty_at - self.now
        reset = max(1, math.ceil(self.wait()))
        _report(view, allowed=allowed, limit=self.num_requests, remaining=self._room(), reset=reset)
        return allowed

    def _room(self) -> int:
        """Requests the bucket holds now (after this request, if it was allowed)."""
        return max(0, math.floor((self.duration - self.used) / self.interval + _EPSILON))

    def wait(self) -> float:
        """Seconds until the bucket holds one more request than now."""
        return max(0.0, self.used + (self._room() + 1) * self.interval - self.duration)


class RateLimitHeadersMixin:
    """Puts a DRF throttle's budget (its list of request times) in the RateLimit-* headers.

    A throttle that refuses the request always reports, and of two refusals the longer wait;
    otherwise only a throttle with `reports_allowance` does.
    """

    reports_allowance = True

    def allow_request(self, request, view):
        allowed = super().allow_request(request, view)
        history = getattr(self, "history", None)
        if history is not None and (self.reports_allowance or not allowed):
            oldest = history[-1] if history else self.now
            _report(
                view,
                allowed=allowed,
                limit=self.num_requests,
                remaining=max(0, self.num_requests - len(history)),
                reset=max(1, math.ceil(self.duration - (self.now - oldest))),
            )
        return allowed


class ApiUserThrottle(CellRateThrottle, UserRateThrottle):
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
