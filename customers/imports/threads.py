"""A writer thread for imports: batches are written in order on another thread (and database
connection) while the caller reads and checks the next batch, so the database and Python
work at the same time. import_customers runs two of them, import_orders one."""

import queue
import threading
from collections.abc import Callable

from django.db import connection


class BatchWriter:
    """Write batches in order on another thread (and database connection) while the caller
    reads and validates the next batch: the database and Python then work at the same time.

    A daemon thread: when the process is killed or interrupted, its connection closes and
    PostgreSQL rolls back the batch in flight, so only whole batches remain.
    """

    def __init__(self, write: Callable[[object], None], *, name: str = "import-writer"):
        self.write = write
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        # Batches handed over and not yet written (wait() waits for none).
        self.pending = 0
        self.idle = threading.Condition()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while (batch := self.queue.get()) is not None:
                try:
                    self.write(batch)
                finally:
                    with self.idle:
                        self.pending -= 1
                        self.idle.notify_all()
        except BaseException as error:  # noqa: BLE001 - re-raised in the reading thread
            self.error = error
        finally:
            connection.close()
            with self.idle:
                self.idle.notify_all()

    def _put(self, item) -> None:
        while self.thread.is_alive():
            try:
                self.queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def submit(self, batch) -> None:
        self._raise()
        with self.idle:
            self.pending += 1
        self._put(batch)

    def wait(self) -> None:
        """Return once every batch handed over is written (re-raise the thread's error)."""
        with self.idle:
            while self.pending and self.thread.is_alive():
                self.idle.wait(0.5)
        self._raise()

    def close(self, *, quiet: bool = False) -> None:
        """Let the thread finish what it was given; re-raise its error unless quiet."""
        try:
            self._put(None)
        except BaseException:
            if not quiet:
                raise
        self.thread.join()
        if not quiet:
            self._raise()
