"""The sweep (every SCHEDULER_SWEEP_SECONDS, jobs.schedule): nothing due stays undelivered.

A delivery's task can be lost: its worker killed mid-attempt (the lease runs out with no
outcome written), a broker emptied, a backend that cannot defer retries. Each delivery due
for longer than WEBHOOK_SWEEP_GRACE that no worker holds is queued again; its due time moves
to now, so the next sweep leaves it alone for another grace period. A task queued twice sends
once (delivery_claim). The dispatcher's lost or missing requests are renewed too.
"""

import datetime
import logging

from django.conf import settings
from django.utils import timezone

from webhooks.dispatch import dispatch_resume
from webhooks.selectors import delivery_stranded
from webhooks.tasks import delivery_attempt_task

logger = logging.getLogger(__name__)

SWEEP_LIMIT = 1000


def webhooks_sweep(*, limit: int = SWEEP_LIMIT) -> dict[str, int]:
    """Queue again the deliveries whose task was lost, and a lost dispatch; return counts:
    `requeued` deliveries, `dispatch` 1 when a dispatch was queued."""
    grace = datetime.timedelta(seconds=settings.WEBHOOK_SWEEP_GRACE)
    ids = list(delivery_stranded(grace=grace).values_list("pk", flat=True)[:limit])
    # Still stranded when updated (the conditions again): one claimed meanwhile is left alone.
    delivery_stranded(grace=grace).filter(pk__in=ids).update(
        next_attempt_at=timezone.now(), lease_expires_at=None
    )
    requeued = 0
    for delivery_id in ids:
        try:
            delivery_attempt_task.enqueue(delivery_id)
        except Exception:
            logger.exception("Delivery %s not re-queued; the next sweep tries again.", delivery_id)
            continue
        requeued += 1
    return {"requeued": requeued, "dispatch": int(dispatch_resume(grace=grace))}
