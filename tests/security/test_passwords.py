"""Customer passwords: Argon2 in production, and never in an answer, a log line or an error."""

import json
import logging

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from django.core import mail

from config.settings import base
from customers.models import Customer
from tests.customers.factories import ChannelFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Tr0ub4dor&3-secret-phrase"


def test_argon2_is_the_first_hasher_in_the_base_settings():
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_passwords_set_through_the_api_are_hashed_with_argon2(api_client, settings):
    # given: the production hashers (the test settings use MD5 for speed)
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS
    ChannelFactory(code="web")

    # when
    response = api_client.post(
        "/api/v1/customers/", {"channel": "web", "email": "ann@example.com", "password": PASSWORD}
    )

    # then
    stored = Customer.objects.get(pk=response.json()["id"]).password
    assert stored.startswith("argon2$argon2id$")
    assert identify_hasher(stored).algorithm == "argon2"
    assert check_password(PASSWORD, stored)
    signed_in = api_client.post(
        "/api/v1/customers/authenticate/",
        {"channel": "web", "email": "ann@example.com", "password": PASSWORD},
    )
    assert signed_in.status_code == 200


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def _sent(client, method, url, body):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def test_no_password_or_hash_in_any_answer_log_line_or_error(api_client, logs):
    # given
    ChannelFactory(code="web")
    customer_body = {"channel": "web", "email": "ann@example.com", "password": PASSWORD}
    created = _sent(api_client, "post", "/api/v1/customers/", customer_body)
    url = f"/api/v1/customers/{created.json()['id']}/"
    stored = Customer.objects.get(email="ann@example.com").password
    hash_part = stored.split("$")[-1]

    # when: every route that takes or returns a customer, with good and bad input
    responses = [
        created,
        api_client.get(url),
        api_client.get("/api/v1/customers/?expand=memberships,phones"),
        _sent(api_client, "patch", url, {"password": PASSWORD + "2", "email": "not-an-email"}),
        _sent(api_client, "patch", url, {"password": 12345}),
        _sent(api_client, "patch", url, {"password": PASSWORD + "\x00"}),
        _sent(api_client, "put", url, {"password": PASSWORD}),
        _sent(api_client, "post", "/api/v1/customers/", customer_body),  # duplicate e-mail
        _sent(api_client, "post", "/api/v1/customers/upsert/", [customer_body, {"password": 1}]),
        _sent(api_client, "post", "/api/v1/customers/upsert/", customer_body),
        _sent(
            api_client,
            "post",
            "/api/v1/customers/authenticate/",
            {"channel": "web", "email": "ann@example.com", "password": PASSWORD},
        ),
        _sent(
            api_client,
            "post",
            "/api/v1/customers/authenticate/",
            {"channel": "web", "email": "ann@example.com", "password": PASSWORD + "x"},
        ),
        _sent(api_client, "post", url + "send-invite/", {}),
        _sent(api_client, "post", url + "anonymize/", {}),
    ]

    # then
    assert [r.status_code for r in responses][:3] == [201, 200, 200]
    seen = "\n".join(r.content.decode() for r in responses) + logs.text
    seen += "".join(message.body for message in mail.outbox)
    for secret in (PASSWORD, stored, hash_part, "argon2", "md5$"):
        assert secret not in seen
    assert '"password"' not in "\n".join(r.content.decode() for r in responses[:3])
    assert logs.records, "the request log should have been captured"


def test_the_admin_never_shows_the_hash(admin_client, api_client):
    ChannelFactory(code="web")
    created = api_client.post(
        "/api/v1/customers/", {"channel": "web", "email": "ann@example.com", "password": PASSWORD}
    )
    stored = Customer.objects.get(pk=created.json()["id"]).password

    page = admin_client.get(f"/admin/customers/customer/{created.json()['id']}/change/")

    assert page.status_code == 200
    assert stored not in page.content.decode()
    assert stored.split("$")[-1] not in page.content.decode()
