"""Staff sign-in to the admin: lockout after 5 wrong passwords for 15 minutes (django-axes),
and a TOTP code after the password (django-otp) when STAFF_REQUIRE_2FA is on, through the
real sign-in pages."""

import base64
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.two_factor import WRONG_CODE
from tests.config.test_settings import STRONG_KEY, manage

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "pw-staff-123"  # the staff_user fixture's
SECRET = re.compile(r'<code id="totp-secret">([A-Z2-7]+)</code>')


@pytest.fixture
def sign_in_checks(settings):
    settings.AXES_ENABLED = True
    settings.STAFF_REQUIRE_2FA = True
    return settings


def _sign_in(client, password=PASSWORD, address="10.0.0.1"):
    return client.post(LOGIN, {"username": "staff", "password": password}, REMOTE_ADDR=address)


def _code(secret: str, *, drift: int = 0) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, step=30, t0=0, digits=6, drift=drift):06d}"


def _wait_out_the_throttle():
    """After a wrong code django-otp refuses every code for a while (1 s, then doubling):
    move the failure back in time instead of sleeping."""
    TOTPDevice.objects.update(throttling_failure_timestamp=timezone.now() - timedelta(seconds=2))


def test_five_wrong_passwords_lock_the_account_out_for_15_minutes(client, staff_user, settings):
    settings.AXES_ENABLED = True

    for _ in range(4):
        assert _sign_in(client, "wrong").status_code == 200
    assert _sign_in(client, "wrong").status_code == 429  # the fifth failure locks

    locked = _sign_in(client)  # even the right password
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # another address is not locked out with it (a stranger cannot lock staff out everywhere)
    assert _sign_in(client, address="10.0.0.2").status_code == 302

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    client.logout()
    assert _sign_in(client).status_code == 302


def test_the_lockout_can_be_lifted_by_command(client, staff_user, settings):
    settings.AXES_ENABLED = True
    for _ in range(5):
        _sign_in(client, "wrong")
    assert _sign_in(client).status_code == 429

    call_command("axes_reset_username", "staff")

    assert _sign_in(client).status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(client, staff_user, settings):
    settings.AXES_ENABLED = True
    for _ in range(4):
        _sign_in(client, "wrong")
    assert _sign_in(client).status_code == 302
    client.logout()

    for _ in range(4):
        _sign_in(client, "wrong")
    assert _sign_in(client).status_code == 302


def test_two_factor_setup_then_sign_in_with_a_code(client, staff_user, sign_in_checks):
    # a password alone: the admin sends staff to set up an authenticator app
    assert _sign_in(client)["Location"] == "/admin/"
    first = client.get("/admin/")
    assert first.status_code == 302
    assert first["Location"] == "/admin/2fa/setup/?next=/admin/"
    assert client.get("/admin/customers/customer/").status_code == 302

    setup = client.get(first["Location"])
    html = setup.content.decode()
    assert setup.status_code == 200
    assert "<svg" in html
    secret = SECRET.search(html).group(1)

    wrong = client.post(first["Location"], {"code": "000000", "next": "/admin/"})
    assert str(WRONG_CODE) in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    _wait_out_the_throttle()

    done = client.post(first["Location"], {"code": _code(secret), "next": "/admin/"})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    # next time: password, then the app's code (a code already used is refused)
    client.post("/admin/logout/")
    _sign_in(client)
    ask = client.get("/admin/customers/customer/")
    assert ask["Location"] == "/admin/2fa/?next=/admin/customers/customer/"
    replay = client.post("/admin/2fa/", {"code": _code(secret), "next": "/admin/"})
    assert str(WRONG_CODE) in replay.content.decode()
    _wait_out_the_throttle()
    verified = client.post("/admin/2fa/", {"code": _code(secret, drift=1), "next": "/admin/"})
    assert verified["Location"] == "/admin/"
    assert client.get("/admin/customers/customer/").status_code == 200


def test_a_session_without_its_code_is_signed_out_for_the_api(client, staff_user, sign_in_checks):
    _sign_in(client)

    assert client.get("/api/v1/customers/").status_code in (401, 403)
    assert client.get("/admin/2fa/setup/").status_code == 200


def test_the_next_page_stays_on_this_site(client, staff_user, sign_in_checks):
    _sign_in(client)
    secret = SECRET.search(client.get("/admin/2fa/setup/").content.decode()).group(1)

    done = client.post(
        "/admin/2fa/setup/", {"code": _code(secret), "next": "https://evil.example.com/"}
    )

    assert done["Location"] == "/admin/"


def test_without_staff_require_2fa_a_password_opens_the_admin(client, staff_user, settings):
    settings.STAFF_REQUIRE_2FA = False

    _sign_in(client)

    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(("debug", "expected"), [("0", "True"), ("1", "False")])
def test_staff_require_2fa_is_on_unless_debug(debug, expected):
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.STAFF_REQUIRE_2FA)",
        SECRET_KEY=STRONG_KEY,
        DEBUG=debug,
    )

    assert result.stdout.splitlines()[-1] == expected, result.stderr
