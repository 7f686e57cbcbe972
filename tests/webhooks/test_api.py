"""/api/v1/webhooks/: subscriptions (secret shown once), channel scoping, the delivery log,
redelivery and ping."""

import base64
import datetime

import pytest
from django.test import override_settings
from django.utils import timezone
from standardwebhooks import Webhook

from tests.conftest import api_client_for, patron_user_create
from tests.customers.factories import ChannelFactory
from tests.webhooks.conftest import Answer, event, subscription_for, webhooks_user_create
from webhooks.api.views import SUBSCRIPTION_DISABLED
from webhooks.models import Delivery, DeliveryAttempt, Subscription
from webhooks.services import BAD_EVENT_TYPE, deliveries_enqueue, delivery_attempt

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"
PUBLIC_URL = "https://93.184.216.34/hooks"


def _create(client, **data):
    response = client.post(URL, {"url": PUBLIC_URL, **data}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_creation_answers_the_secret_once(hooks_client, hooks_user):
    # when
    created = _create(hooks_client, event_types=["customer.*"], description="ERP")
    # then
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert created["secret_hint"] == secret[:10] + "…"
    assert created["event_types"] == ["customer.*"]
    assert created["channels"] == []
    assert created["is_active"] is True
    subscription = Subscription.objects.get()
    assert subscription.created_by == hooks_user
    # and no read shows it again
    detail = hooks_client.get(f"{URL}{created['id']}/").json()
    listed = hooks_client.get(URL).json()["results"][0]
    for body in (detail, listed):
        assert "secret" not in body
        assert secret not in str(body)
        assert body["secret_hint"] == created["secret_hint"]
    updated = hooks_client.patch(f"{URL}{created['id']}/", {"description": "x"}, format="json")
    assert "secret" not in updated.json()


def test_event_types_default_to_every_event(hooks_client):
    assert _create(hooks_client)["event_types"] == ["*"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        pytest.param(
            {"url": PUBLIC_URL, "urll": "x"},
            {"urll": ["Unknown field 'urll'. Did you mean 'url'?"]},
            id="unknown-field",
        ),
        pytest.param(
            {"url": PUBLIC_URL, "event_types": ["customer"]},
            {"event_types": [BAD_EVENT_TYPE.format(value="customer")]},
            id="bad-event-type",
        ),
        pytest.param(
            {"url": PUBLIC_URL, "event_types": []},
            {"event_types": ["Name at least one event type ('*' for every event)."]},
            id="no-event-types",
        ),
        pytest.param(
            {"url": PUBLIC_URL, "channels": ["nowhere"]},
            {"channels": ["Object with code=nowhere does not exist."]},
            id="unknown-channel",
        ),
        pytest.param({}, {"url": ["This field is required."]}, id="no-url"),
    ],
)
def test_bad_input_is_refused_naming_the_field(hooks_client, body, errors):
    response = hooks_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not Subscription.objects.exists()


def test_unauthenticated_and_unpermitted_users_are_refused(anon_client, api_user):
    assert anon_client.get(URL).status_code == 401
    # An integrator with the Patron permissions but not the webhooks ones
    client = api_client_for(api_user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"url": PUBLIC_URL}, format="json").status_code == 403


def test_a_channel_limited_user_sees_and_creates_only_its_channels(hooks_client):
    # given
    web, shop = ChannelFactory(code="web"), ChannelFactory(code="shop")
    limited = webhooks_user_create("limited")
    web.api_users.add(limited)
    client = api_client_for(limited)
    everything = _create(hooks_client)
    shop_only = _create(hooks_client, channels=["shop"])
    both = _create(hooks_client, channels=["web", "shop"])
    # when
    own = _create(client)
    # then: no channels means the channels it may see
    assert own["channels"] == ["web"]
    ids = [row["id"] for row in client.get(URL).json()["results"]]
    assert ids == [own["id"]]
    for other in (everything, shop_only, both):
        assert client.get(f"{URL}{other['id']}/").status_code == 404
        assert client.get(f"{URL}{other['id']}/deliveries/").status_code == 404
    response = client.post(URL, {"url": PUBLIC_URL, "channels": ["shop"]}, format="json")
    assert response.json() == {"channels": ["Object with code=shop does not exist."]}
    assert shop.code == "shop"


