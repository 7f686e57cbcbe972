"""The seam between the transactional outbox (events) and what consumes it (webhooks).

Neither app imports the other: events sends `events_written` after writing events and
registers the reader of its feed here (events.apps); webhooks listens to the signal and pages
the feed through `outbox_page` (webhooks.apps, webhooks.dispatch).
"""

from collections.abc import Callable

from django.dispatch import Signal

# Sent inside the writing transaction, once per events_emit call that wrote events, with
# `count` (how many). Receivers act on commit (transaction.on_commit), never before.
events_written = Signal()

# (after: cursor text, "" for the feed's start; limit) -> (events as dicts, cursor after them)
FeedReader = Callable[[str, int], tuple[list[dict], str]]

_reader: list[FeedReader] = []

NO_READER = "No outbox feed reader is registered (is the events app installed?)."


def outbox_reader_register(reader: FeedReader) -> None:
    """Make `reader` the feed outbox_page reads (the events app, when it is ready)."""
    _reader[:] = [reader]


def outbox_page(after: str, limit: int) -> tuple[list[dict], str]:
    """The next `limit` committed events after the cursor `after`, in feed order, as plain
    dicts (id, type, channel, object_type, object_id, occurred_at, actor, changed, payload),
    and the cursor to continue from (`after` itself when there are none)."""
    if not _reader:
        raise RuntimeError(NO_READER)
    return _reader[0](after, limit)
