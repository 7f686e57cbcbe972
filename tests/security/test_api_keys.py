"""API keys: hashed at rest, named, expiring, last use recorded, shown once; every header form
Patron accepts; DRF tokens of earlier versions carried over by the data migration."""

import hashlib
import importlib
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.authentication import EXPIRED_KEY, INVALID_KEY
from accounts.models import ApiKey
from accounts.selectors import api_keys_of_prefix
from tests.compat.nuvemshop.conftest import BASE as NUVEMSHOP
from tests.compat.nuvemshop.conftest import CHANNEL as NUVEMSHOP_CHANNEL
from tests.customers.factories import ChannelFactory, CustomerFactory

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/customers/"
migration = importlib.import_module("accounts.migrations.0002_hash_drf_tokens")


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def create_key(username="integrator", name="erp", *extra) -> str:
    return run("api_keys", "create", username, "--name", name, *extra).splitlines()[-1]


def get(path=CUSTOMERS, **headers):
    return APIClient().get(path, **headers)


def test_a_key_is_shown_once_and_stored_as_a_hash_only(api_user):
    key = create_key()

    stored = ApiKey.objects.get()
    assert key.startswith("patron_")
    assert len(key) == len("patron_") + 64
    assert stored.digest == hashlib.sha512(key.encode()).hexdigest()
    assert stored.token_key == key[:15]
    row = [str(value) for value in ApiKey.objects.values_list().get()]
    assert not any(key in value for value in row)
    listing = run("api_keys", "list")
    assert key not in listing
    assert f"integrator\terp\t{key[:15]}…\t" in listing
    assert get(HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


@pytest.mark.parametrize(
    ("path", "header"),
    [
        pytest.param(CUSTOMERS, "HTTP_AUTHORIZATION=Token {key}", id="native-token"),
        pytest.param(
            "/compat/kibo/web/api/v2/customer", "HTTP_AUTHORIZATION=Bearer {key}", id="kibo-bearer"
        ),
        pytest.param(
            f"{NUVEMSHOP}/customers", "HTTP_AUTHENTICATION=bearer {key}", id="nuvemshop-bearer"
        ),
    ],
)
def test_every_header_form_takes_the_key_and_refuses_a_wrong_one(api_user, path, header):
    ChannelFactory(code="web")
    ChannelFactory(code=NUVEMSHOP_CHANNEL)
    key = create_key()
    name, value = header.split("=", 1)

    assert get(path, **{name: value.format(key=key)}).status_code == 200
    wrong = get(path, **{name: value.format(key=key[:-1] + ("0" if key[-1] != "0" else "1"))})
    assert wrong.status_code == 401


def test_keys_expire_after_api_key_expiry_days(api_user, settings):
    settings.API_KEY_EXPIRY_DAYS = 365
    key = create_key()
    api_key = ApiKey.objects.get()
    assert abs(api_key.expiry - (timezone.now() + timedelta(days=365))) < timedelta(minutes=1)

    ApiKey.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    response = get(HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 401
    assert response.json() == {"detail": EXPIRED_KEY}
    assert "\texpired" in run("api_keys", "list", "--user", "integrator")


def test_lifetime_per_key_and_no_expiry_when_the_setting_is_0(api_user, settings):
    create_key("integrator", "short", "--expires-in-days", "7")
    settings.API_KEY_EXPIRY_DAYS = 0
    create_key("integrator", "forever")

    expiries = dict(ApiKey.objects.values_list("name", "expiry"))
    assert expiries["forever"] is None
    assert abs(expiries["short"] - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    with pytest.raises(CommandError, match="expires_in_days: The lifetime is a whole number"):
        create_key("integrator", "bad", "--expires-in-days", "0")


def test_last_use_is_recorded_at_most_once_a_minute(api_user):
    key = create_key()
    header = {"HTTP_AUTHORIZATION": f"Token {key}"}
    assert ApiKey.objects.get().last_used_at is None

    get(**header)
    first_use = ApiKey.objects.get().last_used_at
    assert timezone.now() - first_use < timedelta(seconds=10)

    with CaptureQueriesContext(connection) as captured:
        get(**header)
    assert not [q for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert ApiKey.objects.get().last_used_at == first_use

    ApiKey.objects.update(last_used_at=first_use - timedelta(minutes=2))
    get(**header)
    assert ApiKey.objects.get().last_used_at > first_use


def test_revoked_keys_are_refused(api_user):
    key = create_key()

    assert (
        run("api_keys", "revoke", "integrator", "erp") == "Revoked API key 'erp' of integrator.\n"
    )
    assert get(HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    with pytest.raises(CommandError, match="No key named 'erp' for user 'integrator'"):
        run("api_keys", "revoke", "integrator", "erp")


def test_names_are_required_and_unique_per_user(api_user, superuser):
    create_key("integrator", "erp")
    create_key("root", "erp")

    with pytest.raises(CommandError, match="already has a key named 'erp'"):
        create_key("integrator", "erp")
    with pytest.raises(CommandError, match="name: Give the key a name"):
        create_key("integrator", "  ")
    with pytest.raises(CommandError, match="Unknown user 'nobody'"):
        create_key("nobody", "erp")
    assert ApiKey.objects.count() == 2


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("Token patron_\x00abc", id="nul"),
        pytest.param("Token patron_\u00e9\u00e9", id="latin-1"),
        pytest.param("Token " + "a" * 5000, id="huge"),
        pytest.param("Token", id="no-key"),
        pytest.param("Token a b", id="spaces"),
    ],
)
def test_hostile_keys_are_a_401(api_user, value):
    create_key()

    response = get(HTTP_AUTHORIZATION=value)

    assert response.status_code == 401
    assert "detail" in response.json()


def test_nul_in_the_nuvemshop_header_is_a_401(api_user):
    response = get(f"{NUVEMSHOP}/customers", HTTP_AUTHENTICATION="bearer abc\x00def")

    assert response.status_code == 401
    assert response.json() == {"detail": INVALID_KEY}


def test_the_data_migration_keeps_old_drf_tokens_working_and_erases_them(api_user):
    # given: the table DRF's authtoken app left, with a key in clear
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token "
            "(key varchar(40) PRIMARY KEY, user_id bigint NOT NULL, created timestamp NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            [old_key, api_user.pk, timezone.now().replace(tzinfo=None)],
        )
    CustomerFactory(channel=ChannelFactory(code=NUVEMSHOP_CHANNEL))

    # when
    migration.hash_drf_tokens(apps, SimpleNamespace(connection=connection))

    # then
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone() == (0,)
    migrated = ApiKey.objects.get()
    assert (migrated.name, migrated.user) == (migration.MIGRATED_NAME, api_user)
    assert migrated.expiry > timezone.now() + timedelta(days=364)
    assert get(HTTP_AUTHORIZATION=f"Token {old_key}").status_code == 200
    assert get(f"{NUVEMSHOP}/customers", HTTP_AUTHENTICATION=f"bearer {old_key}").status_code == 200


def test_the_data_migration_does_nothing_without_the_old_table(db):
    migration.hash_drf_tokens(apps, SimpleNamespace(connection=connection))

    assert not ApiKey.objects.exists()


def test_the_admin_shows_a_new_key_once(admin_client, api_user):
    response = admin_client.post(
        "/admin/accounts/apikey/add/", {"user": api_user.pk, "name": "erp", "expires_in_days": 30}
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = response.context["key"]
    assert key in response.content.decode()
    api_key = ApiKey.objects.get()
    assert api_key.digest == hashlib.sha512(key.encode()).hexdigest()
    assert get(HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    change = admin_client.get(f"/admin/accounts/apikey/{api_key.pk}/change/")
    assert change.status_code == 200
    assert key not in change.content.decode()
    assert key not in admin_client.get("/admin/accounts/apikey/").content.decode()


def test_the_admin_refuses_a_name_twice_and_writes_nothing(admin_client, api_user):
    create_key("integrator", "erp")

    response = admin_client.post(
        "/admin/accounts/apikey/add/", {"user": api_user.pk, "name": "erp"}
    )

    assert response.status_code == 200
    assert "This user already has a key named &#x27;erp&#x27;." in response.content.decode()
    assert ApiKey.objects.count() == 1


def test_a_keys_lookup_reads_what_the_orm_reads_key_and_user_in_one_statement(api_user):
    key = create_key(api_user.username, "erp", "--expires-in-days", "5")
    prefix = key[:15]
    expected = ApiKey.objects.select_related("user").get(token_key=prefix)

    with CaptureQueriesContext(connection) as queries:
        [found] = api_keys_of_prefix(prefix, using="default")
        user = found.user

    assert len(queries) == 1

    def values(instance: Model) -> dict:
        return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}

    assert values(found) == values(expected)
    assert values(user) == values(expected.user)
    assert found.expiry.tzinfo is not None
    assert user.date_joined.tzinfo is not None
    assert not found._state.adding
    assert found._state.db == "default"
    assert api_keys_of_prefix("patron_nothing", using="default") == []