def test_rotating_answers_a_new_secret_once(hooks_client):
    created = _create(hooks_client)
    rotated = hooks_client.post(f"{URL}{created['id']}/rotate-secret/").json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != created["secret"]
    assert Subscription.objects.get().secret == rotated["secret"]
    assert "secret" not in hooks_client.get(f"{URL}{created['id']}/").json()


def test_update_and_reenable(hooks_client):
    # given: a subscription disabled after failing
    created = _create(hooks_client)
    Subscription.objects.filter(pk=created["id"]).update(
        is_active=False,
        disabled_at=timezone.now(),
        disabled_reason="failing",
        failing_since=timezone.now() - datetime.timedelta(days=4),
    )
    # when
    response = hooks_client.patch(
        f"{URL}{created['id']}/",
        {"is_active": True, "event_types": ["order.created", "order.created"]},
        format="json",
    )
    # then
    body = response.json()
    assert response.status_code == 200, body
    assert body["is_active"] is True
    assert (body["disabled_at"], body["disabled_reason"], body["failing_since"]) == (None, "", None)
    assert body["event_types"] == ["order.created"]
    assert body["version"] == 2
    assert response.headers["ETag"] == '"2"'


def test_update_refuses_an_unsafe_url(hooks_client):
    created = _create(hooks_client)
    response = hooks_client.patch(
        f"{URL}{created['id']}/", {"url": "http://10.0.0.1/"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["url"]
    assert Subscription.objects.get().url == PUBLIC_URL


def test_stale_if_match_is_refused(hooks_client):
    created = _create(hooks_client)
    response = hooks_client.patch(
        f"{URL}{created['id']}/", {"description": "x"}, format="json", HTTP_IF_MATCH='"7"'
    )
    assert response.status_code == 412


def test_delete_removes_the_subscription_and_its_log(hooks_client):
    created = _create(hooks_client)
    deliveries_enqueue(events=[event()])
    assert hooks_client.delete(f"{URL}{created['id']}/").status_code == 204
    assert not Subscription.objects.exists()
    assert not Delivery.objects.exists()


def _log(subscription, deliveries: int, attempts: int):
    events = [event() for _ in range(deliveries)]
    for delivery in deliveries_enqueue(events=events):
        for number in range(attempts):
            DeliveryAttempt.objects.create(
                delivery=delivery,
                started_at=timezone.now(),
                status_code=500 if number < attempts - 1 else 200,
                succeeded=number == attempts - 1,
                latency_ms=12 + number,
                response_excerpt="nope" if number < attempts - 1 else "ok",
            )


def test_the_delivery_log_lists_every_attempt(hooks_client):
    # given
    subscription = subscription_for(PUBLIC_URL)
    _log(subscription, deliveries=1, attempts=2)
    # when
    response = hooks_client.get(f"{URL}{subscription.pk}/deliveries/")
    # then
    [delivery] = response.json()["results"]
    assert delivery["event_type"] == "customer.updated"
    assert delivery["status"] == "pending"
    assert delivery["payload"]["data"] == {"id": 7, "email": "ann@example.com"}
    assert [
        (a["status_code"], a["succeeded"], a["latency_ms"], a["response_excerpt"])
        for a in delivery["attempts"]
    ] == [(500, False, 12, "nope"), (200, True, 13, "ok")]
    one = hooks_client.get(f"{URL}{subscription.pk}/deliveries/{delivery['id']}/").json()
    assert one == delivery


@pytest.mark.parametrize("deliveries", [2, 6])
def test_the_delivery_log_costs_the_same_queries_at_any_size(
    hooks_client, django_assert_num_queries, deliveries
):
    # given
    subscription = subscription_for(PUBLIC_URL)
    _log(subscription, deliveries=deliveries, attempts=3)
    # when: channel limits, the subscription, permissions (2), count, page, attempts
    with django_assert_num_queries(7):
        response = hooks_client.get(f"{URL}{subscription.pk}/deliveries/")
    # then
    assert response.json()["count"] == deliveries
    assert all(len(row["attempts"]) == 3 for row in response.json()["results"])


@pytest.mark.parametrize("subscriptions", [2, 6])
def test_the_subscription_list_costs_the_same_queries_at_any_size(
    hooks_client, django_assert_num_queries, subscriptions
):
    ChannelFactory(code="web")
    for _ in range(subscriptions):
        _create(hooks_client, channels=["web"])
    # channel limits, count, page, channels (the permissions were read by the POSTs)
    with django_assert_num_queries(4):
        response = hooks_client.get(URL)
    assert response.json()["count"] == subscriptions
    assert all(row["channels"] == ["web"] for row in response.json()["results"])


@override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True)
def test_redelivery_makes_a_new_attempt(hooks_client, receiver):
    # given: a delivery that failed for good
    receiver.answer(Answer(500), Answer(200, b"thanks"))
    subscription = subscription_for(receiver.url)
    [delivery] = deliveries_enqueue(events=[event()])
    delivery_attempt(delivery)
    Delivery.objects.filter(pk=delivery.pk).update(status="dead", next_attempt_at=None)
    # when
    url = f"{URL}{subscription.pk}/deliveries/{delivery.pk}/redeliver/"
    response = hooks_client.post(url)
    # then
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "succeeded"
    assert body["attempt_count"] == 2
    assert [(a["status_code"], a["manual"]) for a in body["attempts"]] == [
        (500, False),
        (200, True),
    ]
    assert body["attempts"][1]["response_excerpt"] == "thanks"
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == str(delivery.event_id)
    Webhook(subscription.secret).verify(second.body, second.headers)


def test_redelivery_of_a_disabled_subscription_is_a_conflict(hooks_client):
    subscription = subscription_for(PUBLIC_URL)
    [delivery] = deliveries_enqueue(events=[event()])
    Subscription.objects.filter(pk=subscription.pk).update(is_active=False)
    response = hooks_client.post(f"{URL}{subscription.pk}/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 409
    assert response.json() == {"detail": SUBSCRIPTION_DISABLED}
    assert not DeliveryAttempt.objects.exists()


@override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True)
def test_ping_sends_a_signed_ping_event(hooks_client, receiver):
    subscription = subscription_for(receiver.url)
    response = hooks_client.post(f"{URL}{subscription.pk}/ping/")
    body = response.json()
    assert response.status_code == 200, body
    assert (body["event_type"], body["status"], body["attempt_count"]) == (
        "webhook.ping",
        "succeeded",
        1,
    )
    [request] = receiver.requests
    assert Webhook(subscription.secret).verify(request.body, request.headers)["type"] == (
        "webhook.ping"
    )


def test_unknown_query_parameters_are_refused(hooks_client):
    subscription = subscription_for(PUBLIC_URL)
    response = hooks_client.get(f"{URL}{subscription.pk}/deliveries/", {"statuss": "dead"})
    assert response.status_code == 400
    assert list(response.json()) == ["statuss"]


def test_the_patron_permissions_alone_do_not_reach_webhooks(db):
    user = patron_user_create("plain")
    assert api_client_for(user).get(URL).status_code == 403


@override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True)
def test_a_redelivery_retried_with_its_idempotency_key_is_not_sent_twice(hooks_client, receiver):
    subscription = subscription_for(receiver.url)
    [delivery] = deliveries_enqueue(events=[event()])
    url = f"{URL}{subscription.pk}/deliveries/{delivery.pk}/redeliver/"
    first = hooks_client.post(url, HTTP_IDEMPOTENCY_KEY="redeliver-1")
    again = hooks_client.post(url, HTTP_IDEMPOTENCY_KEY="redeliver-1")
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(receiver.requests) == 1
    assert DeliveryAttempt.objects.count() == 1
