"""HTTPS deliveries connect to the checked address and still verify the certificate against
the URL's host name (SNI)."""

import shutil
import ssl
import subprocess

import pytest
from standardwebhooks import Webhook

from tests.webhooks.conftest import event, subscription_for
from webhooks.services import deliveries_enqueue, delivery_attempt

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("private_allowed"),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command"),
]


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for `localhost` (and its key), made by openssl."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_receiver(receiver, certificate):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
    return receiver


def _https_url(receiver) -> str:
    return f"https://localhost:{receiver.server.server_address[1]}/hook"


def test_an_untrusted_certificate_fails_the_attempt(tls_receiver):
    subscription_for(_https_url(tls_receiver))
    [delivery] = deliveries_enqueue(events=[event()])
    attempt = delivery_attempt(delivery)
    assert attempt.status_code is None
    assert "CERTIFICATE_VERIFY_FAILED" in attempt.error
    assert tls_receiver.requests == []


def test_a_trusted_certificate_for_the_host_name_is_delivered_to(
    tls_receiver, certificate, monkeypatch
):
    # given: the certificate trusted (OpenSSL reads SSL_CERT_FILE for its default CA file)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    subscription = subscription_for(_https_url(tls_receiver))
    [delivery] = deliveries_enqueue(events=[event()])
    # when
    attempt = delivery_attempt(delivery)
    # then
    assert (attempt.status_code, attempt.error) == (200, "")
    [request] = tls_receiver.requests
    assert request.headers["Host"] == f"localhost:{tls_receiver.server.server_address[1]}"
    Webhook(subscription.secret).verify(request.body, request.headers)
