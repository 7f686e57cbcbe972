"""SSRF: webhooks go to http(s) URLs on public addresses only, checked at creation and again at
every delivery (DNS may change in between)."""

import pytest
from django.test import override_settings

from tests.webhooks.conftest import event, subscription_for
from webhooks.addresses import BAD_SCHEME, CREDENTIALS, NOT_PUBLIC, UNRESOLVED, url_target
from webhooks.models import Subscription
from webhooks.services import deliveries_enqueue, delivery_attempt

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.216.34/hooks"
URL = "/api/v1/webhooks/"

REFUSED = [
    pytest.param("http://127.0.0.1/hook", NOT_PUBLIC.format(kind="loopback"), id="loopback-v4"),
    pytest.param("http://127.8.9.10:8080/", NOT_PUBLIC.format(kind="loopback"), id="loopback-8"),
    pytest.param("http://10.1.2.3/hook", NOT_PUBLIC.format(kind="private"), id="private-10"),
    pytest.param("http://192.168.0.5/", NOT_PUBLIC.format(kind="private"), id="private-192"),
    pytest.param("http://172.16.0.1/", NOT_PUBLIC.format(kind="private"), id="private-172"),
    pytest.param(
        "http://169.254.169.254/latest/meta-data/",
        NOT_PUBLIC.format(kind="link-local"),
        id="cloud-metadata",
    ),
    pytest.param("http://[::1]/hook", NOT_PUBLIC.format(kind="loopback"), id="loopback-v6"),
    pytest.param(
        "http://[::ffff:127.0.0.1]/hook", NOT_PUBLIC.format(kind="loopback"), id="v4-mapped"
    ),
    pytest.param("http://[::ffff:a00:1]/", NOT_PUBLIC.format(kind="private"), id="v4-mapped-10"),
    pytest.param("http://[fe80::1]/", NOT_PUBLIC.format(kind="link-local"), id="link-local-v6"),
    pytest.param("http://[fd00::1]/", NOT_PUBLIC.format(kind="private"), id="unique-local-v6"),
    pytest.param("http://224.0.0.1/", NOT_PUBLIC.format(kind="multicast"), id="multicast"),
    pytest.param("http://0.0.0.0/", NOT_PUBLIC.format(kind="unspecified"), id="unspecified"),
    pytest.param("http://100.64.0.1/", NOT_PUBLIC.format(kind="non-public"), id="cgnat"),
    pytest.param("http://2130706433/", NOT_PUBLIC.format(kind="loopback"), id="decimal-ip"),
    pytest.param("http://localhost:8000/hook", NOT_PUBLIC.format(kind="loopback"), id="localhost"),
    pytest.param("file:///etc/passwd", BAD_SCHEME, id="file"),
    pytest.param("gopher://93.184.216.34:70/_x", BAD_SCHEME, id="gopher"),
    pytest.param("ftp://93.184.216.34/", BAD_SCHEME, id="ftp"),
    pytest.param("93.184.216.34/hook", BAD_SCHEME, id="no-scheme"),
    pytest.param("http://user:pw@93.184.216.34/", CREDENTIALS, id="credentials"),
    pytest.param("http://no-such-host.invalid/", UNRESOLVED, id="unresolvable"),
]


@pytest.mark.parametrize(("url", "message"), REFUSED)
def test_creation_refuses_the_url_naming_the_field(hooks_client, url, message):
    response = hooks_client.post(URL, {"url": url, "event_types": ["*"]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"url": [message]}
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(("url", "message"), REFUSED)
def test_delivery_refuses_the_url(url, message):
    """A URL that turned unsafe after creation (DNS changed, or an edit by SQL) sends nothing:
    the attempt fails with the reason."""
    # given
    subscription = subscription_for(PUBLIC_URL)
    Subscription.objects.filter(pk=subscription.pk).update(url=url)
    [delivery] = deliveries_enqueue(events=[event()])
    # when
    attempt = delivery_attempt(delivery)
    # then
    assert (attempt.status_code, attempt.error, attempt.latency_ms) == (None, message, 0)
    delivery.refresh_from_db()
    assert delivery.status == "failed"


def test_a_receiver_allowed_at_creation_is_refused_once_private_addresses_are_not(receiver):
    # given: created while private addresses were allowed
    with override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True):
        subscription_for(receiver.url)
    [delivery] = deliveries_enqueue(events=[event()])
    # when
    attempt = delivery_attempt(delivery)
    # then
    assert attempt.error == NOT_PUBLIC.format(kind="loopback")
    assert receiver.requests == []


@override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True)
@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://10.1.2.3/", "http://[::1]/"])
def test_the_setting_allows_private_addresses(hooks_client, url):
    response = hooks_client.post(URL, {"url": url}, format="json")
    assert response.status_code == 201, response.json()


@override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True)
@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://127.0.0.1/"])
def test_the_setting_never_allows_other_schemes(hooks_client, url):
    response = hooks_client.post(URL, {"url": url}, format="json")
    assert response.json() == {"url": [BAD_SCHEME]}


def test_the_target_is_pinned_to_the_checked_address():
    target = url_target("https://93.184.216.34:8443/a/b?c=d")
    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https",
        "93.184.216.34",
        8443,
        "/a/b?c=d",
        "93.184.216.34",
    )
