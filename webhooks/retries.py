"""When a failed delivery is tried again: exponential backoff with jitter over three days.

The first two retries come within 30 seconds of the first attempt (a receiver restarting or a
brief network fault costs little delay); then the waits grow to 8 hours and stay there until
the retry span (WEBHOOK_RETRY_SPAN, 3 days) is over. WEBHOOK_RETRY_SCHEDULE replaces the
waits (a test's receiver, a deployment that wants other ones).
"""

import random

from django.conf import settings

# The default WEBHOOK_RETRY_SCHEDULE: seconds before retry n (1-based: BASE_DELAYS[0]
# follows the first attempt).
BASE_DELAYS = (5, 20, 120, 600, 1800, 3600, 7200, 14400, 28800)
# Each wait is its base delay times a factor in [1 - JITTER, 1 + JITTER], so receivers that
# failed together are not all retried in the same second.
JITTER = 0.2


def retry_delay(attempt: int, rng: random.Random) -> float:
    """Return the seconds to wait after failed attempt number `attempt` (1 = the first)."""
    delays = getattr(settings, "WEBHOOK_RETRY_SCHEDULE", None) or BASE_DELAYS
    base = delays[min(max(attempt, 1), len(delays)) - 1]
    return base * rng.uniform(1 - JITTER, 1 + JITTER)
