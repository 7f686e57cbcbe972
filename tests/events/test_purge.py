"""purge_events deletes events older than the retention, and only those."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers.services import channel_create
from events.models import Event
from tests.imports.helpers import run

pytestmark = pytest.mark.django_db


def _events_aged(days: list[int]) -> list[int]:
    for index, age in enumerate(days):
        channel_create(data={"code": f"c{index}", "name": "C"})
        Event.objects.filter(channel=f"c{index}").update(
            occurred_at=timezone.now() - timedelta(days=age, minutes=1)
        )
    return list(Event.objects.order_by("position").values_list("position", flat=True))


def test_purge_keeps_the_retention_days(settings):
    settings.EVENTS_RETENTION_DAYS = 30
    positions = _events_aged([40, 30, 29, 0])

    code, out, _ = run("purge_events")

    assert code == 0
    assert "Deleted 2 events older than 30 days." in out
    assert (
        list(Event.objects.order_by("position").values_list("position", flat=True))
        == (positions[2:])
    )


def test_purge_days_option_and_refusal():
    _events_aged([3, 1])

    assert run("purge_events", days=2)[0] == 0
    assert Event.objects.count() == 1
    assert run("purge_events", days=-1)[0] == 1
