"""An import command's input and its progress: a file or stdin (`-`), read through a byte
counter, and the progress on stderr that counter feeds.

On a terminal the progress is a tqdm bar (tqdm: a dependency already, well kept, and it
handles terminal widths, rates and ETA smoothing that a hand-written bar would have to
copy): bytes read of the file's size, rows, rate and ETA. Elsewhere (a log, a pipe) a plain
line every PLAIN_EVERY seconds says the same, so a cron log is not flooded.
"""

import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import IO

from django.core.management.base import CommandError

STDIN = "-"
UNREADABLE = "Cannot read {path!r}: {error}"
PLAIN_EVERY = 10.0
# Bytes read from the file at a time: few Python-level reads through the counter.
_BUFFER = 1 << 16
PLAIN_LINE = "{rows:,} rows read{share} in {seconds:.0f} s ({rate:,.0f} rows/s{eta})."


class _ByteCounter(io.RawIOBase):
    """A binary stream that counts the bytes read through it and, given `copy`, keeps them
    there (stdin, read again for the error report)."""

    def __init__(self, raw, copy: IO[bytes] | None = None):
        super().__init__()
        self.raw = raw
        self.copy = copy
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.count += size
        if self.copy is not None and size:
            self.copy.write(data)
        return size


class ImportInput:
    """The text of an import's file or stdin, how many bytes of it were read, its size (None
    for stdin) and, once read, the same text again (`reopen`, for the error report)."""

    def __init__(self, stack: ExitStack, path: str, *, stdin=None, keep: bool = False):
        self.stack = stack
        self.path = path
        self.copy = None
        if path == STDIN:
            raw = stdin if stdin is not None else sys.stdin.buffer
            self.size = None
            if keep:
                self.copy = stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115
        else:
            raw = self._open(path)
            self.size = os.fstat(raw.fileno()).st_size
        self.counter = _ByteCounter(raw, self.copy)
        self.text = self._text(io.BufferedReader(self.counter, buffer_size=_BUFFER))

    def _open(self, path: str):
        try:
            return self.stack.enter_context(open(path, "rb"))  # noqa: SIM115
        except OSError as error:
            raise CommandError(UNREADABLE.format(path=path, error=error), returncode=2) from None

    def _text(self, binary) -> io.TextIOWrapper:
        # A UTF-8 BOM is dropped; newline="" leaves line ends to the CSV reader.
        return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")

    def rows_expected(self, rows_read: int) -> int | None:
        """The file's rows, estimated from the rows read so far and the bytes they took (a
        little low: the reader reads ahead); None for stdin, whose size is unknown."""
        if not self.size or not self.counter.count:
            return None
        return int(rows_read * self.size / self.counter.count)

    def reopen(self) -> io.TextIOWrapper:
        """The whole input again, from its start."""
        if self.copy is None:
            return self.stack.enter_context(self._text(self._open(self.path)))
        self.copy.seek(0)
        return self._text(self.copy)


class _TerminalBar:
    """A tqdm bar on the terminal: bytes of the file's size, with rows in its postfix."""

    def __init__(self, stderr, total: int | None, unit: str):
        from tqdm import tqdm

        self.unit = unit
        self.bar = tqdm(
            total=total, unit="B", unit_scale=True, unit_divisor=1024, file=stderr, leave=True
        )

    def update(self, rows: int, read: int) -> None:
        self.bar.set_postfix_str(f"{rows:,} {self.unit}", refresh=False)
        self.bar.update(read - self.bar.n)

    def close(self) -> None:
        self.bar.close()


class _PlainLines:
    """A line on stderr every PLAIN_EVERY seconds (a log, a pipe: no bar)."""

    def __init__(self, stderr, total: int | None, clock: Callable[[], float]):
        self.stderr, self.total, self.clock = stderr, total, clock
        self.started = self.last = clock()

    def update(self, rows: int, read: int) -> None:
        now = self.clock()
        if now - self.last < PLAIN_EVERY:
            return
        self.last = now
        self.stderr.write(progress_line(rows, read, self.total, now - self.started))

    def close(self) -> None:
        pass


def progress_line(rows: int, read: int, total: int | None, seconds: float) -> str:
    """Rows read, the share of the file and the time left (when its size is known)."""
    share = eta = ""
    if total:
        fraction = min(read / total, 1.0)
        share = f", {fraction:.0%} of {total / 1e6:,.1f} MB"
        if fraction > 0:
            eta = f", about {seconds * (1 - fraction) / fraction:,.0f} s left"
    rate = rows / seconds if seconds else 0.0
    return PLAIN_LINE.format(rows=rows, share=share, seconds=seconds, rate=rate, eta=eta)


class _TextOut:
    """A management command's OutputWrapper as a plain text stream (no added line ends or
    colours), for tqdm."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, style_func=str, ending="")

    def flush(self) -> None:
        self.wrapper.flush()

    def isatty(self) -> bool:
        return self.wrapper.isatty()

    # tqdm draws Unicode blocks for a UTF-8 terminal and sizes the bar to its width.
    @property
    def encoding(self) -> str | None:
        return getattr(self.wrapper, "encoding", None)

    def fileno(self) -> int:
        return self.wrapper.fileno()


class ImportProgress:
    """The import's progress on stderr, fed after each batch with the rows done so far."""

    def __init__(self, stderr, source: ImportInput, *, unit: str = "rows", clock=time.monotonic):
        self.source = source
        out = _TextOut(stderr)
        if out.isatty():
            self.shown = _TerminalBar(out, source.size, unit)
        else:
            self.shown = _PlainLines(stderr, source.size, clock)

    def update(self, rows: int) -> None:
        self.shown.update(rows, self.source.counter.count)

    def close(self) -> None:
        self.shown.close()
