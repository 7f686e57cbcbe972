"""No API key, set-password link or its token reaches a log: the console e-mail backend
redacts them, gunicorn's access log and runserver's request lines leave query strings out."""

import logging
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from customers.emails import customer_password_set_url
from tests.config.test_settings import STRONG_KEY, manage
from tests.customers.factories import ChannelFactory, CustomerFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_PORT = 8966  # this test's own port (8100-8999)
URL_TOKEN = re.compile(r"[?&]token=")


def test_the_console_backend_prints_invitations_without_their_link_token(
    api_client, settings, capsys, django_capture_on_commit_callbacks
):
    # given
    settings.EMAIL_BACKEND = "config.mail.RedactingConsoleEmailBackend"
    settings.PASSWORD_SET_URL = "https://shop.example.com/set-password/"
    customer = CustomerFactory(channel=ChannelFactory(code="web"), email="ann@example.com")
    link = customer_password_set_url(customer)
    token = link.rsplit("token=", 1)[1]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"/api/v1/customers/{customer.pk}/send-invite/")

    # then
    printed = capsys.readouterr().out
    assert response.status_code == 202
    assert "To: ann@example.com" in printed
    assert "https://shop.example.com/set-password/?[redacted]" in printed
    assert not URL_TOKEN.search(printed)
    assert token not in printed
    assert token.split("-")[-1] not in printed


def test_consolemail_is_the_redacting_backend_in_the_settings():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.EMAIL_BACKEND)",
        SECRET_KEY=STRONG_KEY,
        EMAIL_URL="consolemail://",
    )

    assert result.stdout.splitlines()[-1] == "config.mail.RedactingConsoleEmailBackend", (
        result.stderr
    )


def test_runserver_request_lines_are_not_logged(caplog):
    # given: runserver's request line of a set-password link (its query string is a token)
    logger = logging.getLogger("django.server")
    logger.addHandler(caplog.handler)
    try:
        logger.info(
            '"%s" %s %s', "GET /set-password/?uid=MQ&token=abc-0123456789 HTTP/1.1", "200", "5"
        )
        logger.warning('"%s" %s %s', "GET /missing/?token=abc-0123456789 HTTP/1.1", "404", "5")
    finally:
        logger.removeHandler(caplog.handler)

    # then: the request log (which has no query strings) replaces them
    assert caplog.messages == []


def test_gunicorn_access_log_has_no_query_string_or_referer(tmp_path):
    # given: `make serve`'s gunicorn, with its access log in a file
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "1",
        "SECRET_KEY": STRONG_KEY,
        "PORT": str(GUNICORN_PORT),
        "WEB_WORKERS": "1",
        "ACCESS_LOG": str(access_log),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--config", "python:config.gunicorn"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # when
        secret = "tok-0123456789abcdef"
        request = urllib.request.Request(
            f"http://127.0.0.1:{GUNICORN_PORT}/set-password/?token={secret}",
            headers={"Referer": f"https://shop.example.com/?token={secret}"},
        )
        _get_when_up(request)
        _wait_for(lambda: access_log.exists() and access_log.read_text())

        # then
        line = access_log.read_text()
        assert '"GET /set-password/ HTTP/1.1" 404' in line
        assert secret not in line
        assert "shop.example.com" not in line
    finally:
        server.terminate()
        server.wait(timeout=30)


def _get_when_up(request):
    deadline = time.monotonic() + 60
    while True:
        try:
            return urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as answer:
            return answer
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _wait_for(condition):
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.1)
