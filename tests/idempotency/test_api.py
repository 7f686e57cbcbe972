"""Idempotency-Key on the API's POST and PATCH: a retry replays the first answer, writes nothing."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.db.models import Max
from django.utils import timezone

from customers.models import Channel, Customer
from idempotency.api import REPLAYED_HEADER
from idempotency.models import IdempotencyKey
from idempotency.services import KEY_INVALID, KEY_REUSED_BODY, KEY_REUSED_ROUTE
from tests.conftest import api_client_for, patron_user_create
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.idempotency.urls import REFUSED

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/customers/"
UPSERT = "/api/v1/customers/upsert/"


@pytest.fixture
def web(db):
    return ChannelFactory(code="web", name="Web store")


def _post(client, url, body, key, **extra):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key, **extra)


def _thousand(first_name: str = "Ann") -> list[dict]:
    return [
        {"channel": "web", "email": f"buyer{n}@example.com", "first_name": first_name}
        for n in range(1000)
    ]


def _customers_state() -> tuple:
    """What a second write would change: rows, their last update, history rows, keys."""
    return (
        Customer.objects.count(),
        Customer.objects.aggregate(Max("updated_at"))["updated_at__max"],
        Customer.history.count(),
        IdempotencyKey.objects.count(),
    )


def test_replayed_thousand_item_upsert_writes_once_and_answers_the_same_bytes(api_client, web):
    # given: half of the e-mails exist already; after the upsert, the names are edited, so
    # that running the upsert again would write (names, updated_at, history rows)
    for n in range(0, 1000, 2):
        CustomerFactory(channel=web, email=f"buyer{n}@example.com")
    first = _post(api_client, UPSERT, _thousand(), "upsert-1")
    Customer.objects.update(first_name="Edited")
    before = _customers_state()

    # when: the client retries, once re-serialising the body with other whitespace and key order
    retry = _post(api_client, UPSERT, _thousand(), "upsert-1")
    reformatted = [json.dumps(dict(reversed(item.items())), indent=2) for item in _thousand()]
    retry_reformatted = api_client.post(
        UPSERT,
        "[\n" + ",\n".join(reformatted) + "\n]",
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="upsert-1",
    )

    # then: one write; the retries answer the first answer, byte for byte, marked as replayed
    assert first.status_code == 200, first.content
    assert (first.data["created"], first.data["updated"]) == (500, 500)
    assert (before[0], before[3]) == (1000, 1)
    for replay in (retry, retry_reformatted):
        assert replay.status_code == 200
        assert replay.content == first.content
        assert replay["Content-Type"] == first["Content-Type"]
        assert replay[REPLAYED_HEADER] == "true"
    assert not first.has_header(REPLAYED_HEADER)
    assert _customers_state() == before
    assert set(Customer.objects.values_list("first_name", flat=True)) == {"Edited"}


def test_same_key_with_another_body_or_route_is_422_and_writes_nothing(api_client, web):
    # given
    _post(api_client, UPSERT, _thousand(), "upsert-1")
    before = _customers_state()

    # when
    other_body = _post(api_client, UPSERT, _thousand(first_name="Bob"), "upsert-1")
    other_route = _post(api_client, CUSTOMERS, {"channel": "web", "email": "x@x.com"}, "upsert-1")

    # then
    assert other_body.status_code == 422
    assert other_body.json() == {"detail": KEY_REUSED_BODY}
    assert other_route.status_code == 422
    assert other_route.json() == {"detail": KEY_REUSED_ROUTE.format(method="POST", path=UPSERT)}
    assert _customers_state() == before
    assert not Customer.objects.filter(first_name="Bob").exists()


def test_another_users_same_key_is_its_own_write(api_client, web):
    # given
    _post(api_client, UPSERT, _thousand()[:3], "shared-key")
    other = api_client_for(patron_user_create("other-integrator"))

    # when: another integrator happens to pick the same key, for its own body
    response = _post(other, UPSERT, [{"channel": "web", "email": "new@example.com"}], "shared-key")

    # then
    assert response.status_code == 200
    assert response.data["created"] == 1
    assert REPLAYED_HEADER not in response
    assert Customer.objects.filter(email="new@example.com").exists()
    assert IdempotencyKey.objects.filter(key="shared-key").count() == 2


def test_create_retried_with_its_key_answers_201_again_without_a_second_customer(api_client, web):
    body = {"channel": "web", "email": "ann@example.com", "first_name": "Ann"}

    first = _post(api_client, CUSTOMERS, body, "create-ann")
    retry = _post(api_client, CUSTOMERS, body, "create-ann")
    without_key = api_client.post(CUSTOMERS, body, format="json")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.content == first.content
    assert Customer.objects.filter(email="ann@example.com").count() == 1
    # Without a key the same body runs again (and is refused: the e-mail is taken).
    assert without_key.status_code == 400


def test_patch_replayed_later_does_not_undo_a_newer_change(api_client, web):
    # given: a PATCH with a key, then another change without one
    customer = CustomerFactory(channel=web, first_name="Ann")
    url = f"{CUSTOMERS}{customer.pk}/"
    first = api_client.patch(url, {"first_name": "Bea"}, format="json", HTTP_IDEMPOTENCY_KEY="p1")
    api_client.patch(url, {"first_name": "Cid"}, format="json")

    # when: the first PATCH is retried
    retry = api_client.patch(url, {"first_name": "Bea"}, format="json", HTTP_IDEMPOTENCY_KEY="p1")

    # then: the first answer, and the newer change stays
    assert retry.status_code == 200
    assert retry.content == first.content
    assert retry.json()["first_name"] == "Bea"
    customer.refresh_from_db()
    assert customer.first_name == "Cid"


def test_send_invite_retried_with_its_key_mails_once(
    api_client, web, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(channel=web, email="p@x.com")
    url = f"{CUSTOMERS}{customer.pk}/send-invite/"

    with django_capture_on_commit_callbacks(execute=True):
        first = _post(api_client, url, None, "invite-p")
        retry = _post(api_client, url, None, "invite-p")

    assert (first.status_code, retry.status_code) == (202, 202)
    assert retry[REPLAYED_HEADER] == "true"
    assert len(mail.outbox) == 1


def test_a_refused_write_is_kept_and_replayed_even_once_it_would_pass(api_client, web):
    """4xx answers are kept (Stripe's rule): fixing the data needs a new key."""
    # given: a body naming a group that does not exist yet
    body = [{"channel": "web", "email": "ann@example.com", "groups": ["vip"]}]
    refused = _post(api_client, UPSERT, body, "with-group")
    api_client.post("/api/v1/groups/", {"code": "vip", "title": "VIP"}, format="json")

    # when
    retry = _post(api_client, UPSERT, body, "with-group")
    new_key = _post(api_client, UPSERT, body, "with-group-2")

    # then
    assert refused.status_code == 400
    assert "groups" in refused.json()["items"]["0"]
    assert (retry.status_code, retry.content) == (400, refused.content)
    assert retry[REPLAYED_HEADER] == "true"
    assert new_key.status_code == 200


def test_an_expired_key_runs_again(api_client, web):
    # given: a key used 24 hours and a second ago
    _post(api_client, UPSERT, _thousand()[:2], "old")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
    Customer.objects.update(first_name="Edited")
    history = Customer.history.count()

    # when
    again = _post(api_client, UPSERT, _thousand()[:2], "old")

    # then: written again (the names are back), and the key now holds the new answer
    assert again.status_code == 200
    assert REPLAYED_HEADER not in again
    assert (again.data["created"], again.data["updated"]) == (0, 2)
    assert Customer.history.count() == history + 2
    assert set(Customer.objects.values_list("first_name", flat=True)) == {"Ann"}
    stored = IdempotencyKey.objects.get()
    assert bytes(stored.body) == again.content
    assert stored.created_at > timezone.now() - timedelta(minutes=1)


def test_a_key_just_under_24_hours_old_still_replays(api_client, web):
    _post(api_client, UPSERT, _thousand()[:2], "recent")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=23, minutes=59))

    retry = _post(api_client, UPSERT, _thousand()[:2], "recent")

    assert retry[REPLAYED_HEADER] == "true"


