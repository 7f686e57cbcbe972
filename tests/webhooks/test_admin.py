"""The webhooks admin: the secret shown once, the delivery log, the redeliver action."""

import pytest
from django.contrib.messages import get_messages
from django.test import override_settings
from django.utils import timezone

from tests.webhooks.conftest import Answer, event, subscription_for
from webhooks.addresses import NOT_PUBLIC
from webhooks.models import Delivery, DeliveryAttempt, Subscription
from webhooks.services import deliveries_enqueue

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.216.34/hooks"
SUBSCRIPTIONS = "/admin/webhooks/subscription/"
DELIVERIES = "/admin/webhooks/delivery/"


def test_pages_answer(admin_client):
    subscription = subscription_for(PUBLIC_URL)
    [delivery] = deliveries_enqueue(events=[event()])
    for url in (
        SUBSCRIPTIONS,
        f"{SUBSCRIPTIONS}?q=93.184",
        f"{SUBSCRIPTIONS}add/",
        f"{SUBSCRIPTIONS}{subscription.pk}/change/",
        DELIVERIES,
        f"{DELIVERIES}?status__exact=pending",
        f"{DELIVERIES}?q={delivery.event_id}",
        f"{DELIVERIES}{delivery.pk}/change/",
    ):
        assert admin_client.get(url).status_code == 200, url


def test_adding_shows_the_secret_once(admin_client):
    # when
    response = admin_client.post(
        f"{SUBSCRIPTIONS}add/",
        {"url": PUBLIC_URL, "description": "ERP", "event_types": '["customer.*"]'},
        follow=True,
    )
    # then
    subscription = Subscription.objects.get()
    assert subscription.event_types == ["customer.*"]
    assert subscription.secret.startswith("whsec_")
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(subscription.secret in message for message in shown)
    change = admin_client.get(f"{SUBSCRIPTIONS}{subscription.pk}/change/")
    assert subscription.secret not in change.content.decode()
    assert subscription.secret_hint in change.content.decode()


def test_adding_refuses_a_private_url_on_the_field(admin_client):
    response = admin_client.post(
        f"{SUBSCRIPTIONS}add/", {"url": "http://169.254.169.254/", "event_types": '["*"]'}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "url": [NOT_PUBLIC.format(kind="link-local")]
    }
    assert not Subscription.objects.exists()


def test_the_delivery_page_shows_the_attempt_log(admin_client):
    subscription_for(PUBLIC_URL)
    [delivery] = deliveries_enqueue(events=[event()])
    DeliveryAttempt.objects.create(
        delivery=delivery,
        started_at=timezone.now(),
        status_code=418,
        latency_ms=321,
        response_excerpt="short and stout",
    )
    page = admin_client.get(f"{DELIVERIES}{delivery.pk}/change/").content.decode()
    for shown in ("418", "321", "short and stout"):
        assert shown in page


def test_the_delivery_changelist_query_count_is_constant(admin_client, django_assert_num_queries):
    subscription_for(PUBLIC_URL)
    deliveries_enqueue(events=[event() for _ in range(3)])
    admin_client.get(DELIVERIES)
    with django_assert_num_queries(5):
        small = admin_client.get(DELIVERIES)
    deliveries_enqueue(events=[event() for _ in range(9)])
    with django_assert_num_queries(5):
        large = admin_client.get(DELIVERIES)
    assert small.status_code == large.status_code == 200


@override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True)
def test_the_redeliver_action_makes_a_new_attempt(admin_client, receiver):
    # given
    receiver.answer(Answer(200, b"again"))
    subscription_for(receiver.url)
    [delivery] = deliveries_enqueue(events=[event()])
    Delivery.objects.filter(pk=delivery.pk).update(status="dead", next_attempt_at=None)
    # when
    response = admin_client.post(
        DELIVERIES, {"action": "redeliver", "_selected_action": [delivery.pk]}, follow=True
    )
    # then
    assert response.status_code == 200
    [attempt] = DeliveryAttempt.objects.all()
    assert (attempt.manual, attempt.status_code, attempt.response_excerpt) == (True, 200, "again")
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == ["1 deliveries sent again: 1 succeeded."]


def test_changing_goes_through_the_service_checks(admin_client):
    subscription = subscription_for(PUBLIC_URL)
    change = f"{SUBSCRIPTIONS}{subscription.pk}/change/"
    form = {
        "url": PUBLIC_URL,
        "description": "new",
        "event_types": '["order.*"]',
        "is_active": "on",
    }
    # a bad pattern is a form error on its field
    response = admin_client.post(change, {**form, "event_types": '["order"]'})
    assert list(response.context["adminform"].form.errors) == ["event_types"]
    # a good change is saved, with a new version, and keeps the secret
    secret = subscription.secret
    response = admin_client.post(change, form)
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.description, subscription.event_types) == ("new", ["order.*"])
    assert (subscription.version, subscription.secret) == (2, secret)


def test_enabling_in_the_admin_restarts_the_failure_clock(admin_client):
    subscription = subscription_for(PUBLIC_URL)
    Subscription.objects.filter(pk=subscription.pk).update(
        is_active=False,
        disabled_at=timezone.now(),
        disabled_reason="x",
        failing_since=timezone.now(),
    )
    form = {"url": PUBLIC_URL, "event_types": '["*"]', "is_active": "on"}
    response = admin_client.post(f"{SUBSCRIPTIONS}{subscription.pk}/change/", form)
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.is_active
    assert (subscription.disabled_at, subscription.disabled_reason) == (None, "")
    assert subscription.failing_since is None
