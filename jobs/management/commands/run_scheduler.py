"""manage.py run_scheduler: the periodic sweep and purges (jobs.schedule)."""

import signal
import threading

from django.core.management.base import BaseCommand

from jobs.schedule import scheduler_run


class Command(BaseCommand):
    help = (
        "Run the periodic work: every SCHEDULER_SWEEP_SECONDS the sweep (webhook deliveries "
        "and dispatches whose task was lost are queued again, jobs whose worker stopped are "
        "failed); every hour the purges (old events, old finished deliveries, uploads never "
        "imported, the files of jobs finished past JOB_FILE_RETENTION_DAYS). Run one beside "
        "the workers; SIGTERM or Ctrl-C stops it between runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Run the sweep and the purges once, then exit."
        )

    def handle(self, *args, once=False, **options):
        stop = threading.Event()
        if not once:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
            self.stdout.write("Scheduler running (SIGTERM or Ctrl-C stops it).")
        outcomes = scheduler_run(once=once, stop=stop)
        for name, outcome in outcomes.items():
            if outcome is None:
                self.stderr.write(f"{name}: failed (see the log)")
            else:
                details = ", ".join(f"{key} {value}" for key, value in outcome.items())
                self.stdout.write(f"{name}: {details}")