def test_the_stored_key_holds_the_first_answer_not_the_request(api_client, api_user, web):
    body = {"channel": "web", "email": "ann@example.com", "password": "Corr3ct-horse-battery"}

    response = _post(api_client, CUSTOMERS, body, "ann-key")

    stored = IdempotencyKey.objects.get()
    assert (stored.user, stored.key, stored.method, stored.path) == (
        api_user,
        "ann-key",
        "POST",
        CUSTOMERS,
    )
    assert (stored.status, bytes(stored.body)) == (201, response.content)
    assert stored.headers["Content-Type"] == "application/json"
    assert len(stored.request_hash) == 64
    assert b"Corr3ct" not in bytes(stored.body)


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("k" * 256, id="256-characters"),
        pytest.param("clé", id="not-ascii"),
        pytest.param("a\tb", id="control-character"),
    ],
)
def test_an_unusable_key_is_400_naming_the_header_and_writes_nothing(api_client, web, key):
    response = _post(api_client, CUSTOMERS, {"channel": "web", "email": "a@x.com"}, key)

    assert response.status_code == 400
    assert response.json() == {"Idempotency-Key": [KEY_INVALID]}
    assert not Customer.objects.exists()
    assert not IdempotencyKey.objects.exists()


def test_a_key_of_255_printable_characters_is_accepted(api_client, web):
    key = ("k ~!" * 64)[:255]

    first = _post(api_client, CUSTOMERS, {"channel": "web", "email": "a@x.com"}, key)
    retry = _post(api_client, CUSTOMERS, {"channel": "web", "email": "a@x.com"}, key)

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry[REPLAYED_HEADER] == "true"


