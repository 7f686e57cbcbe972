import pytest
from django.contrib.auth.models import Permission

from events.models import Event
from tests.conftest import api_client_for, patron_user_create


class Outbox:
    """The events written since the last look, as (type, object_type, object_id, changed)."""

    def __init__(self):
        self.seen = Event.objects.order_by("-position").values_list("position", flat=True).first()
        self.seen = self.seen or 0

    def events(self) -> list[Event]:
        new = list(Event.objects.filter(position__gt=self.seen).order_by("position"))
        if new:
            self.seen = new[-1].position
        return new

    def take(self) -> list[tuple]:
        return [
            (e.type, e.object_type, e.object_id, sorted(e.changed) if e.changed else None)
            for e in self.events()
        ]


@pytest.fixture
def outbox(db):
    return Outbox()


def feed_user_create(username: str, *, channels=()):
    """A Patron user who may also read the feed, limited to `channels` when given."""
    user = patron_user_create(username)
    user.user_permissions.add(Permission.objects.get(codename="view_event"))
    user.api_channels.add(*channels)
    return user


@pytest.fixture
def feed_client(db):
    return api_client_for(feed_user_create("reader"))
