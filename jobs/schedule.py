"""The periodic work of a Patron installation, run by `manage.py run_scheduler`.

Every SCHEDULER_SWEEP_SECONDS: the sweep, which re-queues webhook deliveries and dispatches
whose task was lost (webhooks.sweep) and fails the jobs whose worker stopped
(jobs_stale_fail). Every hour: the purges, events past EVENTS_RETENTION_DAYS, finished
deliveries past WEBHOOK_DELIVERY_RETENTION_DAYS, import uploads no job took past
IMPORT_PREVIEW_RETENTION_HOURS, and the files of jobs finished past JOB_FILE_RETENTION_DAYS.
Each piece is idempotent, so two schedulers running at once (a deployment overlap) do no
harm, only twice the work.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, connection

from events.services import events_purge
from jobs.services import job_files_purge, jobs_stale_fail, uploads_purge
from webhooks.services import deliveries_purge
from webhooks.sweep import webhooks_sweep

logger = logging.getLogger(__name__)

PURGE_SECONDS = 3600


def sweep() -> dict:
    """Re-queue lost webhook work and fail the jobs whose worker stopped."""
    return {**webhooks_sweep(), "stale_jobs": jobs_stale_fail()}


def purge() -> dict:
    """Delete the events and finished deliveries past their retention, the import uploads no
    job took (previewed only) with the previews' reports, and the files of jobs finished past
    theirs."""
    return {
        "events": events_purge(days=settings.EVENTS_RETENTION_DAYS),
        "deliveries": deliveries_purge(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS),
        "uploads": uploads_purge(hours=settings.IMPORT_PREVIEW_RETENTION_HOURS),
        "job_files": job_files_purge(days=settings.JOB_FILE_RETENTION_DAYS),
    }


@dataclass
class Entry:
    name: str
    run: Callable[[], dict]
    every: float
    due: float = 0.0  # monotonic time of the next run (0: at once)


def schedule() -> list[Entry]:
    return [
        Entry("sweep", sweep, settings.SCHEDULER_SWEEP_SECONDS),
        Entry("purge", purge, PURGE_SECONDS),
    ]


def _connections_refresh() -> None:
    """Drop broken or expired connections between runs (a long-lived process), never one
    holding a transaction (a caller's, or a test's)."""
    if not connection.in_atomic_block:
        close_old_connections()


def entry_run(entry: Entry) -> dict | None:
    """Run one entry; a failure is logged (and the next run tries again), never raised."""
    _connections_refresh()
    try:
        outcome = entry.run()
    except Exception:
        logger.exception("Scheduled %s failed; it runs again in %g s.", entry.name, entry.every)
        return None
    finally:
        _connections_refresh()
    logger.info("Scheduled %s: %s", entry.name, outcome)
    return outcome


def scheduler_run(*, once: bool = False, stop: threading.Event | None = None) -> dict:
    """Run every entry when due until `stop` is set (or once each, with `once`); return the
    last outcome of each entry by name."""
    stop = stop or threading.Event()
    entries = schedule()
    outcomes: dict[str, dict | None] = {}
    while not stop.is_set():
        now = time.monotonic()
        for entry in entries:
            if entry.due <= now:
                outcomes[entry.name] = entry_run(entry)
                entry.due = time.monotonic() + entry.every
        if once:
            break
        stop.wait(max(0.0, min(entry.due for entry in entries) - time.monotonic()))
    return outcomes