def test_the_key_is_ignored_on_put_and_on_sign_in(api_client, web):
    """PUT is idempotent by itself; a replayed sign-in could let an old password in."""
    customer = CustomerFactory(channel=web, email="p@x.com")
    put = {"channel": "web", "email": "p@x.com", "first_name": "Ann"}
    sign_in = {"channel": "web", "email": "p@x.com", "password": "wrong-password"}

    api_client.put(f"{CUSTOMERS}{customer.pk}/", put, format="json", HTTP_IDEMPOTENCY_KEY="k")
    first = _post(api_client, f"{CUSTOMERS}authenticate/", sign_in, "k")
    second = _post(api_client, f"{CUSTOMERS}authenticate/", {**sign_in, "password": "x"}, "k")

    assert (first.status_code, second.status_code) == (401, 401)
    assert not IdempotencyKey.objects.exists()


def test_a_request_refused_before_it_runs_is_not_kept(api_client, web):
    """Malformed JSON is refused before the key is claimed: the fixed body may use it."""
    broken = api_client.post(
        CUSTOMERS, b'{"channel": "web",', content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    fixed = _post(api_client, CUSTOMERS, {"channel": "web", "email": "a@x.com"}, "k")

    assert broken.status_code == 400
    assert fixed.status_code == 201
    assert REPLAYED_HEADER not in fixed


@pytest.mark.urls("tests.idempotency.urls")
class TestWhatIsKept:
    """The mixin's transaction: the write and its answer commit together, or nothing does."""

    def test_an_answer_is_kept_with_its_location_and_etag(self, api_client):
        body = {"code": "kept", "outcome": 201}

        first = _post(api_client, "/scripted/", body, "k")
        retry = _post(api_client, "/scripted/", body, "k")

        assert (retry.status_code, retry.content) == (201, first.content)
        assert (retry["Location"], retry["ETag"]) == ("/channels/kept/", '"v1"')
        assert not retry.has_header("X-Other")
        assert Channel.objects.filter(code="kept").count() == 1

    def test_an_error_raised_after_writing_is_kept_without_the_write(self, api_client):
        first = _post(api_client, "/scripted/", {"code": "refused", "outcome": "refuse"}, "k")
        retry = _post(api_client, "/scripted/", {"code": "refused", "outcome": "refuse"}, "k")

        assert first.json() == {"code": [REFUSED]}
        assert (retry.status_code, retry[REPLAYED_HEADER]) == (400, "true")
        assert not Channel.objects.filter(code="refused").exists()

    @pytest.mark.parametrize("outcome", [pytest.param(409, id="409"), pytest.param(503, id="503")])
    def test_a_retry_me_answer_is_not_kept_and_its_write_is_undone(self, api_client, outcome):
        body = {"code": "again", "outcome": outcome}

        first = _post(api_client, "/scripted/", body, "k")
        written = Channel.objects.filter(code="again").exists()
        # Nothing was kept: the key is free, even for another body.
        retry = _post(api_client, "/scripted/", {**body, "outcome": 201}, "k")

        assert first.status_code == outcome
        assert not written
        assert retry.status_code == 201
        assert REPLAYED_HEADER not in retry

    def test_a_crash_is_not_kept_and_its_write_is_undone(self, api_user):
        client = api_client_for(api_user)
        client.raise_request_exception = False

        crash = _post(client, "/scripted/", {"code": "crash", "outcome": "crash"}, "k")

        assert crash.status_code == 500
        assert not Channel.objects.filter(code="crash").exists()
        assert not IdempotencyKey.objects.exists()
